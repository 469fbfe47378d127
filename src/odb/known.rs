//! What this process knows about objects without asking the file system,
//! and freshening: an old object a new slug needs is touched, so that gc's
//! grace period never sweeps it from under a concurrent writer.

use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use crate::id::Id;
use crate::odb::loose::relative_name;
use crate::store::Store;

/// An existing object older than this is touched when a new slug needs it,
/// so `gc --grace` never sweeps what a concurrent writer is about to name.
const FRESHEN_AFTER: Duration = Duration::from_secs(600);

impl Store {
    /// Whether the object exists; if it does and is old, touches it (see
    /// [`FRESHEN_AFTER`]). Exported for ingest's stat cache, whose hits name
    /// blobs without reading them.
    pub(crate) fn has_object_fresh(&self, id: &Id) -> bool {
        if self.odb.known.is_ours(id) || self.packed_fresh(id, FRESHEN_AFTER) {
            return true;
        }
        if let Some(known) = self.odb.known.lookup(self, id) {
            return known;
        }
        let Ok(dir) = self.objects_fd() else {
            return false;
        };
        let rel = relative_name(id);
        // SAFETY: `st` is plain data the call fills in; `rel` is NUL-terminated
        // and `dir` an open directory for the duration of the calls.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstatat(
                dir.as_raw_fd(),
                rel.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            ) != 0
            {
                return false;
            }
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            if now - st.st_mtime > FRESHEN_AFTER.as_secs() as i64 {
                // A failure only means the object may look older to gc than it is.
                libc::utimensat(dir.as_raw_fd(), rel.as_ptr(), std::ptr::null(), 0);
            }
        }
        true
    }
}

/// What this process knows about objects without asking the file system:
/// those it wrote, and the fan directories (`objects/ab/`) that did not
/// exist when it first looked, whose objects are all its own (or a
/// concurrent writer's, which a link or rename into place then meets). A
/// cold deploy into a new store so makes no existence checks at all.
#[derive(Debug)]
pub struct Known {
    /// Per fan directory: 0 not looked at yet, 1 existed, 2 did not exist.
    fans: Box<[std::sync::atomic::AtomicU8]>,
    ours: std::sync::Mutex<std::collections::HashSet<Id>>,
}

impl Default for Known {
    fn default() -> Known {
        Known {
            fans: (0..256).map(|_| Default::default()).collect(),
            ours: Default::default(),
        }
    }
}

impl Known {
    /// `Some(exists)` when known, `None` when the file system must say.
    pub(crate) fn lookup(&self, store: &Store, id: &Id) -> Option<bool> {
        let ours = self.ours.lock().unwrap_or_else(|e| e.into_inner());
        if ours.contains(id) {
            return Some(true);
        }
        drop(ours);
        let fan = &self.fans[id.0[0] as usize];
        match fan.load(Ordering::Relaxed) {
            1 => None,
            2 => Some(false),
            _ => {
                let hex = id.to_hex();
                let exists = store.objects_dir().join(&hex[..2]).is_dir();
                fan.store(if exists { 1 } else { 2 }, Ordering::Relaxed);
                if exists { None } else { Some(false) }
            }
        }
    }

    /// Notes that the fan directory of ids starting with `byte` exists now
    /// (one moved in whole), so lookups there ask the file system again.
    pub(crate) fn fan_exists(&self, byte: usize) {
        self.fans[byte].store(1, Ordering::Relaxed);
    }

    /// Whether this process wrote the object `id`.
    pub(crate) fn is_ours(&self, id: &Id) -> bool {
        self.ours
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(id)
    }

    pub(crate) fn ours(&self, id: &Id) {
        self.ours
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(*id);
    }
}
