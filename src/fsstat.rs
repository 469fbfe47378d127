//! The stat fields that tell whether a file is the one seen before: a leaf,
//! shared by the stat cache and the object writer.

use std::fs;
use std::os::unix::fs::MetadataExt;

/// The stat fields a file is matched on (see `statcache.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStat {
    pub size: u64,
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
    pub ino: u64,
    pub dev: u64,
}

impl FileStat {
    pub fn of(meta: &fs::Metadata) -> FileStat {
        FileStat {
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec() as u32),
            ctime: (meta.ctime(), meta.ctime_nsec() as u32),
            ino: meta.ino(),
            dev: meta.dev(),
        }
    }
}
