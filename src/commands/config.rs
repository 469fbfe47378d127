use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{Ctx, author, done, settle};
use crate::config::{Config, check_key, parse_assignment};
use crate::ops::{self, Plan};

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
    pub key: String,
}

#[derive(Debug, Args)]
pub struct ConfigSetArgs {
    /// KEY=VALUE assignments
    #[arg(required = true, value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Who makes the change (default: REL_BY, else user@host)
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    /// Do not run the restart hook
    #[arg(long)]
    pub no_restart: bool,
}

#[derive(Debug, Args)]
pub struct ConfigUnsetArgs {
    #[arg(required = true, value_name = "KEY")]
    pub keys: Vec<String>,
    /// Who makes the change (default: REL_BY, else user@host)
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    /// Do not run the restart hook
    #[arg(long)]
    pub no_restart: bool,
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
    check_key(&args.key)?;
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
    let pairs: Vec<(String, String)> = args
        .vars
        .iter()
        .map(|a| parse_assignment(a))
        .collect::<Result<_, _>>()?;
    let store = ctx.open()?;
    let who = author(args.by.as_deref())?;
    let lock = ctx.lock(&store)?;
    let new = match ops::config_set(&store, &pairs, &who)? {
        Plan::NoChange(why) => {
            ctx.status(format!("No changes: {why}"));
            return Ok(ExitCode::SUCCESS);
        }
        Plan::Release(new) => new,
    };
    ctx.status("Adding config vars:");
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in &pairs {
        ctx.status(format!("  {k:<width$} => {v}"));
    }
    let committed = ops::commit(
        &store,
        &lock,
        new,
        !args.no_restart,
        &ctx.progress(),
        &mut ctx.hook_sink(),
    )?;
    ctx.status(format!(
        "Updating vars{}... {}",
        restarting(args.no_restart),
        done(&committed.release)
    ));
    Ok(settle(&committed))
}

pub fn run_unset(ctx: &Ctx, args: ConfigUnsetArgs) -> Result<ExitCode> {
    for k in &args.keys {
        check_key(k)?;
    }
    let store = ctx.open()?;
    let who = author(args.by.as_deref())?;
    let lock = ctx.lock(&store)?;
    let before = ops::base(&store)?.config;
    let new = match ops::config_unset(&store, &args.keys, &who)? {
        Plan::NoChange(why) => {
            ctx.status(format!("No changes: {why}"));
            return Ok(ExitCode::SUCCESS);
        }
        Plan::Release(new) => new,
    };
    ctx.status("Removing config vars:");
    let mut shown = Vec::new();
    for k in args.keys.iter().filter(|k| before.vars.contains_key(*k)) {
        if !shown.contains(&k) {
            ctx.status(format!("  {k}"));
            shown.push(k);
        }
    }
    let committed = ops::commit(
        &store,
        &lock,
        new,
        !args.no_restart,
        &ctx.progress(),
        &mut ctx.hook_sink(),
    )?;
    ctx.status(format!(
        "Updating vars{}... {}",
        restarting(args.no_restart),
        done(&committed.release)
    ));
    Ok(settle(&committed))
}
