use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;
use crate::report::StatusReport;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: StatusArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let report = StatusReport::build(&store)?;
    let mut out = render::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "=== {}", report.app)?;
    let label = |k: &str| format!("{:<13}", format!("{k}:"));
    match &report.current {
        Some(r) => writeln!(out, "{}v{} ({})", label("Current"), r.version, r.change)?,
        None => writeln!(out, "{}none", label("Current"))?,
    }
    writeln!(out, "{}{}", label("Releases"), report.releases)?;
    if let Some(path) = &report.checkout {
        writeln!(out, "{}{path}", label("Checkout"))?;
    }
    writeln!(
        out,
        "{}{} in {} objects",
        label("Store"),
        render::human_size(report.store.bytes),
        report.store.objects
    )?;
    if report.in_sync {
        writeln!(out, "{}in sync", label("State"))?;
    } else {
        for p in &report.problems {
            writeln!(out, "{}{p}", label("Out of sync"))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
