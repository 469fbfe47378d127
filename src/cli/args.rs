//! Arguments that several commands take, defined once, and the colon
//! groups' space form (`rel releases info`), which `rel serve` parses too.

use std::ffi::OsString;

use clap::{Args, ValueEnum};

use crate::config::{check_key, parse_assignment};

/// The options of every porcelain command that makes a release.
#[derive(Debug, Args)]
pub struct ReleaseOpts {
    /// Who makes the change (default: REL_BY, else user@host)
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    /// Do not run the restart hook
    #[arg(long)]
    pub no_restart: bool,
}

/// `--date`; without it, When is relative under 24 hours, else local time
/// with its offset (Heroku's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DateStyle {
    /// "5 minutes ago", "3 weeks ago": relative for every release, as git's
    Relative,
    /// RFC 3339 in local time with its offset
    Iso,
}

/// A config key, checked as the command line is parsed: a malformed one is
/// bad usage (exit status 2), refused before the store is touched.
pub fn key(text: &str) -> Result<String, crate::error::Error> {
    check_key(text)?;
    Ok(text.to_string())
}

/// A `KEY=VALUE` argument, checked as the command line is parsed.
pub fn assignment(text: &str) -> Result<(String, String), crate::error::Error> {
    parse_assignment(text)
}

/// Groups whose space form (`releases info`) means the colon form.
const GROUPS: [(&str, &[&str]); 3] = [
    ("releases", &["info", "output", "retry"]),
    ("config", &["get", "set", "unset"]),
    ("addons", &["add", "remove", "upgrade", "downgrade"]),
];

/// Where the command's name is: after the global options.
pub fn command_index(args: &[OsString]) -> usize {
    let mut i = 1;
    while i < args.len() {
        let a = args[i].to_string_lossy();
        if a == "-C" || a == "--lock-timeout" {
            i += 2;
            continue;
        }
        if a.starts_with('-') {
            i += 1;
            continue;
        }
        break;
    }
    i
}

/// Rewrites `rel releases info v3` as `rel releases:info v3`.
pub fn normalize_args(mut args: Vec<OsString>) -> Vec<OsString> {
    let i = command_index(&args);
    if i + 1 < args.len() {
        let group = args[i].to_string_lossy().into_owned();
        let sub = args[i + 1].to_string_lossy().into_owned();
        if GROUPS
            .iter()
            .any(|(g, subs)| *g == group && subs.contains(&sub.as_str()))
        {
            args[i] = OsString::from(format!("{group}:{sub}"));
            args.remove(i + 1);
        }
    }
    args
}
