//! gc: delete the objects and checkouts that no kept release needs.
//!
//! Never deleted: manifests (the history), config snapshots, release hook
//! output, anything younger than the grace period (so the objects of a
//! concurrent `write-slug`, which does not lock, survive), the current
//! release and the default rollback target. A dropped slug loses its root
//! tree first, so a crash halfway through gc leaves slugs either whole or
//! plainly pruned, never half-present; and before deleting anything it
//! records the releases it prunes (see `pruned.rs`), so that fsck can tell a
//! pruned release from one whose slug went missing.

use std::collections::HashSet;
use std::fs;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result, io_at};
use crate::history;
use crate::id::{Id, Kind};
use crate::lock::LockGuard;
use crate::manifest::Release;
use crate::odb::repack;
use crate::store::Store;
use crate::tree::EntryKind;

/// The grace period of `rel gc` without `--grace`, and of the gc a deploy
/// runs when settings.toml sets `keep`.
pub const GRACE: Duration = Duration::from_secs(3600);

#[derive(Clone, Debug)]
pub struct GcOptions {
    pub keep: Option<usize>,
    pub grace: Duration,
    pub dry_run: bool,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct GcReport {
    pub objects_deleted: u64,
    pub bytes_freed: u64,
    pub checkouts_removed: u64,
    /// Releases whose slug this run removed.
    pub pruned: Vec<u64>,
}

/// Every tree and blob reachable from `slugs`.
pub fn reachable(store: &Store, slugs: &[Id]) -> Result<HashSet<Id>> {
    let mut seen = HashSet::new();
    let mut stack: Vec<Id> = slugs.to_vec();
    while let Some(tree_id) = stack.pop() {
        if !seen.insert(tree_id) {
            continue;
        }
        for e in store.read_tree(&tree_id)?.entries {
            if e.kind == EntryKind::Dir {
                stack.push(e.id);
            } else {
                seen.insert(e.id);
            }
        }
    }
    Ok(seen)
}

/// The releases whose artifacts gc keeps with `keep`.
fn kept_versions(store: &Store, all: &[Release], keep: Option<usize>) -> Result<HashSet<u64>> {
    let Some(n) = keep else {
        return Ok(all.iter().map(|r| r.version).collect());
    };
    let mut kept: HashSet<u64> = all
        .iter()
        .rev()
        .filter(|r| r.succeeded())
        .take(n)
        .map(|r| r.version)
        .collect();
    if let Some(cur) = history::current_version(store)? {
        kept.insert(cur);
    }
    if let Some(target) = history::default_rollback_target(store)? {
        kept.insert(target.version);
    }
    let oldest = kept.iter().min().copied().unwrap_or(u64::MAX);
    kept.extend(
        all.iter()
            .filter(|r| !r.succeeded() && r.version > oldest)
            .map(|r| r.version),
    );
    Ok(kept)
}

/// Adds the releases this run prunes to the prune record, durably, before
/// any of their objects is deleted. A store without a record (made before
/// rel kept one) starts it with every release whose slug is missing now:
/// older gcs pruned those without recording them.
fn record_pruned(store: &Store, all: &[Release], pruning: &[u64]) -> Result<()> {
    let existing = store.read_pruned()?;
    let started = existing.is_some();
    let mut record = existing.unwrap_or_default();
    let before = record.releases.len();
    for r in all {
        if let Some(slug) = r.slug
            && (pruning.contains(&r.version) || (!started && !store.slug_present(&slug)))
        {
            record.releases.insert(r.version, slug);
        }
    }
    if !started || record.releases.len() != before {
        store.write_pruned(&record)?;
    }
    Ok(())
}

pub fn gc(store: &Store, lock: &LockGuard, opts: &GcOptions) -> Result<GcReport> {
    gc_with_progress(store, lock, opts, &crate::progress::Silent)
}

/// As [`gc`], reporting the deletions to `progress`.
pub fn gc_with_progress(
    store: &Store,
    _lock: &LockGuard,
    opts: &GcOptions,
    progress: &dyn crate::progress::Progress,
) -> Result<GcReport> {
    // A damaged index hides its pack's objects: a kept slug in it would
    // look absent, and what only that slug needs, unneeded.
    if let Some(Error::DamagedPack { path, detail }) = store.packs_now()?.broken_error() {
        return Err(Error::DamagedPack {
            path,
            detail: format!("{detail}; gc deletes nothing while a pack index is damaged"),
        });
    }
    let latest = history::latest_version(store);
    let all: Vec<Release> = (1..=latest)
        .map(|v| store.read_release(v))
        .collect::<Result<_>>()?;
    let kept = kept_versions(store, &all, opts.keep)?;
    let kept_slugs: Vec<Id> = all
        .iter()
        .filter(|r| kept.contains(&r.version))
        .filter_map(|r| r.slug)
        .filter(|s| store.slug_present(s))
        .collect();
    let mut live = reachable(store, &kept_slugs)?;
    for r in &all {
        live.insert(r.config);
        if let Some(o) = r.output {
            live.insert(o);
        }
    }
    let now = SystemTime::now();
    let young = |modified: Option<SystemTime>| {
        modified
            .and_then(|m| now.duration_since(m).ok())
            .is_none_or(|age| age < opts.grace)
    };

    // Loose objects to delete (id and bytes); roots are slugs' root trees.
    let mut roots = Vec::new();
    let mut rest = Vec::new();
    let dropped_slugs: HashSet<Id> = all
        .iter()
        .filter(|r| !kept.contains(&r.version))
        .filter_map(|r| r.slug)
        .collect();
    // Loose objects: the unneeded old ones go; small kept ones are packed.
    let set = store.packs_now()?;
    let mut to_pack = Vec::new();
    for obj in store.loose_objects()? {
        let id = obj.id;
        // Config snapshots are never deleted, referenced or not.
        let dead = !live.contains(&id)
            && !young(obj.modified)
            && !matches!(store.object_header(&id), Ok(h) if h.kind == Kind::Config);
        if !dead {
            if obj.disk_size <= crate::odb::SMALL_FILE {
                to_pack.push(id);
            }
        } else if dropped_slugs.contains(&id) {
            roots.push((id, obj.disk_size));
        } else {
            rest.push((id, obj.disk_size));
        }
    }
    // Packs: one younger than the grace period is kept whole (a concurrent
    // writer touches the pack of an object it needs); an older one with
    // unneeded objects is rewritten without them.
    let mut plan = repack::RepackPlan::default();
    let mut doomed_packs = Vec::new();
    let mut dropped: Vec<(Id, u64)> = Vec::new();
    let mut remaining = Vec::new();
    for pack in &set.packs {
        let old = store
            .pack_modified(pack)
            .is_some_and(|m| now.duration_since(m).is_ok_and(|age| age >= opts.grace));
        let (keep, gone): (Vec<_>, Vec<_>) = pack
            .index
            .entries()
            .partition(|e| !old || live.contains(&e.id) || e.kind == Kind::Config);
        if gone.is_empty() {
            remaining.push(Arc::clone(pack));
            continue;
        }
        let has_root = gone.iter().any(|e| dropped_slugs.contains(&e.id));
        dropped.extend(gone.iter().map(|e| (e.id, e.length)));
        doomed_packs.push((Arc::clone(pack), has_root));
        plan.packs.push((Arc::clone(pack), keep));
    }
    // Few packs stay: merge some if a lookup would search too many.
    let extra = usize::from(!plan.packs.is_empty() || !to_pack.is_empty());
    for i in repack::to_merge(&remaining, extra) {
        let pack = &remaining[i];
        doomed_packs.push((Arc::clone(pack), false));
        plan.packs
            .push((Arc::clone(pack), pack.index.entries().collect()));
    }
    // A loose copy of an object a kept pack holds is redundant.
    let stays = |id: &Id| {
        remaining.iter().any(|p| {
            !doomed_packs.iter().any(|(d, _)| Arc::ptr_eq(p, d)) && p.index.find(id).is_some()
        })
    };
    let (redundant, to_pack): (Vec<_>, Vec<_>) = to_pack.into_iter().partition(stays);
    plan.loose = to_pack;

    let mut report = GcReport::default();
    // Roots, loose or packed (a packed one's pack goes whole).
    let pruned_roots: HashSet<Id> = roots
        .iter()
        .map(|(id, _)| *id)
        .chain(dropped.iter().map(|(id, _)| *id))
        .filter(|id| dropped_slugs.contains(id))
        .collect();
    report.pruned = all
        .iter()
        .filter(|r| r.slug.is_some_and(|s| pruned_roots.contains(&s)))
        .map(|r| r.version)
        .collect();

    // Checkouts of slugs no kept release needs.
    let kept_set: HashSet<Id> = kept_slugs.iter().copied().collect();
    let current_slug = history::current_release(store)?.and_then(|r| r.slug);
    let checkouts = store.checkouts_dir();
    let mut doomed_checkouts = Vec::new();
    for entry in fs::read_dir(&checkouts).map_err(io_at("read", &checkouts))? {
        let entry = entry.map_err(io_at("read", &checkouts))?;
        let Ok(id) = entry.file_name().to_string_lossy().parse::<Id>() else {
            continue;
        };
        if !kept_set.contains(&id) && Some(id) != current_slug {
            doomed_checkouts.push(entry.path());
        }
    }
    report.checkouts_removed = doomed_checkouts.len() as u64;
    report.objects_deleted = (roots.len() + rest.len() + dropped.len()) as u64;
    report.bytes_freed = roots.iter().chain(rest.iter()).map(|(_, n)| n).sum::<u64>()
        + dropped.iter().map(|(_, n)| n).sum::<u64>();
    if opts.dry_run {
        return Ok(report);
    }
    record_pruned(store, &all, &report.pruned)?;

    // The needed objects of the packs to go, and the small loose ones, in
    // a new pack, published (durably) before anything is removed.
    if !plan.packs.is_empty() || !plan.loose.is_empty() {
        repack::write_pack(store, &plan)?;
    }
    progress.start("Deleting objects", Some(report.objects_deleted));
    // Roots first, made durable, so that a crash leaves no slug half-present.
    for (id, size) in &roots {
        store.delete_loose(id)?;
        progress.add(1, *size);
    }
    for (pack, _) in doomed_packs.iter().filter(|(_, root)| *root) {
        repack::remove_pack(pack)?;
        progress.add(pack.index.len() as u64, pack.len());
    }
    if !roots.is_empty() || doomed_packs.iter().any(|(_, root)| *root) {
        store.sync_all()?;
    }
    for (pack, _) in doomed_packs.iter().filter(|(_, root)| !*root) {
        repack::remove_pack(pack)?;
        progress.add(pack.index.len() as u64, pack.len());
    }
    for (id, size) in &rest {
        store.delete_loose(id)?;
        progress.add(1, *size);
    }
    // Loose objects now packed.
    for id in plan.loose.iter().chain(&redundant) {
        store.delete_loose(id)?;
    }
    store.forget_packs();
    progress.finish();
    // A pack without its index (a writer died between the two renames) is
    // garbage once it is old enough.
    repack::remove_unindexed_packs(store, |modified| !young(modified));
    for path in doomed_checkouts {
        // Renamed first, so a half-deleted checkout is never mistaken for a
        // complete one.
        let trash = store.temp_path("trash");
        fs::rename(&path, &trash).map_err(io_at("delete", &path))?;
        fs::remove_dir_all(&trash).map_err(io_at("delete", &trash))?;
    }
    // Leftovers of writers that are gone (never a live writer's), and
    // entries not named by rel once they are older than the grace period.
    use crate::store::tmp;
    tmp::remove(&tmp::leftovers(&store.tmp_dir(), Some(opts.grace)));
    Ok(report)
}
