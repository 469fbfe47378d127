use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render::{self, write_record};
use crate::config::Config;

#[derive(Debug, Args)]
pub struct WriteConfigArgs {
    /// Read NUL-separated KEY=VALUE records (values may hold newlines)
    #[arg(short = 'z')]
    pub nul: bool,
}

#[derive(Debug, Args)]
pub struct ReadConfigArgs {
    /// Print NUL-separated records (values may hold newlines)
    #[arg(short = 'z')]
    pub nul: bool,
    /// A config id, a unique prefix, or a revision such as v12 or current
    pub id: String,
}

pub fn run(ctx: &Ctx, args: WriteConfigArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .read_to_string(&mut text)
        .context("standard input is not UTF-8 KEY=VALUE lines")?;
    let config = Config::parse_records(&text, args.nul)?;
    let id = store.write_config(&config)?;
    let mut out = render::stdout();
    writeln!(out, "{id}")?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_read(ctx: &Ctx, args: ReadConfigArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let id = crate::history::resolve_config_arg(&store, &args.id)?;
    let config = store.read_config(&id)?;
    if !args.nul
        && let Some(k) = config
            .vars
            .iter()
            .find(|(_, v)| v.contains('\n'))
            .map(|(k, _)| k)
    {
        anyhow::bail!("the value of {k} holds a newline; use read-config -z");
    }
    let mut out = render::stdout();
    for (k, v) in &config.vars {
        write_record(&mut out, format!("{k}={v}").as_bytes(), args.nul)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
