use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;
use crate::history;
use crate::release;

#[derive(Debug, Args)]
pub struct ActivateArgs {
    /// The release: vN, N, current or current~K
    pub rev: String,
    /// Do not run the restart hook
    #[arg(long)]
    pub no_restart: bool,
}

pub fn run(ctx: &Ctx, args: ActivateArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let lock = ctx.lock(&store)?;
    let version =
        history::resolve_version(&store, &history::Revision::parse(&args.rev)?, &args.rev)?;
    let activation = release::activate(
        &store,
        &lock,
        version,
        !args.no_restart,
        &ctx.progress(),
        &mut ctx.hook_sink(),
    )?;
    ctx.status(format!("Activated {}", activation.release.name()));
    Ok(render::restarted(
        &activation.release,
        activation.restart.as_ref(),
    ))
}
