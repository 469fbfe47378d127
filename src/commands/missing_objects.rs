use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;
use crate::id::Id;

#[derive(Debug, Args)]
pub struct MissingObjectsArgs {}

pub fn run(ctx: &Ctx, _args: MissingObjectsArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let mut out = render::stdout();
    for (n, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.context("could not read object ids from standard input")?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let id: Id = text.parse().map_err(|_| {
            anyhow::anyhow!(
                "line {} of standard input, '{}', is not an object id; give one 64-hex-digit id a line",
                n + 1,
                crate::store::one_line(text)
            )
        })?;
        if !store.has_object(&id) {
            writeln!(out, "{id}")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
