use crate::common::Env;

#[test]
fn deploy_then_list_shows_v1() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    let out = env.rel(["releases"]).ok().stdout;
    assert!(
        out.starts_with("=== myapp Releases - Current: v1\n"),
        "{out}"
    );
}
