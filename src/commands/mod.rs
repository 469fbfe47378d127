//! One thin module per command: parse arguments, call the core, render.
//! Data goes to stdout; status lines, progress and warnings go to stderr.

pub mod activate;
pub mod addons;
pub mod cat_object;
pub mod checkout_slug;
pub mod config;
pub mod deploy;
pub mod diff;
pub mod exec;
pub mod export_slug;
pub mod fsck;
pub mod gc;
pub mod generate;
pub mod init;
pub mod list_objects;
pub mod ls_slug;
pub mod missing_objects;
pub mod pack_objects;
pub mod push;
pub mod receive_pack;
pub mod releases;
pub mod releases_info;
pub mod releases_output;
pub mod releases_retry;
pub mod rev_parse;
pub mod rollback;
pub mod serve;
pub mod show_release;
pub mod status;
pub mod write_config;
pub mod write_release;
pub mod write_slug;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use crate::cli::ctx::Ctx;
use crate::cli::{Cli, Command};

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    let lock_timeout = match cli.lock_timeout {
        Some(s) if !(s.is_finite() && s >= 0.0) => {
            anyhow::bail!("--lock-timeout {s}: give a number of seconds, 0 or more")
        }
        s => s.map(Duration::from_secs_f64),
    };
    let ctx = Ctx {
        chdir: cli.chdir,
        quiet: cli.quiet,
        lock_timeout,
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
    };
    match cli.command {
        Command::Init(a) => init::run(&ctx, a),
        Command::Deploy(a) => deploy::run(&ctx, a),
        Command::Releases(a) => releases::run(&ctx, a),
        Command::ReleasesInfo(a) => releases_info::run(&ctx, a),
        Command::ReleasesOutput(a) => releases_output::run(&ctx, a),
        Command::ReleasesRetry(a) => releases_retry::run(&ctx, a),
        Command::Rollback(a) => rollback::run(&ctx, a),
        Command::Config(a) => config::run(&ctx, a),
        Command::ConfigGet(a) => config::run_get(&ctx, a),
        Command::ConfigSet(a) => config::run_set(&ctx, a),
        Command::ConfigUnset(a) => config::run_unset(&ctx, a),
        Command::Addons(a) => addons::run(&ctx, a),
        Command::AddonsAdd(a) => addons::run_add(&ctx, a),
        Command::AddonsRemove(a) => addons::run_remove(&ctx, a),
        Command::AddonsUpgrade(a) => addons::run_plan(&ctx, a, addons::PlanChange::Upgrade),
        Command::AddonsDowngrade(a) => addons::run_plan(&ctx, a, addons::PlanChange::Downgrade),
        Command::Exec(a) => exec::run(&ctx, a),
        Command::Diff(a) => diff::run(&ctx, a),
        Command::Status(a) => status::run(&ctx, a),
        Command::WriteSlug(a) => write_slug::run(&ctx, a),
        Command::LsSlug(a) => ls_slug::run(&ctx, a),
        Command::CheckoutSlug(a) => checkout_slug::run(&ctx, a),
        Command::ExportSlug(a) => export_slug::run(&ctx, a),
        Command::CatObject(a) => cat_object::run(&ctx, a),
        Command::WriteConfig(a) => write_config::run(&ctx, a),
        Command::ReadConfig(a) => write_config::run_read(&ctx, a),
        Command::WriteRelease(a) => write_release::run(&ctx, a),
        Command::ShowRelease(a) => show_release::run(&ctx, a),
        Command::RevParse(a) => rev_parse::run(&ctx, a),
        Command::Activate(a) => activate::run(&ctx, a),
        Command::Fsck(a) => fsck::run(&ctx, a),
        Command::Gc(a) => gc::run(&ctx, a),
        Command::Push(a) => push::run(&ctx, a),
        Command::Serve(a) => serve::run(&ctx, a),
        Command::ListObjects(a) => list_objects::run(&ctx, a),
        Command::MissingObjects(a) => missing_objects::run(&ctx, a),
        Command::PackObjects(a) => pack_objects::run(&ctx, a),
        Command::ReceivePack(a) => receive_pack::run(&ctx, a),
        Command::Generate(a) => generate::run(&ctx, a),
    }
}
