//! Arguments that several commands take, defined once.

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
