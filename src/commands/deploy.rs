use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::checkout::PreparedCheckout;
use crate::cli::ctx::{Ctx, author};
use crate::cli::render::{self, done, settle};
use crate::ops::{self, Plan};
use crate::source;

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// A directory, or - for a tar stream (plain or zstd) on standard input
    pub source: PathBuf,
    /// The source commit: an id, or a revision git resolves in SOURCE (default: HEAD of SOURCE when it is a git work tree)
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
    /// Deploy even when SOURCE holds no files (a release that runs nothing)
    #[arg(long)]
    pub allow_empty: bool,
}

/// Whether `dir` holds nothing a slug would keep (`.git/` and `.releases/`
/// never go into one). False when it cannot be read: ingest says why.
fn holds_nothing(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .all(|e| e.file_name() == ".git" || e.file_name() == ".releases")
    })
}

/// Whether the slug holds no file and no link, only directories if any.
fn slug_is_empty(store: &crate::store::Store, slug: &crate::id::Id) -> Result<bool> {
    let mut trees = vec![*slug];
    while let Some(id) = trees.pop() {
        for entry in store.read_tree(&id)?.entries {
            if entry.kind != crate::tree::EntryKind::Dir {
                return Ok(false);
            }
            trees.push(entry.id);
        }
    }
    Ok(true)
}

/// The refusal of an empty source: a mistyped build path must not take the
/// app down with a release of nothing.
fn empty_source(source: &Path, dir: &Path) -> anyhow::Error {
    let (what, check) = if source.as_os_str() == "-" {
        (
            "the tar stream on standard input".to_string(),
            "what is piped",
        )
    } else {
        (format!("'{}'", dir.display()), "the path")
    };
    anyhow::anyhow!(
        "{what} holds no files to deploy, so its release would run nothing; check {check}, or give --allow-empty to deploy it anyway; nothing was released"
    )
}

pub fn run(ctx: &Ctx, args: DeployArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let who = author(args.by.as_deref())?;
    // A name is looked up in SOURCE, or for a tar stream where rel runs
    // (`git archive v1.2 | rel deploy - --commit v1.2`).
    let source_dir = if args.source.as_os_str() == "-" {
        ctx.start_dir()?
    } else {
        ctx.start_dir()?.join(&args.source)
    };
    let commit = match &args.commit {
        Some(rev) => Some(source::resolve_commit(rev, &source_dir)?),
        None if args.source.as_os_str() != "-" => source::git_head(&source_dir),
        None => None,
    };
    // HEAD names the slug only when the tracked files are HEAD's.
    let dirty = args.commit.is_none() && commit.is_some() && source::git_dirty(&source_dir);
    if let (true, Some(head)) = (dirty, &commit) {
        let short: String = head.chars().take(7).collect();
        eprintln!(
            "warning: '{}' has uncommitted changes to tracked files, so the slug is not commit {short}: it deploys as {short}-dirty (commit them for a deploy that names one commit)",
            source_dir.display()
        );
    }
    let source = args.source.as_path();
    if !args.allow_empty && source.as_os_str() != "-" && holds_nothing(&source_dir) {
        return Err(empty_source(source, &source_dir));
    }
    // The checkout that follows is built while the source is read.
    let prepared = PreparedCheckout::new(&store);
    let ingested = ctx.ingest(Some(&store), Some(&prepared), source)?;
    render::warn_outside(&ingested.outside);
    // Everything left out (.slugignore), or a stream of directories only.
    if !args.allow_empty && ingested.stats.files == 0 && slug_is_empty(&store, &ingested.slug)? {
        return Err(empty_source(source, &source_dir));
    }
    ctx.status(format!(
        "-----> Compressing... done, {}",
        render::human_size(store.slug_disk_size(&ingested.slug)?)
    ));
    let lock = ctx.lock(&store)?;
    let plan = ops::deploy(&store, ingested.slug, commit, dirty, args.force, &who)?;
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
        Some(prepared),
        !args.no_restart,
        &ctx.progress(),
        &mut ctx.hook_sink(),
    )?;
    ctx.status(format!("-----> Launching... {}", done(&committed.release)));
    // Housekeeping, once the release is made: its failure (a full disk)
    // is a warning, not a failed deploy.
    let v = committed.release.version;
    // One pack per deploy: merge some before lookups have many to search.
    if let Err(e) = crate::odb::repack::consolidate(&store, &lock) {
        eprintln!(
            "warning: v{v} was made, but the store's packs were not merged ({e}); 'rel gc' merges them"
        );
    }
    if committed.release.succeeded()
        && let Some(keep) = store.settings.keep
    {
        let opts = crate::gc::GcOptions {
            keep: Some(keep),
            grace: crate::gc::GRACE,
            dry_run: false,
        };
        match crate::gc::gc(&store, &lock, &opts) {
            Ok(report) if report.objects_deleted > 0 || report.checkouts_removed > 0 => {
                ctx.status(format!("-----> {}", render::gc_summary(&report, false)));
            }
            Ok(_) => {}
            Err(e) => eprintln!("warning: v{v} was made, but gc (keep {keep}) failed: {e}"),
        }
    }
    Ok(settle(&committed))
}
