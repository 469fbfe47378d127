use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;

#[derive(Debug, Args)]
pub struct FsckArgs {
    /// Repair what can be repaired safely (a `current` link that lags CURRENT,
    /// temporary files of writers that are gone)
    #[arg(long)]
    pub repair: bool,
    /// Print the report as JSON on stdout (the exit status is the same)
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: FsckArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    if args.repair {
        // Taking the lock removes the temporary files of writers that are
        // gone and repairs a lagging `current` link.
        let _lock = ctx.lock(&store)?;
    }
    let report = crate::fsck::fsck(&store, &ctx.progress())?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let mut out = render::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        for p in &report.problems {
            writeln!(out, "{p}")?;
        }
    }
    out.flush()?;
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    ctx.status(format!(
        "checked {} and {}: {}",
        plural(report.objects, "object", "objects"),
        plural(report.releases, "release", "releases"),
        plural(report.problems.len() as u64, "problem", "problems")
    ));
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
