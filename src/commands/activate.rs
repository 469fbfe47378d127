use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::history;
use crate::release::{self, Activation};

#[derive(Debug, Args)]
pub struct ActivateArgs {
    /// The release: vN, N, current or current~K
    pub rev: String,
    /// Do not run the restart hook
    #[arg(long)]
    pub no_restart: bool,
}

/// Reports a restart hook's failure; the release stays current.
pub fn restart_failed(activation: &Activation) -> Option<ExitCode> {
    let outcome = activation.restart.as_ref()?;
    if outcome.success {
        return None;
    }
    eprintln!(
        "{}",
        super::restart_failed(&activation.release, &outcome.how)
    );
    Some(ExitCode::from(1))
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
    Ok(restart_failed(&activation).unwrap_or(ExitCode::SUCCESS))
}
