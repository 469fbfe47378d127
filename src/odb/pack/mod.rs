//! Packs: many small objects in one file, found through an index.
//!
//! `objects/pack/pack-H.pack` is a skippable zstd frame saying
//! `rel-pack 1`, then objects back to back, each exactly its loose encoding
//! (see [`format`](crate::odb::format)), so `zstd -dc` of the bytes at an entry's offset
//! and length gives the content. `pack-H.idx` lists the ids, sorted, with a
//! fanout table and each object's offset, length, size and kind; it ends
//! with the pack's hash (H) and its own. A pack is visible exactly when its
//! index is: the index is renamed into place last. Packs and indexes are
//! never changed once published; rel-store(5) has the byte layout.

pub mod index;
pub mod read;
pub mod write;

pub use index::PackIndex;
pub use read::{Pack, PackSet};
pub use write::{FinishedPack, PackWriter};

use crate::id::{Id, Kind};

/// The skippable-frame magic of a pack's first frame (objects use 0x184D2A52).
pub const PACK_MAGIC: u32 = 0x184D_2A53;
/// The payload of a pack's first frame.
pub const PACK_SIGNATURE: &[u8] = b"rel-pack 1\n";
/// The length of a pack's first frame: where its first object starts.
pub const PACK_HEADER_LEN: u64 = 8 + PACK_SIGNATURE.len() as u64;

/// The first frame of every pack.
pub fn pack_header() -> Vec<u8> {
    let mut out = Vec::with_capacity(PACK_HEADER_LEN as usize);
    out.extend_from_slice(&PACK_MAGIC.to_le_bytes());
    out.extend_from_slice(&(PACK_SIGNATURE.len() as u32).to_le_bytes());
    out.extend_from_slice(PACK_SIGNATURE);
    out
}

/// One object of a pack, as its index describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: Id,
    /// Where the object's encoding (header frame and data frame) starts.
    pub offset: u64,
    /// The encoding's length in bytes.
    pub length: u64,
    /// The content's size.
    pub size: u64,
    pub kind: Kind,
}

fn kind_code(kind: Kind) -> u8 {
    match kind {
        Kind::Blob => 1,
        Kind::Tree => 2,
        Kind::Config => 3,
    }
}

fn kind_from_code(code: u8) -> Option<Kind> {
    match code {
        1 => Some(Kind::Blob),
        2 => Some(Kind::Tree),
        3 => Some(Kind::Config),
        _ => None,
    }
}

/// `pack-H`: the name of a pack whose bytes hash to `hash`, without suffix.
pub fn pack_stem(hash: &[u8; 32]) -> String {
    format!("pack-{}", Id(*hash).to_hex())
}
