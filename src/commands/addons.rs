use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use crate::cli::args::{self, ReleaseOpts};
use crate::cli::ctx::Ctx;
use crate::cli::render::{self, done, settle};
use crate::ops;

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
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = args::assignment)]
    pub config: Vec<(String, String)>,
    #[command(flatten)]
    pub release: ReleaseOpts,
}

#[derive(Debug, Args)]
pub struct AddonsRemoveArgs {
    pub name: String,
    #[command(flatten)]
    pub release: ReleaseOpts,
}

#[derive(Debug, Args)]
pub struct AddonsPlanArgs {
    pub name: String,
    /// The new plan: PLAN or SERVICE:PLAN
    pub plan: String,
    #[command(flatten)]
    pub release: ReleaseOpts,
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
    let mut out = render::stdout();
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
    let vars = args.config;
    let change = ctx.begin_change(&args.release)?;
    let store = &change.store;
    let (plan, addon) = ops::addon_add(
        store,
        &args.spec,
        args.name.as_deref(),
        &vars,
        &change.author,
    )?;
    let Some(new) = ctx.planned(plan) else {
        return Ok(ExitCode::SUCCESS);
    };
    let committed = ctx.commit(&change, new)?;
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
    let change = ctx.begin_change(&args.release)?;
    let store = &change.store;
    let Some(new) = ctx.planned(ops::addon_remove(store, &args.name, &change.author)?) else {
        return Ok(ExitCode::SUCCESS);
    };
    let committed = ctx.commit(&change, new)?;
    ctx.status(format!(
        "Removing {} from {}... {}",
        args.name,
        store.settings.name,
        done(&committed.release)
    ));
    Ok(settle(&committed))
}

pub fn run_plan(ctx: &Ctx, args: AddonsPlanArgs, way: PlanChange) -> Result<ExitCode> {
    let change = ctx.begin_change(&args.release)?;
    let store = &change.store;
    let (plan, new_plan) = ops::addon_plan(store, &args.name, &args.plan, way, &change.author)?;
    let Some(new) = ctx.planned(plan) else {
        return Ok(ExitCode::SUCCESS);
    };
    let committed = ctx.commit(&change, new)?;
    ctx.status(format!(
        "Changing {} on {} to {new_plan}... {}",
        args.name,
        store.settings.name,
        done(&committed.release)
    ));
    Ok(settle(&committed))
}
