//! Rewriting packs: gc drops unneeded packed objects by copying the
//! needed ones into a new pack (each decoded and verified as it is
//! copied), published before the old packs are removed; and packs are
//! merged so that a lookup never has more than a few indexes to search.

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use rayon::prelude::*;

use crate::error::{Result, io_at};
use crate::id::Id;
use crate::odb::format::Header;
use crate::odb::pack::{Entry, Pack, PackWriter};
use crate::store::Store;

/// More packs than this are merged (by gc, or after a deploy).
pub const MAX_PACKS: usize = 8;

/// Objects copied per batch: read and verified on every core, then
/// appended in order.
const BATCH: usize = 64;

/// What a new pack is made of.
#[derive(Default)]
pub struct RepackPlan {
    /// Old packs, with the entries of each to copy.
    pub packs: Vec<(Arc<Pack>, Vec<Entry>)>,
    /// Loose objects to copy.
    pub loose: Vec<Id>,
}

/// Writes the objects `plan` names into one new pack and publishes it
/// (durably); nothing when there is nothing to copy. A needed object that
/// fails verification fails the whole run, before anything is published.
/// Removes nothing: see [`remove_pack`].
pub fn write_pack(store: &Store, plan: &RepackPlan) -> Result<Option<PathBuf>> {
    let mut writer = PackWriter::create(store)?;
    for (pack, entries) in &plan.packs {
        for batch in entries.chunks(BATCH) {
            let copied: Vec<(Entry, Vec<u8>)> = batch
                .par_iter()
                .map(|e| Ok((*e, pack.read_verified(e)?)))
                .collect::<Result<_>>()?;
            for (e, bytes) in copied {
                writer.add(&e.id, e.kind, e.size, &bytes)?;
            }
        }
    }
    for batch in plan.loose.chunks(BATCH) {
        let copied: Vec<(Id, Header, Vec<u8>)> = batch
            .par_iter()
            .map(|id| {
                let (header, bytes) = store.read_loose_encoded(id)?;
                Ok((*id, header, bytes))
            })
            .collect::<Result<_>>()?;
        for (id, header, bytes) in copied {
            writer.add(&id, header.kind, header.size, &bytes)?;
        }
    }
    match writer.finish(store)? {
        Some(finished) => Ok(Some(finished.publish(store)?)),
        None => Ok(None),
    }
}

/// Removes a published pack: its index first (the pack is then invisible),
/// then the pack file.
pub fn remove_pack(pack: &Pack) -> Result<()> {
    let idx = &pack.index.path;
    match fs::remove_file(idx) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_at("delete", idx)(e)),
    }
    match fs::remove_file(&pack.path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_at("delete", &pack.path)(e)),
    }
}

/// Removes the packs without an index (a writer died between its two
/// renames) that `old` says are old enough to be nobody's work in progress.
pub fn remove_unindexed_packs(store: &Store, old: impl Fn(Option<SystemTime>) -> bool) {
    let Ok(entries) = fs::read_dir(store.pack_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "pack")
            && !path.with_extension("idx").exists()
            && entry.metadata().is_ok_and(|m| old(m.modified().ok()))
        {
            let _ = fs::remove_file(&path);
        }
    }
}

/// Which packs to merge so that at most [`MAX_PACKS`] remain and sizes
/// stay geometric (each kept pack at least twice all smaller ones
/// together), so that a merge rewrites mostly small packs: indexes into
/// `packs`, empty when no merge is due. `extra` packs will be added.
pub fn to_merge(packs: &[Arc<Pack>], extra: usize) -> Vec<usize> {
    if packs.len() + extra <= MAX_PACKS {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..packs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(packs[i].len()));
    let sizes: Vec<u64> = order.iter().map(|&i| packs[i].len()).collect();
    let mut k = 0;
    while k + 1 < sizes.len() && k < MAX_PACKS - 1 {
        let rest: u64 = sizes[k + 1..].iter().sum();
        if sizes[k] < 2 * rest {
            break;
        }
        k += 1;
    }
    let k = k.min(MAX_PACKS.saturating_sub(1 + extra));
    order[k..].to_vec()
}

/// Merges packs, when there are more than [`MAX_PACKS`], into one,
/// copying every object (nothing is dropped: gc alone decides that).
/// The caller holds the store's lock, so no gc runs meanwhile.
pub fn consolidate(store: &Store, _lock: &crate::lock::LockGuard) -> Result<()> {
    let set = store.packs_now()?;
    let merge = to_merge(&set.packs, 0);
    if merge.len() < 2 {
        return Ok(());
    }
    let plan = RepackPlan {
        packs: merge
            .iter()
            .map(|&i| {
                let p = &set.packs[i];
                (Arc::clone(p), p.index.entries().collect())
            })
            .collect(),
        loose: Vec::new(),
    };
    write_pack(store, &plan)?;
    for &i in &merge {
        remove_pack(&set.packs[i])?;
    }
    store.forget_packs();
    Ok(())
}
