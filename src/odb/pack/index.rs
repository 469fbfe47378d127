//! A pack's index (`pack-H.idx`), little-endian:
//!
//! ```text
//! magic      8 bytes  "RELIDX\0\x01"
//! count      u32      N
//! fanout     256 × u32   fanout[b] = number of ids whose first byte ≤ b
//! ids        N × 32 bytes, sorted ascending, no duplicates
//! entries    N × 32 bytes: offset u64, length u64, size u64, kind u8, 7 zero bytes
//! pack_hash  32 bytes  BLAKE3 of the .pack file
//! idx_hash   32 bytes  BLAKE3 of every idx byte before it
//! ```
//!
//! Loading validates all of it (but the pack's hash, which needs the whole
//! pack read: see [`Pack::verify`](super::Pack::verify)), so a damaged
//! index is an error naming it, never a panic or a wrong object.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Entry, PACK_HEADER_LEN, kind_code, kind_from_code};
use crate::error::{Error, Result, io_at};
use crate::id::Id;

pub const IDX_MAGIC: &[u8; 8] = b"RELIDX\0\x01";
const FANOUT_AT: usize = 12;
const IDS_AT: usize = FANOUT_AT + 256 * 4;
const ENTRY_LEN: usize = 32;
/// The smallest encoding an object can have: a header frame alone.
const MIN_OBJECT: u64 = 8;

/// A loaded, validated index.
#[derive(Debug)]
pub struct PackIndex {
    pub path: PathBuf,
    data: Vec<u8>,
    count: usize,
}

fn damaged(path: &Path, detail: impl Into<String>) -> Error {
    Error::DamagedPack {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(data: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(data[at..at + 8].try_into().expect("8 bytes"))
}

/// The bytes of an index of `entries` (any order; ids must be distinct)
/// for a pack whose hash is `pack_hash`.
pub fn encode(entries: &mut [Entry], pack_hash: &[u8; 32]) -> Vec<u8> {
    entries.sort_unstable_by_key(|e| e.id);
    let n = entries.len();
    let mut out = Vec::with_capacity(IDS_AT + n * 64 + 64);
    out.extend_from_slice(IDX_MAGIC);
    out.extend_from_slice(&(n as u32).to_le_bytes());
    let mut fanout = [0u32; 256];
    for e in entries.iter() {
        fanout[e.id.0[0] as usize] += 1;
    }
    let mut total = 0u32;
    for f in fanout {
        total += f;
        out.extend_from_slice(&total.to_le_bytes());
    }
    for e in entries.iter() {
        out.extend_from_slice(&e.id.0);
    }
    for e in entries.iter() {
        out.extend_from_slice(&e.offset.to_le_bytes());
        out.extend_from_slice(&e.length.to_le_bytes());
        out.extend_from_slice(&e.size.to_le_bytes());
        out.push(kind_code(e.kind));
        out.extend_from_slice(&[0u8; 7]);
    }
    out.extend_from_slice(pack_hash);
    let idx_hash = blake3::hash(&out);
    out.extend_from_slice(idx_hash.as_bytes());
    out
}

impl PackIndex {
    /// Reads and validates the index at `path`, of a pack `pack_len` bytes long.
    pub fn load(path: &Path, pack_len: u64) -> Result<PackIndex> {
        let data = fs::read(path).map_err(io_at("read", path))?;
        PackIndex::parse(path, data, pack_len)
    }

    /// Validates index bytes read from `path`.
    pub fn parse(path: &Path, data: Vec<u8>, pack_len: u64) -> Result<PackIndex> {
        if data.len() < IDS_AT + 64 || &data[..8] != IDX_MAGIC {
            return Err(damaged(path, "not a rel pack index"));
        }
        let count = u32_at(&data, 8) as usize;
        let want = count
            .checked_mul(64)
            .and_then(|n| n.checked_add(IDS_AT + 64));
        if want != Some(data.len()) {
            return Err(damaged(
                path,
                format!("its length does not fit its {count} entries (truncated?)"),
            ));
        }
        let body = data.len() - 32;
        if blake3::hash(&data[..body]).as_bytes() != &data[body..] {
            return Err(damaged(path, "its checksum does not match"));
        }
        let index = PackIndex {
            path: path.to_path_buf(),
            data,
            count,
        };
        // The fanout must count the ids, which must be strictly sorted.
        let mut fan = [0u32; 256];
        for i in 0..count {
            let id = index.id_bytes(i);
            if i > 0 && index.id_bytes(i - 1) >= id {
                return Err(damaged(path, "its ids are not in order"));
            }
            fan[id[0] as usize] += 1;
        }
        let mut total = 0u32;
        for (b, f) in fan.iter().enumerate() {
            total += f;
            if index.fanout(b) != total as usize {
                return Err(damaged(path, "its fanout table does not match its ids"));
            }
        }
        for i in 0..count {
            let at = index.entry_at(i);
            let (offset, length) = (u64_at(&index.data, at), u64_at(&index.data, at + 8));
            let end = offset.checked_add(length);
            if offset < PACK_HEADER_LEN || length < MIN_OBJECT || end.is_none_or(|e| e > pack_len) {
                return Err(damaged(
                    path,
                    format!(
                        "entry {} lies outside its pack ({pack_len} bytes)",
                        Id(index.id_bytes(i).try_into().expect("32 bytes"))
                    ),
                ));
            }
            let tail = &index.data[at + 24..at + 32];
            if kind_from_code(tail[0]).is_none() || tail[1..].iter().any(|&b| b != 0) {
                return Err(damaged(
                    path,
                    format!(
                        "entry {} has an unknown kind",
                        Id(index.id_bytes(i).try_into().expect("32 bytes"))
                    ),
                ));
            }
        }
        Ok(index)
    }

    fn id_bytes(&self, i: usize) -> &[u8] {
        let at = IDS_AT + i * 32;
        &self.data[at..at + 32]
    }

    fn entry_at(&self, i: usize) -> usize {
        IDS_AT + self.count * 32 + i * ENTRY_LEN
    }

    fn fanout(&self, b: usize) -> usize {
        u32_at(&self.data, FANOUT_AT + b * 4) as usize
    }

    /// The number of objects.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The hash of the pack the index describes.
    pub fn pack_hash(&self) -> [u8; 32] {
        let at = self.data.len() - 64;
        self.data[at..at + 32].try_into().expect("32 bytes")
    }

    /// The `i`th entry, in id order.
    pub fn entry(&self, i: usize) -> Entry {
        let at = self.entry_at(i);
        Entry {
            id: Id(self.id_bytes(i).try_into().expect("32 bytes")),
            offset: u64_at(&self.data, at),
            length: u64_at(&self.data, at + 8),
            size: u64_at(&self.data, at + 16),
            kind: kind_from_code(self.data[at + 24]).expect("validated on load"),
        }
    }

    /// The ids whose first byte is `b`: positions `lo..hi`.
    fn range(&self, b: u8) -> (usize, usize) {
        let lo = if b == 0 {
            0
        } else {
            self.fanout(b as usize - 1)
        };
        (lo, self.fanout(b as usize))
    }

    /// The entry of `id`, by binary search within its fanout range.
    pub fn find(&self, id: &Id) -> Option<Entry> {
        let (mut lo, mut hi) = self.range(id.0[0]);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.id_bytes(mid).cmp(&id.0[..]) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(self.entry(mid)),
            }
        }
        None
    }

    /// The ids whose hex starts with `prefix` (lowercase, at least 2 digits).
    pub fn with_prefix(&self, prefix: &str) -> Vec<Id> {
        let Ok(first) = u8::from_str_radix(&prefix[..2], 16) else {
            return Vec::new();
        };
        let (lo, hi) = self.range(first);
        (lo..hi)
            .map(|i| Id(self.id_bytes(i).try_into().expect("32 bytes")))
            .filter(|id| id.to_hex().starts_with(prefix))
            .collect()
    }

    /// Every entry, in id order.
    pub fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        (0..self.count).map(|i| self.entry(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::Kind;

    fn sample(n: usize) -> (Vec<Entry>, Vec<u8>) {
        let mut entries: Vec<Entry> = (0..n)
            .map(|i| Entry {
                id: Kind::Blob.id_of(&i.to_le_bytes()),
                offset: PACK_HEADER_LEN + i as u64 * 100,
                length: 100,
                size: 7,
                kind: Kind::Blob,
            })
            .collect();
        let bytes = encode(&mut entries, &[9u8; 32]);
        (entries, bytes)
    }

    fn pack_len(n: usize) -> u64 {
        PACK_HEADER_LEN + n as u64 * 100
    }

    #[test]
    fn finds_every_entry_and_nothing_else() {
        for n in [0usize, 1, 2, 255, 1000] {
            let (entries, bytes) = sample(n);
            let index = PackIndex::parse(Path::new("x.idx"), bytes, pack_len(n)).expect("valid");
            assert_eq!(index.len(), n);
            assert_eq!(index.pack_hash(), [9u8; 32]);
            for e in &entries {
                assert_eq!(index.find(&e.id), Some(*e));
                let hex = e.id.to_hex();
                assert!(index.with_prefix(&hex[..6]).contains(&e.id));
            }
            assert_eq!(index.find(&Kind::Tree.id_of(b"absent")), None);
            assert_eq!(index.entries().count(), n);
        }
    }

    /// Flipping any byte or cutting the index anywhere gives an error that
    /// names the file, never a panic.
    #[test]
    fn a_damaged_or_truncated_index_is_an_error_naming_it() {
        let n = 40;
        let (_, bytes) = sample(n);
        let path = Path::new("/s/objects/pack/pack-x.idx");
        for at in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[at] ^= 0x10;
            let e = PackIndex::parse(path, bad, pack_len(n)).expect_err("flipped byte");
            assert!(e.to_string().contains("pack-x.idx"), "{e}");
        }
        for len in 0..bytes.len() {
            let e =
                PackIndex::parse(path, bytes[..len].to_vec(), pack_len(n)).expect_err("truncated");
            assert!(e.to_string().contains("pack-x.idx"), "{e}");
        }
        // A valid index of a shorter pack: entries out of bounds.
        let e = PackIndex::parse(path, bytes, pack_len(n) - 1).expect_err("short pack");
        assert!(e.to_string().contains("outside its pack"), "{e}");
    }

    /// An index whose checksum is recomputed after damage is still refused
    /// by the structural checks.
    #[test]
    fn structural_damage_is_caught_behind_a_good_checksum() {
        let n = 20;
        let (_, bytes) = sample(n);
        let rehash = |mut b: Vec<u8>| {
            let body = b.len() - 32;
            let h = blake3::hash(&b[..body]);
            b[body..].copy_from_slice(h.as_bytes());
            b
        };
        let path = Path::new("p.idx");
        // Ids out of order.
        let mut b = bytes.clone();
        let (x, y) = (IDS_AT, IDS_AT + 32);
        let first: Vec<u8> = b[x..x + 32].to_vec();
        let second: Vec<u8> = b[y..y + 32].to_vec();
        b[x..x + 32].copy_from_slice(&second);
        b[y..y + 32].copy_from_slice(&first);
        assert!(PackIndex::parse(path, rehash(b), pack_len(n)).is_err());
        // Fanout off by one.
        let mut b = bytes.clone();
        b[FANOUT_AT + 255 * 4] ^= 1;
        assert!(PackIndex::parse(path, rehash(b), pack_len(n)).is_err());
        // Unknown kind.
        let mut b = bytes.clone();
        let kind_at = IDS_AT + n * 32 + 24;
        b[kind_at] = 9;
        assert!(PackIndex::parse(path, rehash(b), pack_len(n)).is_err());
        // A huge count.
        let mut b = bytes.clone();
        b[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(PackIndex::parse(path, rehash(b), pack_len(n)).is_err());
    }
}
