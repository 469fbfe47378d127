use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::args::{self, ReleaseOpts};
use crate::cli::ctx::Ctx;
use crate::cli::render::{self, done, settle};
use crate::config::Config;
use crate::ops;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print a JSON object KEY → VALUE
    #[arg(long, conflicts_with = "shell")]
    pub json: bool,
    /// Print KEY='VALUE' lines that a shell reads back exactly
    #[arg(long, short = 's')]
    pub shell: bool,
}

#[derive(Debug, Args)]
pub struct ConfigGetArgs {
    #[arg(value_parser = args::key)]
    pub key: String,
}

#[derive(Debug, Args)]
pub struct ConfigSetArgs {
    /// KEY=VALUE assignments
    #[arg(required = true, value_name = "KEY=VALUE", value_parser = args::assignment)]
    pub vars: Vec<(String, String)>,
    #[command(flatten)]
    pub release: ReleaseOpts,
}

#[derive(Debug, Args)]
pub struct ConfigUnsetArgs {
    #[arg(required = true, value_name = "KEY", value_parser = args::key)]
    pub keys: Vec<String>,
    #[command(flatten)]
    pub release: ReleaseOpts,
}

/// The current config (empty before the first release).
fn current_config(ctx: &Ctx) -> Result<Config> {
    let store = ctx.open()?;
    Ok(ops::base(&store)?.config)
}

pub fn run(ctx: &Ctx, args: ConfigArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let config = ops::base(&store)?.config;
    let mut out = render::stdout();
    if !args.json && !args.shell {
        writeln!(out, "=== {} Config Vars", store.settings.name)?;
    }
    render::config_vars(&config, args.json, args.shell, &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_get(ctx: &Ctx, args: ConfigGetArgs) -> Result<ExitCode> {
    let config = current_config(ctx)?;
    match config.vars.get(&args.key) {
        Some(v) => {
            let mut out = render::stdout();
            writeln!(out, "{v}")?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!("rel: error: config var {} is not set", args.key);
            Ok(ExitCode::from(1))
        }
    }
}

fn restarting(no_restart: bool) -> &'static str {
    if no_restart {
        ""
    } else {
        " and restarting app"
    }
}

pub fn run_set(ctx: &Ctx, args: ConfigSetArgs) -> Result<ExitCode> {
    let pairs = args.vars;
    let change = ctx.begin_change(&args.release)?;
    let Some(new) = ctx.planned(ops::config_set(&change.store, &pairs, &change.author)?) else {
        return Ok(ExitCode::SUCCESS);
    };
    ctx.status("Adding config vars:");
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in &pairs {
        ctx.status(format!("  {k:<width$} => {v}"));
    }
    let committed = ctx.commit(&change, new)?;
    ctx.status(format!(
        "Updating vars{}... {}",
        restarting(args.release.no_restart),
        done(&committed.release)
    ));
    Ok(settle(&committed))
}

pub fn run_unset(ctx: &Ctx, args: ConfigUnsetArgs) -> Result<ExitCode> {
    let change = ctx.begin_change(&args.release)?;
    let before = ops::base(&change.store)?.config;
    let Some(new) = ctx.planned(ops::config_unset(
        &change.store,
        &args.keys,
        &change.author,
    )?) else {
        return Ok(ExitCode::SUCCESS);
    };
    ctx.status("Removing config vars:");
    let mut shown = Vec::new();
    for k in args.keys.iter().filter(|k| before.vars.contains_key(*k)) {
        if !shown.contains(&k) {
            ctx.status(format!("  {k}"));
            shown.push(k);
        }
    }
    let committed = ctx.commit(&change, new)?;
    ctx.status(format!(
        "Updating vars{}... {}",
        restarting(args.release.no_restart),
        done(&committed.release)
    ));
    Ok(settle(&committed))
}
