use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render::{self, quote_name};
use crate::diff::{AddonChange, Change, ConfigChange, diff_releases};
use crate::history;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old release (default: the one before current)
    pub a: Option<String>,
    /// The new release (default: current)
    pub b: Option<String>,
    /// Show config values, not only keys
    #[arg(long)]
    pub values: bool,
    /// Count changed files instead of listing them
    #[arg(long)]
    pub stat: bool,
    /// Print JSON (config values only with --values)
    #[arg(long, conflicts_with = "stat")]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: DiffArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let (a, b) = match (&args.a, &args.b) {
        (None, _) => ("current~1".to_string(), "current".to_string()),
        (Some(a), None) => (a.clone(), "current".to_string()),
        (Some(a), Some(b)) => (a.clone(), b.clone()),
    };
    let ra = history::resolve_text(&store, &a)?;
    let rb = history::resolve_text(&store, &b)?;
    let mut d = diff_releases(&store, &ra, &rb)?;
    let mut out = render::stdout();
    if args.json {
        if !args.values {
            d = d.without_values();
        }
        serde_json::to_writer_pretty(&mut out, &d)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    if !d.config.is_empty() {
        writeln!(out, "Config:")?;
        for ConfigChange {
            key: k,
            change,
            old,
            new,
        } in &d.config
        {
            if !args.values {
                writeln!(out, "{} {k}", change.sign())?;
                continue;
            }
            let v = |s: &Option<String>| s.as_deref().unwrap_or("").escape_debug().to_string();
            match change {
                Change::Added => writeln!(out, "+ {k}={}", v(new))?,
                Change::Deleted => writeln!(out, "- {k}={}", v(old))?,
                Change::Modified => writeln!(out, "~ {k}={} -> {}", v(old), v(new))?,
            }
        }
    }
    if !d.addons.is_empty() {
        writeln!(out, "Add-ons:")?;
        for AddonChange {
            name,
            change,
            old_plan: old,
            new_plan: new,
        } in &d.addons
        {
            match change {
                Change::Added => writeln!(out, "+ {name} ({})", new.as_deref().unwrap_or(""))?,
                Change::Deleted => writeln!(out, "- {name} ({})", old.as_deref().unwrap_or(""))?,
                Change::Modified => writeln!(
                    out,
                    "~ {name} ({} -> {})",
                    old.as_deref().unwrap_or(""),
                    new.as_deref().unwrap_or("")
                )?,
            }
        }
    }
    match &d.files {
        None => writeln!(
            out,
            "Files: not compared ({} or {} was pruned)",
            ra.name(),
            rb.name()
        )?,
        Some(files) if files.is_empty() => {}
        Some(files) => {
            writeln!(out, "Files:")?;
            if args.stat {
                let count = |c: Change| files.iter().filter(|f| f.change == c).count();
                writeln!(
                    out,
                    " {} files changed, {} added, {} modified, {} deleted",
                    files.len(),
                    count(Change::Added),
                    count(Change::Modified),
                    count(Change::Deleted)
                )?;
            } else {
                for f in files {
                    writeln!(out, "{}\t{}", f.change.letter(), quote_name(&f.path))?;
                }
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
