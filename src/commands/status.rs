use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::history;
use crate::pruned::{SlugState, slug_state};

#[derive(Debug, Args)]
pub struct StatusArgs {}

pub fn run(ctx: &Ctx, _args: StatusArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let mut out = super::stdout();
    writeln!(out, "=== {}", store.settings.name)?;
    let label = |k: &str| format!("{:<13}", format!("{k}:"));
    let mut problems = Vec::new();
    // A CURRENT that cannot be read is reported, not fatal: status is
    // where one looks when the store is out of sync.
    let unknown = crate::release::current_unknown(&store)?;
    let current = match &unknown {
        Some(problem) => {
            problems.push(problem.clone());
            None
        }
        None => history::current_release(&store)?,
    };
    match &current {
        Some(r) => writeln!(out, "{}{} ({})", label("Current"), r.name(), r.change)?,
        None => writeln!(out, "{}none", label("Current"))?,
    }
    let latest = history::latest_version(&store);
    writeln!(out, "{}{latest}", label("Releases"))?;
    if let Some(slug) = current.as_ref().and_then(|r| r.slug) {
        let path = store.checkout_path(&slug);
        writeln!(out, "{}{}", label("Checkout"), path.display())?;
        if !path.is_dir() {
            problems
                .push("the current checkout is missing; run 'rel activate current'".to_string());
        }
    }
    let (objects, bytes) = store.object_usage()?;
    writeln!(
        out,
        "{}{} in {} objects",
        label("Store"),
        super::deploy::human_size(bytes),
        objects
    )?;
    if unknown.is_none()
        && let Some(lag) = crate::release::current_link_lags(&store)?
    {
        problems.push(format!(
            "{lag}; run 'rel activate current' (or 'rel fsck --repair')"
        ));
    }
    // Every manifest, oldest first.
    let mut all = history::newest(&store, None);
    all.reverse();
    let unreadable: Vec<u64> = all
        .iter()
        .filter_map(|(v, r)| r.is_err().then_some(*v))
        .collect();
    if !unreadable.is_empty() {
        let manifests = if unreadable.len() == 1 {
            "the manifest"
        } else {
            "the manifests"
        };
        problems.push(format!(
            "{manifests} of {} cannot be read; run 'rel fsck'",
            history::version_list(&unreadable)
        ));
    }
    let record = store.read_pruned().ok().flatten();
    let missing: Vec<u64> = all
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .filter(|r| slug_state(&store, record.as_ref(), r) == SlugState::Missing)
        .map(|r| r.version)
        .collect();
    if !missing.is_empty() {
        let (slugs, are, them) = if missing.len() == 1 {
            ("the slug", "is", "it")
        } else {
            ("the slugs", "are", "them")
        };
        problems.push(format!(
            "{slugs} of {} {are} missing, and gc did not prune {them}; run 'rel fsck'",
            history::version_list(&missing)
        ));
    }
    if let Some(cur) = current.as_ref()
        && cur.version < latest
        && let Ok(newer) = store.read_release(latest)
        && newer.succeeded()
    {
        problems.push(format!(
            "{} is newer than the current {} but not active; activate it with 'rel activate {}'",
            newer.name(),
            cur.name(),
            newer.name()
        ));
    }
    if let Some(leftovers) = store.tmp_leftovers() {
        problems.push(format!("{leftovers}; remove them with 'rel fsck --repair'"));
    }
    if problems.is_empty() {
        writeln!(out, "{}in sync", label("State"))?;
    } else {
        for p in &problems {
            writeln!(out, "{}{p}", label("Out of sync"))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
