use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{Ctx, author, done, settle};
use crate::config::parse_assignment;
use crate::ops::{self, Plan};

pub use crate::ops::PlanChange;

#[derive(Debug, Args)]
pub struct AddonsArgs {
    /// Print a JSON array of {name, service, plan}
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AddonsAddArgs {
    /// The service, with an optional plan: memcachier or memcachier:dev
    #[arg(value_name = "SERVICE[:PLAN]")]
    pub spec: String,
    /// Name the add-on NAME instead of SERVICE
    #[arg(long = "as", value_name = "NAME")]
    pub name: Option<String>,
    /// A config var the add-on brings; it leaves with the add-on (repeatable)
    #[arg(long = "config", value_name = "KEY=VALUE")]
    pub config: Vec<String>,
    /// Who makes the change (default: REL_BY, else user@host)
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    /// Do not run the restart hook
    #[arg(long)]
    pub no_restart: bool,
}

#[derive(Debug, Args)]
pub struct AddonsRemoveArgs {
    pub name: String,
    /// Who makes the change (default: REL_BY, else user@host)
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    /// Do not run the restart hook
    #[arg(long)]
    pub no_restart: bool,
}

#[derive(Debug, Args)]
pub struct AddonsPlanArgs {
    pub name: String,
    /// The new plan: PLAN or SERVICE:PLAN
    pub plan: String,
    /// Who makes the change (default: REL_BY, else user@host)
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    /// Do not run the restart hook
    #[arg(long)]
    pub no_restart: bool,
}

#[derive(Serialize)]
struct AddonJson<'a> {
    name: &'a str,
    service: &'a str,
    plan: &'a str,
}

pub fn run(ctx: &Ctx, args: AddonsArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let addons = ops::base(&store)?.addons;
    let mut out = super::stdout();
    if args.json {
        let list: Vec<AddonJson> = addons
            .iter()
            .map(|a| AddonJson {
                name: &a.name,
                service: &a.service,
                plan: &a.plan,
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
    } else {
        writeln!(out, "=== {} Add-ons", store.settings.name)?;
        let width = addons.iter().map(|a| a.name.len()).max().unwrap_or(0);
        for a in &addons {
            writeln!(out, "{:<width$}  {}", a.name, a.plan)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_add(ctx: &Ctx, args: AddonsAddArgs) -> Result<ExitCode> {
    let vars: Vec<(String, String)> = args
        .config
        .iter()
        .map(|a| parse_assignment(a))
        .collect::<Result<_, _>>()?;
    let store = ctx.open()?;
    let who = author(args.by.as_deref())?;
    let lock = ctx.lock(&store)?;
    let (plan, addon) = ops::addon_add(&store, &args.spec, args.name.as_deref(), &vars, &who)?;
    let Plan::Release(new) = plan else {
        unreachable!("adding an add-on always changes the release");
    };
    let committed = ops::commit(
        &store,
        &lock,
        new,
        !args.no_restart,
        &ctx.progress(),
        &mut ctx.hook_sink(),
    )?;
    let plan_part = ops::split_plan(&args.spec)?
        .1
        .map(|p| format!(" ({p})"))
        .unwrap_or_default();
    ctx.status(format!(
        "Adding {} to {}... {}{plan_part}",
        addon.service,
        store.settings.name,
        done(&committed.release)
    ));
    Ok(settle(&committed))
}

pub fn run_remove(ctx: &Ctx, args: AddonsRemoveArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let who = author(args.by.as_deref())?;
    let lock = ctx.lock(&store)?;
    let Plan::Release(new) = ops::addon_remove(&store, &args.name, &who)? else {
        unreachable!("removing an add-on always changes the release");
    };
    let committed = ops::commit(
        &store,
        &lock,
        new,
        !args.no_restart,
        &ctx.progress(),
        &mut ctx.hook_sink(),
    )?;
    ctx.status(format!(
        "Removing {} from {}... {}",
        args.name,
        store.settings.name,
        done(&committed.release)
    ));
    Ok(settle(&committed))
}

pub fn run_plan(ctx: &Ctx, args: AddonsPlanArgs, way: PlanChange) -> Result<ExitCode> {
    let store = ctx.open()?;
    let who = author(args.by.as_deref())?;
    let lock = ctx.lock(&store)?;
    let (plan, new_plan) = ops::addon_plan(&store, &args.name, &args.plan, way, &who)?;
    let new = match plan {
        Plan::NoChange(why) => {
            ctx.status(format!("No changes: {why}"));
            return Ok(ExitCode::SUCCESS);
        }
        Plan::Release(new) => new,
    };
    let committed = ops::commit(
        &store,
        &lock,
        new,
        !args.no_restart,
        &ctx.progress(),
        &mut ctx.hook_sink(),
    )?;
    ctx.status(format!(
        "Changing {} on {} to {new_plan}... {}",
        args.name,
        store.settings.name,
        done(&committed.release)
    ));
    Ok(settle(&committed))
}
