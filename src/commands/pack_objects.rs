use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;
use crate::id::Id;
use crate::transport::pack;

#[derive(Debug, Args)]
pub struct PackObjectsArgs {}

pub fn run(ctx: &Ctx, _args: PackObjectsArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    if std::io::stdout().is_terminal() {
        anyhow::bail!(
            "standard output is a terminal; pipe the pack into 'rel receive-pack' or a file"
        );
    }
    let mut ids: Vec<Id> = Vec::new();
    for (n, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.context("could not read object ids from standard input")?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        ids.push(text.parse().map_err(|_| {
            anyhow::anyhow!(
                "line {} of standard input, '{}', is not an object id; give one 64-hex-digit id a line",
                n + 1,
                crate::store::one_line(text)
            )
        })?);
    }
    let mut out = render::stdout();
    let stats = pack::write_pack(&store, &ids, &mut out)?;
    ctx.status(format!(
        "Packed {} objects, {}",
        stats.objects,
        render::human_size(stats.bytes)
    ));
    Ok(ExitCode::SUCCESS)
}
