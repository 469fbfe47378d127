fn main() -> std::process::ExitCode {
    rel::run(std::env::args_os().collect())
}
