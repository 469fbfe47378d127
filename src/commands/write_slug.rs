use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;

#[derive(Debug, Args)]
pub struct WriteSlugArgs {
    /// A directory, or - for a tar stream (plain or zstd) on standard input
    pub source: PathBuf,
    /// Only compute the slug id; store nothing (works outside a store)
    #[arg(short = 'n', long = "dry-run")]
    pub dry_run: bool,
}

pub fn run(ctx: &Ctx, args: WriteSlugArgs) -> Result<ExitCode> {
    let store = if args.dry_run {
        None
    } else {
        Some(ctx.open()?)
    };
    let ingested = ctx.ingest(store.as_ref(), None, &args.source)?;
    render::warn_outside(&ingested.outside);
    let mut out = render::stdout();
    writeln!(out, "{}", ingested.slug)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
