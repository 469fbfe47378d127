use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{Ctx, ReleaseOpts, done, settle};
use crate::config::{Config, check_key, parse_assignment};
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
    #[arg(value_parser = key)]
    pub key: String,
}

#[derive(Debug, Args)]
pub struct ConfigSetArgs {
    /// KEY=VALUE assignments
    #[arg(required = true, value_name = "KEY=VALUE", value_parser = assignment)]
    pub vars: Vec<(String, String)>,
    #[command(flatten)]
    pub release: ReleaseOpts,
}

#[derive(Debug, Args)]
pub struct ConfigUnsetArgs {
    #[arg(required = true, value_name = "KEY", value_parser = key)]
    pub keys: Vec<String>,
    #[command(flatten)]
    pub release: ReleaseOpts,
}

/// A config key, checked as the command line is parsed: a malformed one is
/// bad usage (exit status 2), refused before the store is touched.
pub fn key(text: &str) -> Result<String, crate::error::Error> {
    check_key(text)?;
    Ok(text.to_string())
}

/// A `KEY=VALUE` argument, checked as the command line is parsed.
pub fn assignment(text: &str) -> Result<(String, String), crate::error::Error> {
    parse_assignment(text)
}

/// The current config (empty before the first release).
fn current_config(ctx: &Ctx) -> Result<Config> {
    let store = ctx.open()?;
    Ok(ops::base(&store)?.config)
}

/// `'value'` with each `'` written as `'\''`: read back exactly by sh.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// Config vars for people (`KEY: value`, aligned), JSON, or shell.
pub fn render(config: &Config, json: bool, shell: bool, out: &mut dyn Write) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, &config.vars)?;
        writeln!(out)?;
    } else if shell {
        for (k, v) in &config.vars {
            writeln!(out, "{k}={}", shell_quote(v))?;
        }
    } else {
        let width = config.vars.keys().map(String::len).max().unwrap_or(0);
        for (k, v) in &config.vars {
            let key = format!("{k}:");
            // A multi-line value keeps its lines under the value column.
            let v = v.replace('\n', &format!("\n{}", " ".repeat(width + 2)));
            for line in format!("{key:<w$} {v}", w = width + 1).lines() {
                writeln!(out, "{}", line.trim_end())?;
            }
        }
    }
    Ok(())
}

pub fn run(ctx: &Ctx, args: ConfigArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let config = ops::base(&store)?.config;
    let mut out = super::stdout();
    if !args.json && !args.shell {
        writeln!(out, "=== {} Config Vars", store.settings.name)?;
    }
    render(&config, args.json, args.shell, &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_get(ctx: &Ctx, args: ConfigGetArgs) -> Result<ExitCode> {
    let config = current_config(ctx)?;
    match config.vars.get(&args.key) {
        Some(v) => {
            let mut out = super::stdout();
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
