//! `rel serve DIR…`: the forced command of a deploy key. It runs only
//! `rel -C PATH COMMAND ARGS` requests (from `SSH_ORIGINAL_COMMAND`) whose
//! PATH is one of the DIRs or below one, and whose COMMAND is one that
//! `rel push` needs or one that only reads; anything else is refused with
//! one line. The request's words are parsed as rel's own command line
//! would be, so an option cannot move the store elsewhere (a second `-C`,
//! `REL_DIR`), and then rel runs them itself, without a shell.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use crate::cli::args::normalize_args;
use crate::cli::ctx::Ctx;
use crate::cli::render;
use crate::transport::ssh::split_words;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// An app directory (or a directory of them) that requests may name
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
}

/// The commands that may run under `rel serve`: what push needs, and what
/// only reads.
const SERVED: [&str; 11] = [
    "show-release",
    "missing-objects",
    "receive-pack",
    "write-config",
    "write-release",
    "activate",
    "releases",
    "releases:info",
    "status",
    "rev-parse",
    "list-objects",
];

/// Serves the request in `SSH_ORIGINAL_COMMAND`, parsed by `root`, rel's
/// command (passed in: the command table lists this module, so it does not
/// look the table up).
pub fn run(_ctx: &Ctx, args: ServeArgs, root: clap::Command) -> Result<ExitCode> {
    let request = std::env::var("SSH_ORIGINAL_COMMAND").unwrap_or_default();
    match check(&request, &args.dirs, root) {
        Ok(argv) => {
            let me = std::env::current_exe().context("could not find the rel binary that runs")?;
            let err = std::process::Command::new(me)
                .args(&argv)
                .env_remove("REL_DIR")
                .env_remove("SSH_ORIGINAL_COMMAND")
                .exec();
            anyhow::bail!("could not run rel: {err}")
        }
        Err(why) => {
            eprintln!(
                "rel: error: rel serve refused '{}': {why}",
                render::quote_name(request.as_bytes()).trim_matches('"')
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// The arguments to run for `request`, or why it is refused.
fn check(request: &str, dirs: &[PathBuf], root: clap::Command) -> Result<Vec<String>, String> {
    const FORM: &str = "only 'rel -C PATH COMMAND ARGS' is served";
    if request.trim().is_empty() {
        return Err(format!("no command was given; {FORM}"));
    }
    let words = split_words(request)?;
    let (Some(_rel), Some(flag), Some(path)) = (words.first(), words.get(1), words.get(2)) else {
        return Err(FORM.to_string());
    };
    if flag != "-C" {
        return Err(FORM.to_string());
    }
    let canonical = Path::new(path)
        .canonicalize()
        .map_err(|e| format!("'{path}': {e}"))?;
    let under = dirs
        .iter()
        .any(|d| d.canonicalize().is_ok_and(|d| canonical.starts_with(&d)));
    if !under {
        return Err(format!("'{path}' is not an app directory this key may use"));
    }
    let canonical = canonical
        .to_str()
        .ok_or_else(|| format!("'{path}' is not UTF-8"))?
        .to_string();
    let mut argv = vec!["rel".to_string(), "-C".to_string(), canonical.clone()];
    argv.extend(words[3..].iter().cloned());
    let argv = normalize_args(argv.into_iter().map(Into::into).collect());
    let matches = root.try_get_matches_from(&argv).map_err(|e| {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or("").trim();
        first.strip_prefix("error: ").unwrap_or(first).to_string()
    })?;
    if matches.get_one::<PathBuf>("chdir").map(PathBuf::as_path) != Some(Path::new(&canonical)) {
        return Err(format!("{FORM}, with one -C"));
    }
    let name = words.get(3).map(String::as_str).unwrap_or("");
    if !matches
        .subcommand_name()
        .is_some_and(|name| SERVED.contains(&name))
    {
        return Err(format!(
            "'{name}' is not served; a deploy key may run only what rel push needs (show-release, missing-objects, receive-pack, write-config, write-release, activate) and what only reads (releases, releases:info, status, rev-parse, list-objects)"
        ));
    }
    Ok(argv
        .into_iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_command_is_a_command() {
        let root = crate::commands::command();
        for name in SERVED {
            assert!(root.find_subcommand(name).is_some(), "{name}");
        }
    }
}
