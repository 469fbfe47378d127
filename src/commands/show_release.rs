use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;
use crate::history;

#[derive(Debug, Args)]
pub struct ShowReleaseArgs {
    /// The release: vN, N, current or current~K
    pub rev: String,
    /// Print JSON instead of the TOML manifest
    #[arg(long)]
    pub json: bool,
}

/// A release as JSON: the manifest's fields, plus whether it is current and
/// whether gc has pruned its slug.
pub type ReleaseJson<'a> = crate::report::ReleaseView<'a>;

pub fn run(ctx: &Ctx, args: ShowReleaseArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let release = history::resolve_text(&store, &args.rev)?;
    let mut out = render::stdout();
    if args.json {
        let current = history::current_version(&store)?;
        serde_json::to_writer_pretty(&mut out, &ReleaseJson::new(&store, &release, current))?;
        writeln!(out)?;
    } else {
        let path = store.manifest_path(release.version);
        out.write_all(&std::fs::read(&path)?)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
