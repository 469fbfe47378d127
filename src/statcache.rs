//! The stat cache, `.releases/index`: what rel learnt about the files of the
//! last directory it stored, so that a redeploy recognises unchanged files by
//! their stat alone, as git's index does, and reads only the others.
//!
//! It is only a cache: a missing, stale, foreign or damaged index costs time,
//! never a wrong slug. A file is taken as unchanged only when its size, mtime,
//! ctime (both to the nanosecond), inode and device all equal its entry's, and
//! the entry's blob is still in the store. ctime cannot be set by users, so a
//! file rewritten and given back its old size and mtime (`touch -d`) is read
//! again; so is a file replaced by another (new inode). A file whose mtime or
//! ctime is less than [`RACY`] older than the start of the scan that saw it is
//! never entered ("racily clean", in git's words): it could still change
//! within one tick of the file system's clock without its stat changing.
//!
//! Format, all integers little-endian:
//!
//! ```text
//! "rel-index 1\n"                      12 bytes
//! root length (u32), root              the absolute, canonical source directory
//! entry count (u64)
//! entries, sorted by path bytes:
//!   path length (u32), path            relative to root, '/'-separated, raw bytes
//!   size (u64)
//!   mtime seconds (i64), nanoseconds (u32)
//!   ctime seconds (i64), nanoseconds (u32)
//!   inode (u64), device (u64)
//!   blob id (32 bytes)
//! BLAKE3 of everything above            32 bytes
//! ```
//!
//! One source directory at a time: a deploy from another directory replaces
//! the index. It is written to `tmp/` and renamed over the old one (so
//! readers see one whole index), without fsync (the checksum catches what a
//! crash leaves), and only when its content changes.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::id::Id;
use crate::store::Store;

const MAGIC: &[u8] = b"rel-index 1\n";
/// How much older than the scan a file's times must be to be entered.
pub const RACY: Duration = Duration::from_secs(1);
const FIXED: usize = 8 + 12 + 12 + 8 + 8 + 32;

pub use crate::fsstat::FileStat;

impl FileStat {
    /// Whether a scan that started at `start` may enter this file (see
    /// [`RACY`]).
    pub fn settled(&self, start: SystemTime) -> bool {
        let Ok(since_epoch) = start.duration_since(SystemTime::UNIX_EPOCH) else {
            return false;
        };
        let limit = since_epoch.saturating_sub(RACY).as_nanos() as i128;
        let nanos = |(s, ns): (i64, u32)| s as i128 * 1_000_000_000 + ns as i128;
        nanos(self.mtime) < limit && nanos(self.ctime) < limit
    }
}

/// A loaded index.
#[derive(Default)]
pub struct StatCache {
    bytes: Vec<u8>,
    /// (offset of the path, its length), in path order.
    entries: Vec<(usize, usize)>,
}

impl StatCache {
    /// The index of `store` if it was written for `root`; else an empty one.
    pub fn load(store: &Store, root: &Path) -> StatCache {
        let Ok(bytes) = fs::read(index_path(store)) else {
            return StatCache::default();
        };
        parse(bytes, root.as_os_str().as_encoded_bytes()).unwrap_or_default()
    }

    /// The blob of the file at `rel`, if its entry matches `stat`.
    pub fn get(&self, rel: &[u8], stat: &FileStat) -> Option<Id> {
        let i = self
            .entries
            .binary_search_by(|&(off, len)| self.bytes[off..off + len].cmp(rel))
            .ok()?;
        let (off, len) = self.entries[i];
        let (entry_stat, id) = decode_fixed(&self.bytes[off + len..off + len + FIXED]);
        (entry_stat == *stat).then_some(id)
    }
}

fn index_path(store: &Store) -> std::path::PathBuf {
    store.dir.join("index")
}

fn parse(bytes: Vec<u8>, root: &[u8]) -> Option<StatCache> {
    let body_len = bytes.len().checked_sub(32)?;
    let (body, sum) = bytes.split_at(body_len);
    if blake3::hash(body).as_bytes() != sum {
        return None;
    }
    let mut at = body.strip_prefix(MAGIC)?;
    let take = |at: &mut &[u8], n: usize| -> Option<usize> {
        if at.len() < n {
            return None;
        }
        let start = body.len() - at.len();
        *at = &at[n..];
        Some(start)
    };
    let u32_at = |off: usize| u32::from_le_bytes(body[off..off + 4].try_into().expect("4 bytes"));
    let root_len = u32_at(take(&mut at, 4)?) as usize;
    let root_off = take(&mut at, root_len)?;
    if &body[root_off..root_off + root_len] != root {
        return None;
    }
    let count_off = take(&mut at, 8)?;
    let count = u64::from_le_bytes(body[count_off..count_off + 8].try_into().expect("8 bytes"));
    let mut entries = Vec::with_capacity(count.min(1 << 24) as usize);
    for _ in 0..count {
        let len = u32_at(take(&mut at, 4)?) as usize;
        let off = take(&mut at, len)?;
        take(&mut at, FIXED)?;
        entries.push((off, len));
    }
    if !at.is_empty() {
        return None;
    }
    let sorted = entries
        .windows(2)
        .all(|w| body[w[0].0..w[0].0 + w[0].1] < body[w[1].0..w[1].0 + w[1].1]);
    if !sorted {
        return None;
    }
    Some(StatCache { bytes, entries })
}

fn decode_fixed(b: &[u8]) -> (FileStat, Id) {
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
    let stat = FileStat {
        size: u64_at(0),
        mtime: (u64_at(8) as i64, u32_at(16)),
        ctime: (u64_at(20) as i64, u32_at(28)),
        ino: u64_at(32),
        dev: u64_at(40),
    };
    (stat, Id(b[48..80].try_into().expect("32 bytes")))
}

/// Writes the index of `root` with the entries `entry` gives for
/// `0..count` (path relative to root, stat, blob; `None` leaves one out),
/// unless the current index already says exactly that. The index streams
/// to its file: memory holds only an order of the entries (4 bytes each),
/// never the index itself. Failures are ignored: the index is only a cache.
pub fn save<'a>(
    store: &Store,
    root: &Path,
    old: &StatCache,
    count: usize,
    entry: impl Fn(usize) -> Option<(&'a [u8], FileStat, Id)>,
) {
    let path_of = |i: u32| entry(i as usize).map_or(&[][..], |e| e.0);
    let mut order: Vec<u32> = (0..count as u32)
        .filter(|&i| entry(i as usize).is_some())
        .collect();
    order.sort_unstable_by(|&a, &b| path_of(a).cmp(path_of(b)));
    order.dedup_by(|a, b| path_of(*a) == path_of(*b));
    let root = root.as_os_str().as_encoded_bytes();
    let body = |out: &mut dyn Write| -> std::io::Result<()> {
        out.write_all(MAGIC)?;
        out.write_all(&(root.len() as u32).to_le_bytes())?;
        out.write_all(root)?;
        out.write_all(&(order.len() as u64).to_le_bytes())?;
        for &i in &order {
            let Some((path, stat, id)) = entry(i as usize) else {
                continue;
            };
            out.write_all(&(path.len() as u32).to_le_bytes())?;
            out.write_all(path)?;
            out.write_all(&stat.size.to_le_bytes())?;
            out.write_all(&stat.mtime.0.to_le_bytes())?;
            out.write_all(&stat.mtime.1.to_le_bytes())?;
            out.write_all(&stat.ctime.0.to_le_bytes())?;
            out.write_all(&stat.ctime.1.to_le_bytes())?;
            out.write_all(&stat.ino.to_le_bytes())?;
            out.write_all(&stat.dev.to_le_bytes())?;
            out.write_all(&id.0)?;
        }
        Ok(())
    };
    // The same index as now (its checksum says so): nothing to write.
    let mut hasher = blake3::Hasher::new();
    if body(&mut hasher).is_err() {
        return;
    }
    let sum = hasher.finalize();
    if old.bytes.len() >= 32 && old.bytes[old.bytes.len() - 32..] == *sum.as_bytes() {
        return;
    }
    let tmp = store.temp_path("index");
    let written = (|| -> crate::error::Result<()> {
        let file = store.create_file(&tmp, store.file_mode())?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        body(&mut out)
            .and_then(|()| out.write_all(sum.as_bytes()))
            .and_then(|()| out.flush())
            .map_err(crate::error::io_at("write", &tmp))?;
        drop(out);
        fs::rename(&tmp, index_path(store)).map_err(crate::error::io_at("replace", &tmp))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(n: u64) -> FileStat {
        FileStat {
            size: n,
            mtime: (n as i64, 1),
            ctime: (n as i64, 2),
            ino: n,
            dev: 7,
        }
    }

    #[test]
    fn settled_needs_both_times_a_second_before_the_scan() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let mut s = stat(98);
        assert!(s.settled(start));
        s.ctime = (99, 500_000_000);
        assert!(!s.settled(start));
        s.ctime = (98, 0);
        s.mtime = (200, 0);
        assert!(!s.settled(start));
    }

    #[test]
    fn damage_anywhere_empties_the_cache() {
        let root = b"/src";
        let id = Id::from(blake3::hash(b"x"));
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&4u32.to_le_bytes());
        out.extend_from_slice(root);
        out.extend_from_slice(&1u64.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(b"a");
        let s = stat(3);
        for v in [s.size, s.mtime.0 as u64] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&s.mtime.1.to_le_bytes());
        out.extend_from_slice(&(s.ctime.0 as u64).to_le_bytes());
        out.extend_from_slice(&s.ctime.1.to_le_bytes());
        out.extend_from_slice(&s.ino.to_le_bytes());
        out.extend_from_slice(&s.dev.to_le_bytes());
        out.extend_from_slice(&id.0);
        let sum = blake3::hash(&out);
        out.extend_from_slice(sum.as_bytes());

        let good = parse(out.clone(), root).expect("parses");
        assert_eq!(good.get(b"a", &s), Some(id));
        assert_eq!(good.get(b"a", &stat(4)), None);
        assert_eq!(good.get(b"b", &s), None);
        assert!(parse(out.clone(), b"/other").is_none());
        for i in 0..out.len() {
            let mut bad = out.clone();
            bad[i] ^= 1;
            assert!(parse(bad, root).is_none(), "byte {i}");
        }
        assert!(parse(out[..out.len() - 1].to_vec(), root).is_none());
    }
}
