use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::args::ReleaseOpts;
use crate::cli::ctx::Ctx;
use crate::cli::render::settle;
use crate::ops;

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The release to copy (default: the newest succeeded, unpruned release before current)
    pub rev: Option<String>,
    #[command(flatten)]
    pub release: ReleaseOpts,
}

pub fn run(ctx: &Ctx, args: RollbackArgs) -> Result<ExitCode> {
    let change = ctx.begin_change(&args.release)?;
    let (plan, target, previous) =
        ops::rollback(&change.store, args.rev.as_deref(), &change.author)?;
    let new = match plan {
        ops::Plan::NoChange(why) => {
            ctx.status(format!("Nothing to roll back: {why}; no new release"));
            return Ok(ExitCode::SUCCESS);
        }
        ops::Plan::Release(new) => new,
    };
    let committed = ctx.commit(&change, new)?;
    if committed.release.succeeded() {
        ctx.status(format!("Rolled back to {}", target.name()));
        ctx.status(format!("To undo, run: rel rollback {}", previous.name()));
    }
    Ok(settle(&committed))
}
