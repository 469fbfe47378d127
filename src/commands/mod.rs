//! The command table: [`Cli`] and [`Command`] (the clap definitions, also
//! the source of man pages and completions) and [`dispatch`]; then one thin
//! module per command: parse arguments, call the core, render. Commands
//! share only [`crate::cli`]'s context and rendering, never each other.
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

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand};

use crate::cli::ctx::Ctx;

/// Keep and switch application releases on one host
///
/// Every deploy, config change and add-on change makes a new numbered
/// release (v1, v2, ...) in the app's store, .releases/; rollback makes a new
/// release that copies an old one. Porcelain commands (deploy, releases,
/// rollback, config, addons, ...) are for people; plumbing commands
/// (write-slug, write-release, activate, ...) are for scripts.
///
/// Manual pages: rel(1), rel-COMMAND(1) (rel-releases-info(1) for
/// releases:info), rel-store(5), rel-hooks(5).
#[derive(Debug, Parser)]
#[command(name = "rel", version, max_term_width = 100)]
pub struct Cli {
    /// Run as if rel was started in PATH
    #[arg(short = 'C', value_name = "PATH", global = true)]
    pub chdir: Option<PathBuf>,

    /// Fail instead of waiting more than SECS seconds for the store's lock
    #[arg(long, value_name = "SECS", global = true, value_parser = parse_seconds)]
    pub lock_timeout: Option<f64>,

    /// Print no status lines or progress, only data, warnings and errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a store in PATH (default: the working directory)
    ///
    /// Creates PATH/.releases (and PATH, if missing) and makes no release:
    /// the first deploy, config change or add-on change is v1. The app's
    /// name defaults to the directory's name. The store is private to its
    /// owner; --group lets one group read it, for an app that runs as
    /// another user.
    Init(init::InitArgs),
    /// Store a directory or tar stream as a slug, release it and switch to it
    ///
    /// SOURCE is a directory, or - for a tar stream (plain or zstd) on
    /// standard input. The slug leaves out .git/ and .releases/ at any depth
    /// and whatever .slugignore (gitignore syntax, at the root of SOURCE)
    /// names; symlinks that leave the slug, device files and fifos are
    /// refused, and nothing is stored. The new release keeps the current
    /// config and add-ons; its change reads "Deploy" and seven hex digits of
    /// the commit (--commit, or HEAD when SOURCE is a git work tree), or of
    /// the slug id. When SOURCE is a git work tree whose tracked files differ
    /// from HEAD (uncommitted changes; untracked and ignored files do not
    /// count), the change reads "Deploy 1a2b3c4-dirty", as git describe
    /// --dirty, the manifest records dirty = true, and a warning says why.
    /// The release hook runs in the new checkout; if it succeeds, the
    /// release becomes current and the restart hook runs.
    ///
    /// A slug identical to the current release's makes no release and says
    /// so (exit status 0), unless --force. A SOURCE that holds no files (an
    /// empty directory, one whose files .slugignore leaves out, an empty
    /// tar stream) is refused, naming it, so a mistyped build path cannot
    /// take the app down: --allow-empty deploys it on purpose. - with a
    /// terminal on standard input is refused at once. With keep = N in
    /// settings.toml, rel gc --keep N runs after the deploy.
    Deploy(deploy::DeployArgs),
    /// List the release history, newest first
    ///
    /// A header names the app and the current release, then one line per
    /// release: version, change, who made it, and when (relative under 24
    /// hours, else local time). Failed and pruned releases say so after
    /// their change. Descriptions are never cut.
    Releases(releases::ReleasesArgs),
    /// Show one release
    ///
    /// Change, By, When, Addons and Config of the release, and whether
    /// rel rollback would accept it (Rollback: yes, or no and why: failed,
    /// pruned, or add-ons differ).
    #[command(name = "releases:info")]
    ReleasesInfo(releases_info::ReleasesInfoArgs),
    /// Print what the release hook printed for a release
    ///
    /// The release hook's output (standard output and standard error,
    /// merged) is kept in the store with each release it ran for.
    #[command(name = "releases:output")]
    ReleasesOutput(releases_output::ReleasesOutputArgs),
    /// Run the newest release's release phase again, in a new release
    ///
    /// Heroku's releases:retry, for a release phase that failed for a
    /// passing reason (a database that was down): a new release with the
    /// slug, config, add-ons and commit of the newest release, whose change
    /// reads "Retry vN". Its release hook runs; if it succeeds, the release
    /// becomes current and the restart hook runs, as for any release.
    #[command(name = "releases:retry")]
    ReleasesRetry(releases_retry::ReleasesRetryArgs),
    /// Make a new release that copies an earlier one's slug and config
    ///
    /// The new release copies the slug, config and add-ons of REV (default:
    /// the newest succeeded, unpruned release before current), runs the
    /// release hook, becomes current, and says how to undo it. Refused,
    /// changing nothing, when REV failed, was pruned by gc, or its add-ons
    /// differ from the current ones (add-ons are external resources: the
    /// refusal names the addons: commands that would make them match).
    Rollback(rollback::RollbackArgs),
    /// Show the current release's config vars
    Config(config::ConfigArgs),
    /// Print the value of one config var
    ///
    /// Exits with status 1 when the current release has no such var.
    #[command(name = "config:get")]
    ConfigGet(config::ConfigGetArgs),
    /// Set config vars, making a new release
    ///
    /// Keys match [A-Za-z_][A-Za-z0-9_]*; values are UTF-8 without NUL and
    /// may hold newlines; a malformed assignment is bad usage (exit status
    /// 2). Setting values that are already set makes no release (exit
    /// status 0), so scripts can run it again and again.
    #[command(name = "config:set")]
    ConfigSet(config::ConfigSetArgs),
    /// Remove config vars, making a new release
    ///
    /// Removing keys that are not set makes no release (exit status 0).
    #[command(name = "config:unset")]
    ConfigUnset(config::ConfigUnsetArgs),
    /// List the current release's add-ons
    Addons(addons::AddonsArgs),
    /// Add an add-on, making a new release
    ///
    /// rel records the add-on {name, service, plan} in the release; it
    /// provisions nothing. The config vars given with --config join the
    /// release's config and leave it with the add-on.
    #[command(name = "addons:add")]
    AddonsAdd(addons::AddonsAddArgs),
    /// Remove an add-on and its config vars, making a new release
    #[command(name = "addons:remove")]
    AddonsRemove(addons::AddonsRemoveArgs),
    /// Move an add-on to another plan, making a new release
    ///
    /// PLAN is a plan of the add-on's service, as PLAN or SERVICE:PLAN.
    /// addons:upgrade and addons:downgrade differ only in the change they
    /// record. Moving to the plan it is on makes no release.
    #[command(name = "addons:upgrade")]
    AddonsUpgrade(addons::AddonsPlanArgs),
    /// Move an add-on to another plan, making a new release
    ///
    /// PLAN is a plan of the add-on's service, as PLAN or SERVICE:PLAN.
    /// addons:upgrade and addons:downgrade differ only in the change they
    /// record. Moving to the plan it is on makes no release.
    #[command(name = "addons:downgrade")]
    AddonsDowngrade(addons::AddonsPlanArgs),
    /// Run a command in a release's checkout with its config vars
    ///
    /// rel replaces itself with CMD (exec), in the checkout of the release
    /// (default: current) and with its config vars, REL_VERSION, REL_SLUG
    /// and REL_APP added to the environment and PWD set to the checkout:
    /// signals and the exit status are CMD's. Made for systemd's
    /// ExecStart=.
    Exec(exec::ExecArgs),
    /// Show what changed between two releases
    ///
    /// With no release, compares the one before current with current; with
    /// one, that release with current. Lists config keys (+ added, - removed,
    /// ~ changed; values only with --values), add-ons, and files (A, M, D).
    /// The cost grows with the change, not with the slug.
    Diff(diff::DiffArgs),
    /// Show the current release and anything out of sync
    ///
    /// The current release, its checkout, the store's size, and each thing
    /// out of sync with the command that repairs it.
    Status(status::StatusArgs),
    /// Promote a release's slug to other app directories, here or over ssh
    ///
    /// Sends each destination (an app directory, or [USER@]HOST:PATH over
    /// ssh) only the objects it lacks, as one pack verified there before
    /// it is stored, and makes there a new release of the slug with the
    /// destination's own config vars and add-ons (unless --with-config).
    /// Every destination is prepared before any is activated; if one fails
    /// to prepare, none is activated; if one fails to activate, every
    /// destination this push switched is rolled back.
    Push(push::PushArgs),
    /// Serve rel push and read-only requests for a deploy key (forced command)
    ///
    /// Made for the command= option of an authorized_keys line: runs the
    /// request in SSH_ORIGINAL_COMMAND if it reads rel -C PATH COMMAND ARGS,
    /// PATH is one of the DIRs or below one, and COMMAND is one that rel
    /// push needs or one that only reads; refuses anything else.
    Serve(serve::ServeArgs),

    /// Store a directory or tar stream as a slug and print its id
    ///
    /// The same ingest as deploy: .slugignore is honoured, .git/ and
    /// .releases/ are left out, unsafe entries are refused. Makes no
    /// release and takes no lock.
    #[command(name = "write-slug")]
    WriteSlug(write_slug::WriteSlugArgs),
    /// List the entries of a slug
    ///
    /// One line per entry: mode, kind (file, exec, link, dir), id, size, a
    /// tab, and the path from the slug's root, so a line can be given back as
    /// PATH (quoted with C escapes when it is not plain UTF-8; as it is with
    /// -z).
    #[command(name = "ls-slug")]
    LsSlug(ls_slug::LsSlugArgs),
    /// Materialise a slug into a new or empty directory
    ///
    /// Every file is verified against its id as it is written; on any error
    /// DEST is left as it was. The files are plain files of their own, for
    /// people to change (0644 and 0755 less the umask): unlike the store's
    /// read-only checkouts, two files that hold the same bytes are never
    /// hard links to one another.
    #[command(name = "checkout-slug")]
    CheckoutSlug(checkout_slug::CheckoutSlugArgs),
    /// Write a slug as a tar stream on standard output
    ///
    /// The stream is the same bytes for the same slug: owner 0, mtime 0,
    /// modes 0644 and 0755.
    #[command(name = "export-slug")]
    ExportSlug(export_slug::ExportSlugArgs),
    /// Print an object's kind, size or content
    #[command(name = "cat-object")]
    CatObject(cat_object::CatObjectArgs),
    /// Store KEY=VALUE lines from standard input as a config and print its id
    #[command(name = "write-config")]
    WriteConfig(write_config::WriteConfigArgs),
    /// Print a config's vars as KEY=VALUE lines
    #[command(name = "read-config")]
    ReadConfig(write_config::ReadConfigArgs),
    /// Run the release phase and write a release manifest; print its version
    ///
    /// Takes the lock, allocates the next version, checks the slug out, runs
    /// the release hook (unless --no-hook) and writes the manifest as
    /// succeeded or failed. Does not activate: see rel activate. Prints the
    /// version on standard output when the release succeeded; when it
    /// failed, prints nothing there (no version to pipe on), names the
    /// version on standard error and exits with status 1. With --copy-of
    /// REV the release copies REV's slug, config and add-ons (a rollback).
    #[command(name = "write-release")]
    WriteRelease(write_release::WriteReleaseArgs),
    /// Print a release's manifest
    #[command(name = "show-release")]
    ShowRelease(show_release::ShowReleaseArgs),
    /// Resolve a revision to vN, or to its slug or config id
    #[command(name = "rev-parse")]
    RevParse(rev_parse::RevParseArgs),
    /// Make a release current and restart the app
    ///
    /// Checks the release out if needed, replaces CURRENT (the commit
    /// point), then the current link, then runs the restart hook. Refuses a
    /// failed or pruned release.
    Activate(activate::ActivateArgs),
    /// Verify every object, manifest and reference in the store
    ///
    /// Reads every object and checks its hash, every manifest, the objects
    /// each release needs, and CURRENT. Prints one problem per line on
    /// standard output and exits with status 1 if there is any; a current
    /// link that lags CURRENT and temporary files of writers that are gone
    /// are warnings, repaired by --repair.
    Fsck(fsck::FsckArgs),
    /// Delete objects and checkouts that no kept release needs
    ///
    /// Keeps the artifacts of the N newest succeeded releases, the current
    /// release, the default rollback target, and failed releases newer than
    /// the oldest kept one. Never deletes manifests (the history), configs,
    /// release output, or objects younger than the grace period. Releases
    /// whose slug is deleted are pruned: they cannot be rolled back to.
    Gc(gc::GcArgs),
    /// Print the id of every object a slug needs, one a line
    ///
    /// The slug's trees and blobs, each once, a tree before what it holds:
    /// the input of missing-objects and pack-objects.
    #[command(name = "list-objects")]
    ListObjects(list_objects::ListObjectsArgs),
    /// Print which of the object ids on standard input the store lacks
    #[command(name = "missing-objects")]
    MissingObjects(missing_objects::MissingObjectsArgs),
    /// Write the objects named on standard input as a pack stream
    ///
    /// The stream is a pack file's bytes (see rel-store(5)) on standard
    /// output, for rel receive-pack.
    #[command(name = "pack-objects")]
    PackObjects(pack_objects::PackObjectsArgs),
    /// Store the objects of a pack stream read from standard input
    ///
    /// Takes the lock, keeps the objects in a quarantine while it verifies
    /// every one (and, with --slug, that the slug is complete), and only
    /// then moves them into the store. Refused input stores nothing.
    #[command(name = "receive-pack")]
    ReceivePack(receive_pack::ReceivePackArgs),

    /// Write man pages or shell completions into a directory, for packagers
    ///
    /// The pages and scripts are generated from the same definitions as
    /// rel's own argument parsing, so they match this binary.
    Generate(generate::GenerateArgs),
}

/// A number of seconds, 0 or more (a bad one is a usage error, exit 2).
fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(s),
        _ => Err(format!("'{text}' is not a number of seconds, 0 or more")),
    }
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}

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
        Command::Serve(a) => serve::run(&ctx, a, command()),
        Command::ListObjects(a) => list_objects::run(&ctx, a),
        Command::MissingObjects(a) => missing_objects::run(&ctx, a),
        Command::PackObjects(a) => pack_objects::run(&ctx, a),
        Command::ReceivePack(a) => receive_pack::run(&ctx, a),
        Command::Generate(a) => generate::run(&ctx, a, command()),
    }
}
