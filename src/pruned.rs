//! The prune record, `.releases/pruned`: the releases whose slug gc removed,
//! each with that slug's id, so that a pruned release is told apart from one
//! whose slug went missing (damage, which fsck names).
//!
//! Manifests are never edited, so gc cannot mark them; it records here
//! instead, replacing the file atomically and durably *before* it deletes a
//! slug's root tree. A crash in between leaves a release recorded as pruned
//! whose slug is still whole (harmless: it is not shown as pruned, and the
//! next gc prunes it), never a removed slug that is not recorded.
//!
//! A store made before rel kept this record has no such file; then a missing
//! slug is taken as pruned, as before. The first gc on such a store starts
//! the record with every release whose slug is missing at that moment (older
//! gcs pruned them without saying so); from then on the record is exact.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::PathBuf;

use crate::error::{Error, Result, io_at};
use crate::id::Id;
use crate::manifest::Release;
use crate::store::Store;

/// The first line of the record.
pub const HEADER: &str = "rel-pruned 1";

/// Where a release's slug is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlugState {
    /// In the store, or the release has none.
    Present,
    /// Removed by gc, as the record says (or, in a store without a record,
    /// simply absent).
    Pruned,
    /// Absent, but gc did not prune it: damage that `rel fsck` names.
    Missing,
}

/// Where `release`'s slug is; `record` is the store's prune record, read
/// once by the caller.
pub fn slug_state(store: &Store, record: Option<&PruneRecord>, release: &Release) -> SlugState {
    match (release.slug, record) {
        (Some(slug), _) if store.slug_present(&slug) => SlugState::Present,
        (None, _) => SlugState::Present,
        (Some(slug), Some(record)) if !record.pruned(release.version, &slug) => SlugState::Missing,
        (Some(_), _) => SlugState::Pruned,
    }
}

/// Pruned releases: version → the slug id gc removed for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PruneRecord {
    pub releases: BTreeMap<u64, Id>,
}

impl PruneRecord {
    /// Whether gc pruned release `version` whose manifest names `slug`.
    pub fn pruned(&self, version: u64, slug: &Id) -> bool {
        self.releases.get(&version) == Some(slug)
    }

    fn encode(&self) -> String {
        let mut text = format!("{HEADER}\n");
        for (v, slug) in &self.releases {
            text.push_str(&format!("v{v} {slug}\n"));
        }
        text
    }
}

impl Store {
    pub fn pruned_path(&self) -> PathBuf {
        self.dir.join("pruned")
    }

    /// The prune record; `None` for a store made before rel kept one.
    pub fn read_pruned(&self) -> Result<Option<PruneRecord>> {
        let path = self.pruned_path();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_at("read", &path)(e)),
        };
        let malformed = |n: usize, what: &str| {
            Error::refused(format!(
                "'{}' is malformed: line {n} {what}; fix it, or delete it and run 'rel gc' to start a new record",
                path.display()
            ))
        };
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(malformed(1, &format!("is not '{HEADER}'")));
        }
        let mut record = PruneRecord::default();
        for (i, line) in lines.enumerate() {
            let entry = line.split_once(' ').and_then(|(v, slug)| {
                let v = v.strip_prefix('v')?;
                v.bytes().all(|b| b.is_ascii_digit()).then_some(())?;
                Some((v.parse::<u64>().ok()?, slug.parse::<Id>().ok()?))
            });
            let Some((v, slug)) = entry else {
                return Err(malformed(i + 2, "is not 'vN SLUG-ID'"));
            };
            record.releases.insert(v, slug);
        }
        Ok(Some(record))
    }

    /// Replaces the record atomically and durably. The caller holds the lock.
    pub(crate) fn write_pruned(&self, record: &PruneRecord) -> Result<()> {
        self.write_atomic(&self.pruned_path(), record.encode().as_bytes(), false)
    }
}
