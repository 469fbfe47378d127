use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::args::ReleaseOpts;
use crate::cli::ctx::Ctx;
use crate::cli::render::{done, settle};
use crate::ops;

#[derive(Debug, Args)]
pub struct ReleasesRetryArgs {
    #[command(flatten)]
    pub release: ReleaseOpts,
}

pub fn run(ctx: &Ctx, args: ReleasesRetryArgs) -> Result<ExitCode> {
    let change = ctx.begin_change(&args.release)?;
    let (new, retried) = ops::retry(&change.store, &change.author)?;
    let committed = ctx.commit(&change, new)?;
    ctx.status(format!(
        "Retrying {} on {}... {}",
        retried.name(),
        change.store.settings.name,
        done(&committed.release)
    ));
    Ok(settle(&committed))
}
