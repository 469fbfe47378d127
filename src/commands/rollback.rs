use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{Ctx, author, settle};
use crate::ops;

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The release to copy (default: the newest succeeded, unpruned release before current)
    pub rev: Option<String>,
    /// Who rolls back (default: REL_BY, else user@host)
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    /// Do not run the restart hook
    #[arg(long)]
    pub no_restart: bool,
}

pub fn run(ctx: &Ctx, args: RollbackArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let who = author(args.by.as_deref())?;
    let lock = ctx.lock(&store)?;
    let (new, target, previous) = ops::rollback(&store, args.rev.as_deref(), &who)?;
    let committed = ops::commit(
        &store,
        &lock,
        new,
        !args.no_restart,
        &ctx.progress(),
        &mut ctx.hook_sink(),
    )?;
    if committed.release.succeeded() {
        ctx.status(format!("Rolled back to {}", target.name()));
        ctx.status(format!("To undo, run: rel rollback {}", previous.name()));
    }
    Ok(settle(&committed))
}
