use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;
use crate::history;

#[derive(Debug, Args)]
pub struct ReleasesOutputArgs {
    /// The release: vN, N, current or current~K (default: current)
    #[arg(default_value = "current")]
    pub rev: String,
}

pub fn run(ctx: &Ctx, args: ReleasesOutputArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let r = history::resolve_text(&store, &args.rev)?;
    let Some(id) = r.output else {
        ctx.status(format!(
            "{} has no release output: no release hook ran for it",
            r.name()
        ));
        return Ok(ExitCode::SUCCESS);
    };
    let mut reader = store.open_object(&id)?;
    let mut out = render::stdout();
    render::copy_object(&mut reader, &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
