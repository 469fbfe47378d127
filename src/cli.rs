//! The command line: clap definitions (also the source of man pages and
//! completions), argument normalisation, and the mapping of outcomes to exit
//! codes: 0 success, 1 failure, 2 bad usage.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::commands;

/// Keep and switch application releases on one host
///
/// Every deploy, config change and add-on change makes a new numbered
/// release (v1, v2, ...) in the app's store, .releases/; rollback makes a new
/// release that copies an old one. See rel(1).
#[derive(Debug, Parser)]
#[command(name = "rel", version, max_term_width = 100)]
pub struct Cli {
    /// Run as if rel was started in PATH
    #[arg(short = 'C', value_name = "PATH", global = true)]
    pub chdir: Option<PathBuf>,

    /// Fail instead of waiting more than SECS seconds for the store's lock
    #[arg(long, value_name = "SECS", global = true)]
    pub lock_timeout: Option<f64>,

    /// Print no status lines, only data and errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a store in PATH (default: the working directory)
    Init(commands::init::InitArgs),
    /// Store a directory or tar stream as a slug, release it and switch to it
    Deploy(commands::deploy::DeployArgs),
    /// List the release history, newest first
    Releases(commands::releases::ReleasesArgs),
    /// Show one release
    #[command(name = "releases:info")]
    ReleasesInfo(commands::releases_info::ReleasesInfoArgs),
    /// Print what the release hook printed for a release
    #[command(name = "releases:output")]
    ReleasesOutput(commands::releases_output::ReleasesOutputArgs),
    /// Make a new release that copies an earlier one's slug and config
    Rollback(commands::rollback::RollbackArgs),
    /// Show the current release's config vars
    Config(commands::config::ConfigArgs),
    /// Print the value of one config var
    #[command(name = "config:get")]
    ConfigGet(commands::config::ConfigGetArgs),
    /// Set config vars, making a new release
    #[command(name = "config:set")]
    ConfigSet(commands::config::ConfigSetArgs),
    /// Remove config vars, making a new release
    #[command(name = "config:unset")]
    ConfigUnset(commands::config::ConfigUnsetArgs),
    /// List the current release's add-ons
    Addons(commands::addons::AddonsArgs),
    /// Add an add-on, making a new release
    #[command(name = "addons:add")]
    AddonsAdd(commands::addons::AddonsAddArgs),
    /// Remove an add-on and its config vars, making a new release
    #[command(name = "addons:remove")]
    AddonsRemove(commands::addons::AddonsRemoveArgs),
    /// Move an add-on to another plan, making a new release
    #[command(name = "addons:upgrade")]
    AddonsUpgrade(commands::addons::AddonsPlanArgs),
    /// Move an add-on to another plan, making a new release
    #[command(name = "addons:downgrade")]
    AddonsDowngrade(commands::addons::AddonsPlanArgs),
    /// Run a command in a release's checkout with its config vars
    Exec(commands::exec::ExecArgs),
    /// Show what changed between two releases
    Diff(commands::diff::DiffArgs),
    /// Show the current release and anything out of sync
    Status(commands::status::StatusArgs),

    /// Store a directory or tar stream as a slug and print its id
    #[command(name = "write-slug")]
    WriteSlug(commands::write_slug::WriteSlugArgs),
    /// List the entries of a slug
    #[command(name = "ls-slug")]
    LsSlug(commands::ls_slug::LsSlugArgs),
    /// Materialise a slug into a new or empty directory
    #[command(name = "checkout-slug")]
    CheckoutSlug(commands::checkout_slug::CheckoutSlugArgs),
    /// Write a slug as a tar stream on standard output
    #[command(name = "export-slug")]
    ExportSlug(commands::export_slug::ExportSlugArgs),
    /// Print an object's kind, size or content
    #[command(name = "cat-object")]
    CatObject(commands::cat_object::CatObjectArgs),
    /// Store KEY=VALUE lines from standard input as a config and print its id
    #[command(name = "write-config")]
    WriteConfig(commands::write_config::WriteConfigArgs),
    /// Print a config's vars as KEY=VALUE lines
    #[command(name = "read-config")]
    ReadConfig(commands::write_config::ReadConfigArgs),
    /// Run the release phase and write a release manifest; print its version
    #[command(name = "write-release")]
    WriteRelease(commands::write_release::WriteReleaseArgs),
    /// Print a release's manifest
    #[command(name = "show-release")]
    ShowRelease(commands::show_release::ShowReleaseArgs),
    /// Resolve a revision to vN, or to its slug or config id
    #[command(name = "rev-parse")]
    RevParse(commands::rev_parse::RevParseArgs),
    /// Make a release current and restart the app
    Activate(commands::activate::ActivateArgs),
    /// Verify every object, manifest and reference in the store
    Fsck(commands::fsck::FsckArgs),
    /// Delete objects and checkouts that no kept release needs
    Gc(commands::gc::GcArgs),

    /// Write man pages or shell completions into a directory, for packagers
    Generate(commands::generate::GenerateArgs),
}

/// Global options, for commands.
#[derive(Debug, Clone, Args)]
pub struct Globals {
    pub quiet: bool,
    pub lock_timeout: Option<f64>,
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Groups whose space form (`releases info`) means the colon form.
const GROUPS: [(&str, &[&str]); 3] = [
    ("releases", &["info", "output"]),
    ("config", &["get", "set", "unset"]),
    ("addons", &["add", "remove", "upgrade", "downgrade"]),
];

/// Rewrites `rel releases info v3` as `rel releases:info v3`.
pub fn normalize_args(mut args: Vec<OsString>) -> Vec<OsString> {
    let mut i = 1;
    while i < args.len() {
        let a = args[i].to_string_lossy();
        if a == "-C" || a == "--lock-timeout" {
            i += 2;
            continue;
        }
        if a.starts_with('-') {
            i += 1;
            continue;
        }
        break;
    }
    if i + 1 < args.len() {
        let group = args[i].to_string_lossy().into_owned();
        let sub = args[i + 1].to_string_lossy().into_owned();
        if GROUPS
            .iter()
            .any(|(g, subs)| *g == group && subs.contains(&sub.as_str()))
        {
            args[i] = OsString::from(format!("{group}:{sub}"));
            args.remove(i + 1);
        }
    }
    args
}

/// The hidden helper of the completion scripts, `rel [-C PATH]
/// __complete-revisions`, handled before clap so that it appears in no
/// help, man page or completion. Returns the `-C` path, if the line is one.
fn completion_request(args: &[OsString]) -> Option<Option<PathBuf>> {
    match args.get(1..)? {
        [cmd] if cmd == "__complete-revisions" => Some(None),
        [flag, dir, cmd] if flag == "-C" && cmd == "__complete-revisions" => {
            Some(Some(PathBuf::from(dir)))
        }
        _ => None,
    }
}

/// Parses and runs a command line; never panics on bad input.
pub fn run(args: Vec<OsString>) -> ExitCode {
    if let Some(chdir) = completion_request(&args) {
        return commands::generate::print_revisions(chdir);
    }
    let args = normalize_args(args);
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            if commands::is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("rel: error: {}", commands::one_line_error(&e));
            ExitCode::from(1)
        }
    }
}
