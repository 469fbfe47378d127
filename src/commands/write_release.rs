use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::{Ctx, release_time, who};
use crate::cli::render;
use crate::history;
use crate::manifest::Addon;
use crate::release::{self, NewRelease};

#[derive(Debug, Args)]
pub struct WriteReleaseArgs {
    /// The slug (tree id or unique prefix)
    #[arg(long, value_name = "ID", conflicts_with = "copy_of")]
    pub slug: Option<String>,
    /// The config (config id or unique prefix)
    #[arg(
        long,
        value_name = "ID",
        required_unless_present_any = ["copy_of", "base"],
        conflicts_with = "copy_of"
    )]
    pub config: Option<String>,
    /// An add-on of the release, as NAME=PLAN (PLAN is SERVICE or SERVICE:PLAN)
    #[arg(
        long = "addon",
        value_name = "NAME=PLAN",
        conflicts_with_all = ["copy_of", "base"]
    )]
    pub addons: Vec<String>,
    /// Keep the config (unless --config) and add-ons of REV; current before
    /// the first release means none
    #[arg(long, value_name = "REV", conflicts_with = "copy_of")]
    pub base: Option<String>,
    /// Copy the slug, config and add-ons of REV (a rollback)
    #[arg(long, value_name = "REV")]
    pub copy_of: Option<String>,
    /// The change description, as in "Deploy 1a2b3c4"
    #[arg(long, value_name = "MSG")]
    pub change: String,
    /// The source revision the slug was built from
    #[arg(long, value_name = "REV")]
    pub commit: Option<String>,
    /// The slug came from a work tree of --commit with uncommitted changes
    #[arg(long, requires = "commit")]
    pub dirty: bool,
    /// Who makes the release (default: REL_BY, else user@host)
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    /// Do not run the release hook
    #[arg(long)]
    pub no_hook: bool,
}

/// Parses `NAME=PLAN` into an add-on record.
pub fn parse_addon(text: &str) -> Result<Addon> {
    let Some((name, plan)) = text.split_once('=') else {
        anyhow::bail!(
            "--addon '{text}' is not NAME=PLAN; write it as in --addon cache=memcachier:dev"
        );
    };
    let service = plan.split(':').next().unwrap_or("");
    if name.is_empty() || service.is_empty() {
        anyhow::bail!(
            "--addon '{text}' is not NAME=PLAN; write it as in --addon cache=memcachier:dev"
        );
    }
    Ok(Addon {
        name: name.to_string(),
        service: service.to_string(),
        plan: plan.to_string(),
        config_vars: Vec::new(),
    })
}

/// The release `--base` names; None for `current` before the first release.
fn base_release(
    store: &crate::store::Store,
    rev: &str,
) -> Result<Option<crate::manifest::Release>> {
    if rev == "current" {
        return Ok(history::current_release(store)?);
    }
    Ok(Some(history::resolve_text(store, rev)?))
}

pub fn run(ctx: &Ctx, args: WriteReleaseArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let by = who(args.by.as_deref());
    let created_at = release_time()?;
    // Taken before --base is read, so that no change slips in between.
    let lock = ctx.lock(&store)?;
    let mut new = match &args.copy_of {
        Some(rev) => {
            let of = history::resolve_text(&store, rev)?;
            NewRelease::copy_of(&of, args.change.clone(), by, created_at)
        }
        None => NewRelease {
            slug: args
                .slug
                .as_deref()
                .map(|s| history::resolve_slug_arg(&store, s))
                .transpose()?,
            config: match (&args.config, &args.base) {
                (Some(id), _) => store.resolve_id(id)?,
                (None, Some(rev)) => base_release(&store, rev)?
                    .map(|r| Ok(r.config))
                    .unwrap_or_else(|| store.write_config(&Default::default()))?,
                (None, None) => anyhow::bail!("give --config ID or --base REV"),
            },
            addons: match &args.base {
                Some(rev) => base_release(&store, rev)?
                    .map(|r| r.addons)
                    .unwrap_or_default(),
                None => args
                    .addons
                    .iter()
                    .map(|a| parse_addon(a))
                    .collect::<Result<_>>()?,
            },
            change: args.change.clone(),
            by,
            created_at,
            commit: None,
            dirty: false,
            rollback_of: None,
            run_hook: true,
        },
    };
    if let Some(rev) = &args.commit {
        if !crate::source::is_commit_id(rev) {
            anyhow::bail!(
                "--commit '{rev}' is not a commit id (7 to 64 hex digits); give the full id, as in --commit \"$(git rev-parse HEAD)\""
            );
        }
        new.commit = Some(rev.to_ascii_lowercase());
        new.dirty = args.dirty;
    }
    new.run_hook = !args.no_hook;
    let release = release::write_release(
        &store,
        &lock,
        new,
        None,
        &ctx.progress(),
        &mut ctx.hook_sink(),
    )?;
    // A failed release prints no version: there is nothing to activate,
    // and `v=$(rel write-release …)` must not hand one on.
    if !release.succeeded() {
        eprintln!("{}", render::release_failed(&release));
        return Ok(ExitCode::from(1));
    }
    let mut out = render::stdout();
    writeln!(out, "{}", release.name())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
