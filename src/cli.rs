//! The command line: argument normalisation, parsing (with the clap
//! definitions of [`crate::commands`]), and the mapping of outcomes to exit
//! codes: 0 success, 1 failure, 2 bad usage. Its submodules are what the
//! commands share (context, arguments, rendering, progress), and the
//! completion scripts' helpers.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::commands::{self, Cli};

pub mod args;
pub mod complete;
pub mod ctx;
pub mod progress;
pub mod render;

/// Parses and runs a command line; never panics on bad input.
pub fn run(args: Vec<OsString>) -> ExitCode {
    if let Some((names, chdir)) = complete::request(&args) {
        return complete::print_names(names, chdir);
    }
    let args = args::normalize_args(args);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: data on stdout.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprint!("{}", usage_error(&e, &args));
            return ExitCode::from(2);
        }
    };
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            // Names are quoted where they are said; no control byte of
            // input reaches the terminal even where one was not.
            let line = crate::quote::escape_controls(&one_line_error(&e));
            eprintln!("rel: error: {line}");
            ExitCode::from(1)
        }
    }
}

/// Whether the error is only a closed stdout (`rel releases | head -1`).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<crate::error::Error>().is_some_and(|e| {
                matches!(e, crate::error::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

/// The error and its causes on one line, each cause said once.
fn one_line_error(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    crate::store::one_line(&parts.join(": "))
}

/// A usage error as rel writes every error: one `rel: error:` line, then
/// clap's tips (a similar command or flag) and where the help is, as hints.
fn usage_error(e: &clap::Error, args: &[OsString]) -> String {
    let rendered = e.render().to_string();
    let mut paragraphs = rendered.split("\n\n");
    let first = paragraphs.next().unwrap_or_default();
    // A value its parser refused: the parser's message names the value,
    // and the option it was given to is named before it.
    let message = match (e.kind(), std::error::Error::source(e)) {
        (clap::error::ErrorKind::ValueValidation, Some(why)) => {
            match e.get(clap::error::ContextKind::InvalidArg) {
                Some(clap::error::ContextValue::String(arg)) if arg.starts_with('-') => {
                    let option = arg.split(' ').next().unwrap_or(arg);
                    format!("{option}: {why}")
                }
                _ => why.to_string(),
            }
        }
        _ => first.strip_prefix("error: ").unwrap_or(first).to_string(),
    };
    let mut out = format!("rel: error: {}\n", crate::store::one_line(&message));
    for line in paragraphs.flat_map(str::lines) {
        if let Some(tip) = line.trim_start().strip_prefix("tip: ") {
            out.push_str(&format!("hint: {}\n", crate::store::one_line(tip)));
        }
    }
    let name = args
        .get(args::command_index(args))
        .map(|a| a.to_string_lossy());
    let help = match name {
        Some(name) if commands::command().find_subcommand(name.as_ref()).is_some() => {
            format!("rel {name} --help")
        }
        _ => "rel --help".to_string(),
    };
    out.push_str(&format!("hint: see '{help}'\n"));
    out
}
