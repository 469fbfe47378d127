use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::Ctx;
use super::releases::{DateStyle, change_label, when};
use super::show_release::ReleaseJson;
use crate::history;
use crate::manifest::Release;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct ReleasesInfoArgs {
    /// The release: vN, N, current or current~K (default: current)
    #[arg(default_value = "current")]
    pub rev: String,
    /// Print JSON
    #[arg(long, conflicts_with = "shell")]
    pub json: bool,
    /// Print the release's config vars as KEY='VALUE' lines for a shell
    #[arg(long, short = 's')]
    pub shell: bool,
    /// How to show When (default: relative under 24 hours, else local time)
    #[arg(long, value_enum)]
    pub date: Option<DateStyle>,
}

/// "yes", or "no (reason)": whether `rel rollback REV` would be accepted.
pub fn rollback_verdict(store: &Store, r: &Release) -> Result<String> {
    let current = history::current_release(store)?;
    if let Some(block) = crate::ops::rollback_block(store, current.as_ref(), r) {
        return Ok(format!("no ({})", block.short()));
    }
    Ok(match &current {
        Some(c) if crate::ops::rollback_changes_nothing(c, r).is_some() => {
            "no (it is the current release)".into()
        }
        _ => "yes".into(),
    })
}

pub fn run(ctx: &Ctx, args: ReleasesInfoArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let r = history::resolve_text(&store, &args.rev)?;
    let config = store.read_config(&r.config)?;
    let mut out = super::stdout();
    if args.json {
        let current = history::current_version(&store)?;
        serde_json::to_writer_pretty(&mut out, &ReleaseJson::new(&store, &r, current))?;
        writeln!(out)?;
    } else if args.shell {
        super::config::render(&config, false, true, &mut out)?;
    } else {
        writeln!(out, "=== Release {}", r.name())?;
        let label = |k: &str| format!("{:<13}", format!("{k}:"));
        writeln!(
            out,
            "{}{}",
            label("Change"),
            change_label(&store, store.read_pruned().ok().flatten().as_ref(), &r)
        )?;
        writeln!(out, "{}{}", label("By"), r.by)?;
        writeln!(out, "{}{}", label("When"), when(&r, args.date))?;
        let addons: Vec<&str> = r.addons.iter().map(|a| a.plan.as_str()).collect();
        writeln!(
            out,
            "{}",
            format!("{}{}", label("Addons"), addons.join(", ")).trim_end()
        )?;
        let width = config.vars.keys().map(String::len).max().unwrap_or(0);
        let mut first = true;
        for (k, v) in &config.vars {
            let head = if first {
                label("Config")
            } else {
                " ".repeat(13)
            };
            // A multi-line value keeps its lines under the value column.
            let v = v.replace('\n', &format!("\n{}", " ".repeat(13 + width + 4)));
            writeln!(out, "{head}{k:<width$} => {v}")?;
            first = false;
        }
        if first {
            writeln!(out, "{}", label("Config").trim_end())?;
        }
        writeln!(
            out,
            "{}{}",
            label("Rollback"),
            rollback_verdict(&store, &r)?
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
