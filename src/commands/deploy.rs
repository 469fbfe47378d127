use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{Ctx, author, done, settle};
use crate::ops::{self, Plan};

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// A directory, or - for a tar stream (plain or zstd) on standard input
    pub source: PathBuf,
    /// The source revision (default: HEAD of SOURCE when it is a git work tree)
    #[arg(long, value_name = "REV")]
    pub commit: Option<String>,
    /// Who deploys (default: REL_BY, else user@host)
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    /// Make a release even when the slug equals the current one
    #[arg(long)]
    pub force: bool,
    /// Do not run the restart hook
    #[arg(long)]
    pub no_restart: bool,
}

/// HEAD of `dir` when it is the top of a git work tree.
fn git_head(dir: &Path) -> Option<String> {
    if !dir.join(".git").exists() {
        return None;
    }
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        // A deploy run from a git hook inherits GIT_DIR, which would name
        // the hook's repository instead of SOURCE's.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_COMMON_DIR")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let head = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !head.is_empty()).then_some(head)
}

pub fn run(ctx: &Ctx, args: DeployArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let who = author(args.by.as_deref())?;
    let commit = match &args.commit {
        Some(c) if c.trim().is_empty() || c.contains(char::is_whitespace) => {
            anyhow::bail!(
                "--commit '{c}' is not a revision; give the commit id, as in --commit \"$(git rev-parse HEAD)\""
            )
        }
        Some(c) => Some(c.clone()),
        None if args.source.as_os_str() != "-" => git_head(&ctx.start_dir()?.join(&args.source)),
        None => None,
    };
    // The checkout that follows is built while the source is read.
    store.prepare_checkout();
    let ingested = super::write_slug::ingest(ctx, Some(&store), &args.source)?;
    ctx.status(format!(
        "-----> Compressing... done, {}",
        human_size(ingested.stats.bytes)
    ));
    let lock = ctx.lock(&store)?;
    let plan = ops::deploy(&store, ingested.slug, commit, args.force, &who)?;
    let new = match plan {
        Plan::NoChange(why) => {
            ctx.status(format!("-----> Nothing to deploy: {why}"));
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
    ctx.status(format!("-----> Launching... {}", done(&committed.release)));
    if committed.release.succeeded()
        && let Some(keep) = store.settings.keep
    {
        let opts = crate::gc::GcOptions {
            keep: Some(keep),
            grace: std::time::Duration::from_secs(3600),
            dry_run: false,
        };
        let report = crate::gc::gc(&store, &lock, &opts)?;
        if report.objects_deleted > 0 || report.checkouts_removed > 0 {
            ctx.status(format!("-----> {}", super::gc::summary(&report, false)));
        }
    }
    Ok(settle(&committed))
}

/// 8.3MB, as Heroku prints slug sizes.
pub fn human_size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1}GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1}MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1}KB", b / 1e3)
    } else {
        format!("{bytes}B")
    }
}
