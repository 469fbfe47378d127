use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::Ctx;
use super::show_release::ReleaseJson;
use crate::history;
use crate::manifest::Release;
use crate::store::Store;

/// `--date`; without it, When is relative under 24 hours, else local time
/// with its offset (Heroku's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DateStyle {
    /// "5 minutes ago", "3 weeks ago": relative for every release, as git's
    Relative,
    /// RFC 3339 in local time with its offset
    Iso,
}

#[derive(Debug, Args)]
pub struct ReleasesArgs {
    /// Show the N newest releases
    #[arg(
        short = 'n',
        long = "num",
        value_name = "N",
        default_value_t = 15,
        conflicts_with = "all"
    )]
    pub num: usize,
    /// Show the whole history
    #[arg(long)]
    pub all: bool,
    /// Print a JSON array, newest first
    #[arg(long)]
    pub json: bool,
    /// How to show When (default: relative under 24 hours, else local time)
    #[arg(long, value_enum)]
    pub date: Option<DateStyle>,
}

/// The change as listed: failed and pruned releases say so.
pub fn change_label(store: &Store, r: &Release) -> String {
    let mut s = r.change.clone();
    if !r.succeeded() {
        s.push_str(" (failed)");
    }
    if r.slug.is_some_and(|slug| !store.slug_present(&slug)) {
        s.push_str(" (pruned)");
    }
    s
}

pub fn when(r: &Release, style: Option<DateStyle>) -> String {
    let now = jiff::Timestamp::now();
    match style {
        None => crate::time::human(r.created_at, now),
        Some(DateStyle::Relative) => crate::time::relative(r.created_at, now),
        Some(DateStyle::Iso) => crate::time::iso_local(r.created_at),
    }
}

pub fn run(ctx: &Ctx, args: ReleasesArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let limit = if args.all { None } else { Some(args.num) };
    let releases = history::newest(&store, limit)?;
    let current = history::current_version(&store)?;
    let mut out = super::stdout();
    if args.json {
        let list: Vec<ReleaseJson> = releases
            .iter()
            .map(|r| ReleaseJson::new(&store, r, current))
            .collect();
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let cur = current.map_or("none".to_string(), |v| format!("v{v}"));
    writeln!(out, "=== {} Releases - Current: {cur}", store.settings.name)?;
    if releases.is_empty() && history::latest_version(&store) == 0 {
        writeln!(out, "No releases yet")?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 4]> = releases
        .iter()
        .map(|r| {
            [
                r.name(),
                change_label(&store, r),
                r.by.clone(),
                when(r, args.date),
            ]
        })
        .collect();
    let header = ["Rel", "Change", "By", "When"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 4]| {
        format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        )
    };
    writeln!(out, "{}", line(header))?;
    let dashes = widths.map(|w| "-".repeat(w));
    writeln!(
        out,
        "{}",
        line([&dashes[0], &dashes[1], &dashes[2], &dashes[3]])
    )?;
    for row in &rows {
        writeln!(out, "{}", line([&row[0], &row[1], &row[2], &row[3]]))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
