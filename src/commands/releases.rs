use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use serde::Serialize;

use crate::cli::args::DateStyle;
use crate::cli::ctx::Ctx;
use crate::cli::render::{self, change_label, when};
use crate::history;
use crate::manifest::Release;
use crate::report::ReleaseView;

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

/// An entry of `releases --json`: a release, or in place of one whose
/// manifest cannot be read, its version and why.
#[derive(Serialize)]
#[serde(untagged)]
enum Entry<'a> {
    Release(ReleaseView<'a>),
    Unreadable { version: u64, error: String },
}

/// The listing is printed whole; then, if a manifest could not be read, the
/// command fails naming it.
fn unreadable_error(releases: &[(u64, crate::error::Result<Release>)]) -> Result<ExitCode> {
    let bad: Vec<(u64, &crate::error::Error)> = releases
        .iter()
        .filter_map(|(v, r)| r.as_ref().err().map(|e| (*v, e)))
        .collect();
    match bad.as_slice() {
        [] => Ok(ExitCode::SUCCESS),
        [(_, e)] => Err(anyhow!("{e}")),
        _ => {
            let versions: Vec<u64> = bad.iter().map(|(v, _)| *v).collect();
            bail!(
                "the manifests of {} cannot be read; 'rel fsck' lists every problem",
                history::version_list(&versions)
            )
        }
    }
}

pub fn run(ctx: &Ctx, args: ReleasesArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let limit = if args.all { None } else { Some(args.num) };
    let releases = history::newest(&store, limit);
    let current = history::current_version(&store)?;
    let mut out = render::stdout();
    if args.json {
        let list: Vec<Entry> = releases
            .iter()
            .map(|(v, r)| match r {
                Ok(r) => Entry::Release(ReleaseView::new(&store, r, current)),
                Err(e) => Entry::Unreadable {
                    version: *v,
                    error: e.to_string(),
                },
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
        out.flush()?;
        return unreadable_error(&releases);
    }
    let cur = current.map_or("none".to_string(), |v| format!("v{v}"));
    writeln!(out, "=== {} Releases - Current: {cur}", store.settings.name)?;
    if releases.is_empty() && history::latest_version(&store) == 0 {
        writeln!(out, "No releases yet")?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    // A damaged record is fsck's to report; here it only marks.
    let record = store.read_pruned().ok().flatten();
    let rows: Vec<[String; 4]> = releases
        .iter()
        .map(|(v, r)| match r {
            Ok(r) => [
                r.name(),
                change_label(&store, record.as_ref(), r),
                r.by.clone(),
                when(r, args.date),
            ],
            Err(_) => [
                format!("v{v}"),
                "(unreadable manifest; run 'rel fsck')".to_string(),
                String::new(),
                String::new(),
            ],
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
        .trim_end()
        .to_string()
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
    unreadable_error(&releases)
}
