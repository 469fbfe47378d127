//! How commands show things: stdout records, sizes, names, release lines,
//! config vars, and the outcome of a release, each said in one place.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::args::DateStyle;
use crate::config::Config;
use crate::gc::GcReport;
use crate::hooks::HookOutcome;
use crate::ingest::OutsideLinks;
use crate::manifest::Release;
use crate::pruned::{PruneRecord, SlugState, slug_state};
pub use crate::quote::quote_name;
use crate::store::Store;

/// A locked, buffered stdout; write errors (a closed pipe) propagate.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::new(io::stdout().lock())
}

/// Writes records separated by newlines, or NULs with `-z`.
pub fn write_record(out: &mut dyn Write, record: &[u8], nul: bool) -> Result<()> {
    out.write_all(record)
        .context("could not write to standard output")?;
    out.write_all(if nul { b"\0" } else { b"\n" })
        .context("could not write to standard output")?;
    Ok(())
}

/// Streams an object's verified content to `out`; a corrupt object fails
/// (naming it) instead of ending early.
pub fn copy_object(reader: &mut crate::odb::ObjectReader, out: &mut dyn Write) -> Result<()> {
    reader.copy_to(out, std::path::Path::new("standard output"))?;
    Ok(())
}

/// 8.3MB, as Heroku prints slug sizes.
pub fn human_size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1}GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1}MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1}KB", b / 1e3)
    } else {
        format!("{bytes}B")
    }
}

/// Exit code and messages for a committed release: a failed release phase
/// or a failed restart exits 1 (the release stays as the manifest says).
pub fn settle(committed: &crate::ops::Committed) -> ExitCode {
    if !committed.release.succeeded() {
        eprintln!("{}", release_failed(&committed.release));
        return ExitCode::from(1);
    }
    restarted(&committed.release, committed.restart())
}

/// Exit code and message for a restart hook that ran, or not, after
/// `release` became current: a failure exits 1 (the release stays current).
pub fn restarted(release: &Release, restart: Option<&HookOutcome>) -> ExitCode {
    match restart {
        Some(outcome) if !outcome.success => {
            eprintln!("{}", restart_failed(release, &outcome.how));
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}

/// The error line for a release whose release phase failed: every command
/// that makes a release says it in these words.
pub fn release_failed(release: &Release) -> String {
    let name = release.name();
    format!(
        "rel: error: {name} failed: the release hook failed, so {name} was not activated; its output: 'rel releases:output {name}'"
    )
}

/// The error line for a restart hook that failed after `release` became current.
fn restart_failed(release: &Release, how: &str) -> String {
    format!(
        "rel: error: the restart hook failed ({how}); {} is current, restart the app by hand",
        release.name()
    )
}

/// "done, v11", or "failed, v11" when the release phase failed.
pub fn done(release: &Release) -> String {
    if release.succeeded() {
        format!("done, {}", release.name())
    } else {
        format!("failed, {}", release.name())
    }
}

/// Says on stderr (even with -q: it is a warning) how many symlinks of the
/// slug point outside it, naming the first: stored as they are, they may
/// dangle on the host that checks the slug out.
pub fn warn_outside(outside: &OutsideLinks) {
    let Some((path, target)) = &outside.first else {
        return;
    };
    let quote = |name: &[u8]| {
        let shown = quote_name(name);
        if shown.starts_with('"') {
            shown
        } else {
            format!("'{shown}'")
        }
    };
    let (path, target) = (quote(path), quote(target));
    if outside.count == 1 {
        eprintln!("warning: 1 symlink points outside the slug: {path} -> {target}");
    } else {
        eprintln!(
            "warning: {} symlinks point outside the slug, the first {path} -> {target}",
            outside.count
        );
    }
}

/// What gc deleted (or, in a dry run, would delete), in one line.
pub fn gc_summary(report: &GcReport, dry_run: bool) -> String {
    let verb = if dry_run { "Would delete" } else { "Deleted" };
    let mut s = format!(
        "{verb} {} objects ({:.1} MB) and {} checkouts",
        report.objects_deleted,
        report.bytes_freed as f64 / 1e6,
        report.checkouts_removed
    );
    if !report.pruned.is_empty() {
        let names: Vec<String> = report.pruned.iter().map(|v| format!("v{v}")).collect();
        s.push_str(&format!("; pruned {}", names.join(", ")));
    }
    s
}

/// The change as listed: failed and pruned releases say so, and so does one
/// whose slug went missing without gc pruning it. `record` is the store's
/// prune record.
pub fn change_label(store: &Store, record: Option<&PruneRecord>, r: &Release) -> String {
    let mut s = r.change.clone();
    if !r.succeeded() {
        s.push_str(" (failed)");
    }
    match slug_state(store, record, r) {
        SlugState::Present => {}
        SlugState::Pruned => s.push_str(" (pruned)"),
        SlugState::Missing => s.push_str(" (slug missing; run 'rel fsck')"),
    }
    s
}

/// When a release was made, in the `--date` style.
pub fn when(r: &Release, style: Option<DateStyle>) -> String {
    let now = jiff::Timestamp::now();
    match style {
        None => crate::time::human(r.created_at, now),
        Some(DateStyle::Relative) => crate::time::relative(r.created_at, now),
        Some(DateStyle::Iso) => crate::time::iso_local(r.created_at),
    }
}

/// `'value'` with each `'` written as `'\''`: read back exactly by sh.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// Config vars for people (`KEY: value`, aligned), JSON, or shell.
pub fn config_vars(config: &Config, json: bool, shell: bool, out: &mut dyn Write) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, &config.vars)?;
        writeln!(out)?;
    } else if shell {
        for (k, v) in &config.vars {
            writeln!(out, "{k}={}", shell_quote(v))?;
        }
    } else {
        let width = config.vars.keys().map(String::len).max().unwrap_or(0);
        for (k, v) in &config.vars {
            let key = format!("{k}:");
            // A multi-line value keeps its lines under the value column.
            let v = v.replace('\n', &format!("\n{}", " ".repeat(width + 2)));
            for line in format!("{key:<w$} {v}", w = width + 1).lines() {
                writeln!(out, "{}", line.trim_end())?;
            }
        }
    }
    Ok(())
}
