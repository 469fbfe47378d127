//! Durability: what this process wrote that must reach the disk before a
//! manifest or CURRENT names it. A release commit makes new objects durable
//! either one by one (a process's first few objects, each synced before it
//! is named, then its fan directory and `objects/`) or with one
//! [`Store::sync_all`] (a deploy's many).

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::id::Id;
use crate::store::Store;

impl Store {
    /// Makes durable what this process wrote to the store (objects,
    /// checkouts), before a manifest or CURRENT names it: nothing when it
    /// wrote nothing; the few object files and their directories one by one;
    /// else everything, with one `syncfs`. The `syncfs` also flushes what
    /// other processes wrote (a `write-slug` before a `write-release`), so
    /// callers that name objects they did not write, and that no manifest
    /// names yet, call [`sync_all`](Self::sync_all) instead: see
    /// [`wrote`](Self::wrote).
    pub fn sync_written(&self) -> Result<()> {
        // A pack is made durable as it is published.
        self.publish_pack()?;
        let files = match self.odb.unsynced.take() {
            Written::Nothing => return Ok(()),
            Written::Files(files) => files,
            Written::Everything => return self.sync_all(),
        };
        // The files themselves were synced before they were named (see
        // `put_object`); their names are made durable here.
        let mut dirs: Vec<&Path> = files.iter().filter_map(|(_, p)| p.parent()).collect();
        dirs.sort_unstable();
        dirs.dedup();
        for dir in dirs {
            crate::store::sync_dir(dir)?;
        }
        // A fan directory this process created is an entry of `objects/`,
        // lost at a power cut (with the objects in it) until that is synced.
        crate::store::sync_dir(&self.objects_dir())
    }

    /// Whether this process wrote object `id` (so that
    /// [`sync_written`](Self::sync_written) makes it durable, if it is not
    /// already), or wrote so much that `sync_written` will `syncfs`.
    pub fn wrote(&self, id: &Id) -> bool {
        self.odb.unsynced.has(id) || self.odb.known.is_ours(id)
    }

    /// Forgets what was written: a `syncfs` made it durable.
    pub(crate) fn all_synced(&self) {
        self.odb.unsynced.take();
    }

    /// Notes that files outside the objects (a checkout) were written.
    pub(crate) fn wrote_files(&self) {
        self.odb.unsynced.everything();
    }
}

/// What a process wrote that [`Store::sync_written`] must make durable: a
/// few object files, or too much to name (then one `syncfs`).
#[derive(Debug, Default)]
pub struct Unsynced {
    state: std::sync::Mutex<Written>,
}

#[derive(Debug, Default)]
pub(crate) enum Written {
    #[default]
    Nothing,
    Files(Vec<(Id, PathBuf)>),
    Everything,
}

/// Past this many objects, one `syncfs` is cheaper than an fsync each.
const FEW: usize = 16;

impl Unsynced {
    fn lock(&self) -> std::sync::MutexGuard<'_, Written> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes an object about to be written: true when it is one of the
    /// few, which its writer syncs before naming it.
    pub(crate) fn object(&self, id: &Id, path: PathBuf) -> bool {
        let mut state = self.lock();
        match &mut *state {
            Written::Nothing => *state = Written::Files(vec![(*id, path)]),
            Written::Files(files) if files.len() < FEW => files.push((*id, path)),
            Written::Files(_) => *state = Written::Everything,
            Written::Everything => {}
        }
        matches!(*state, Written::Files(_))
    }

    pub(crate) fn everything(&self) {
        *self.lock() = Written::Everything;
    }

    pub(crate) fn has(&self, id: &Id) -> bool {
        match &*self.lock() {
            Written::Nothing => false,
            Written::Files(files) => files.iter().any(|(i, _)| i == id),
            Written::Everything => true,
        }
    }

    pub(crate) fn take(&self) -> Written {
        std::mem::take(&mut *self.lock())
    }
}
