use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;
use crate::transport::pack;

#[derive(Debug, Args)]
pub struct ListObjectsArgs {
    /// A slug id (or unique prefix), or a revision such as v12 or current
    pub slug: String,
}

pub fn run(ctx: &Ctx, args: ListObjectsArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let slug = crate::history::resolve_slug_arg(&store, &args.slug)?;
    let mut out = render::stdout();
    for id in pack::slug_objects(&store, &slug)? {
        writeln!(out, "{id}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
