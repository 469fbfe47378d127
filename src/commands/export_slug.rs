use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;

#[derive(Debug, Args)]
pub struct ExportSlugArgs {
    /// A slug id (or unique prefix), or a revision such as v12 or current
    pub slug: String,
}

pub fn run(ctx: &Ctx, args: ExportSlugArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let slug = crate::history::resolve_slug_arg(&store, &args.slug)?;
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        anyhow::bail!("standard output is a terminal; redirect the tar stream to a file or a pipe");
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    crate::export::export_slug(&store, &slug, &mut out)?;
    Ok(ExitCode::SUCCESS)
}
