use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The app directory (created if missing)
    pub path: Option<PathBuf>,
    /// The app's name (default: the directory's name)
    #[arg(long)]
    pub name: Option<String>,
    /// Let this group read the store, for an app that runs as another user
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
}

pub fn run(ctx: &Ctx, args: InitArgs) -> Result<ExitCode> {
    let start = ctx.start_dir()?;
    let dir = match &args.path {
        Some(p) => start.join(p),
        None => start,
    };
    let store = Store::init(&dir, args.name.as_deref(), args.group.as_deref())?;
    ctx.status(format!(
        "Initialized empty rel store for {} in {}",
        store.settings.name,
        store.dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}
