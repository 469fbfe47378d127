use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;
use crate::history;

#[derive(Debug, Args)]
pub struct RevParseArgs {
    /// Print the release's slug id
    #[arg(long, conflicts_with = "config")]
    pub slug: bool,
    /// Print the release's config id
    #[arg(long)]
    pub config: bool,
    /// The release: vN, N, current or current~K
    pub rev: String,
}

pub fn run(ctx: &Ctx, args: RevParseArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let release = history::resolve_text(&store, &args.rev)?;
    let mut out = render::stdout();
    if args.slug {
        let Some(slug) = release.slug else {
            anyhow::bail!(
                "{} has no slug: nothing was deployed before it; deploy first (rel deploy DIR)",
                release.name()
            );
        };
        writeln!(out, "{slug}")?;
    } else if args.config {
        writeln!(out, "{}", release.config)?;
    } else {
        writeln!(out, "{}", release.name())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
