//! The pack stream: objects on their way between stores, as the bytes of a
//! pack file (rel-store(5)): a skippable frame holding `rel-pack 1\n`, then
//! each object's encoding (its header frame, then its zstd frame) back to
//! back, up to the end of the stream.
//!
//! The receiver trusts nothing in it: it finds each object's end by
//! decoding the object and takes the id from the hash of what it decoded.
//! New small objects go into a pack being written in `tmp/` (the odb's
//! [`PackWriter`]), large ones into a quarantine directory
//! (`tmp/quarantine-…`), and nothing is published until the whole stream
//! has been read and the slug it is said to complete is complete; so
//! refused input (a flipped byte, a truncated stream, a missing blob)
//! leaves the store as it was. The store's own layout then holds them as
//! any other: the pack is published (index last), large objects are loose.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use zstd::zstd_safe::{DCtx, InBuffer, OutBuffer, ResetDirective};

use crate::error::{Error, Result, io_at};
use crate::id::{Id, Kind};
use crate::lock::LockGuard;
use crate::odb::SMALL_FILE;
use crate::odb::pack::{PACK_MAGIC, PACK_SIGNATURE as PACK_PAYLOAD, PackWriter, pack_header};
use crate::store::Store;
use crate::tree::{EntryKind, Tree};

/// The skippable frame that starts every object: `rel <kind> <size>`.
const OBJECT_MAGIC: u32 = 0x184D_2A52;
/// Trees and configs larger than this are refused: rel never makes one.
const SMALL_LIMIT: u64 = 64 << 20;

/// What a pack stream carried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PackStats {
    pub objects: u64,
    pub bytes: u64,
}

/// Where the stream goes or comes from, for errors.
fn stream_path() -> &'static Path {
    Path::new("the pack stream")
}

/// Writes the objects `ids` of `store` as a pack stream to `out`.
pub fn write_pack(store: &Store, ids: &[Id], out: &mut dyn Write) -> Result<PackStats> {
    let header = pack_header();
    out.write_all(&header)
        .map_err(io_at("write to", stream_path()))?;
    let mut stats = PackStats {
        objects: 0,
        bytes: header.len() as u64,
    };
    for id in ids {
        let at = store.locate(id)?;
        let mut raw = store.open_encoded(id, &at)?;
        stats.bytes += copy(&mut raw, out, at.path())?;
        stats.objects += 1;
    }
    out.flush().map_err(io_at("write to", stream_path()))?;
    Ok(stats)
}

/// Copies a whole object file into the stream, telling a failing read
/// (the store's fault) from a failing write (the receiver's).
fn copy(from: &mut dyn Read, out: &mut dyn Write, path: &Path) -> Result<u64> {
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_at("read", path)(e)),
        };
        out.write_all(&buf[..n])
            .map_err(io_at("write to", stream_path()))?;
        total += n as u64;
    }
}

/// What [`receive_pack`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Objects in the stream, and its length.
    pub stream: PackStats,
    /// Objects the store did not have before.
    pub new: u64,
}

/// Reads a pack stream from `input` into a quarantine, verifies every
/// object, checks that `slug` (if given) is complete with what the store
/// has and what came, and only then moves the new objects into the store
/// and makes them durable. Called under the store's lock.
pub fn receive_pack(
    store: &Store,
    _lock: &LockGuard,
    input: &mut dyn Read,
    slug: Option<&Id>,
) -> Result<Received> {
    let quarantine = Quarantine::new(store)?;
    let mut writer = PackWriter::create(store)?;
    let mut stream = Stream::new(input);
    stream.pack_header()?;
    let mut got: HashSet<Id> = HashSet::new();
    let mut trees: HashMap<Id, Vec<u8>> = HashMap::new();
    let mut large: Vec<Id> = Vec::new();
    let mut dctx = DCtx::create();
    let mut out = vec![0u8; 1 << 17];
    let mut objects = 0u64;
    let incoming = quarantine.dir.join("incoming");
    while let Some((kind, size, header)) = stream.object_header(objects)? {
        let keep = kind != Kind::Blob;
        if keep && size > SMALL_LIMIT {
            return Err(bad(
                objects,
                format!("a {kind} of {size} bytes is too large"),
            ));
        }
        // Small objects are held in memory for the pack; large ones go
        // to a file of their own, as the store keeps them.
        let mut encoded: Vec<u8> = Vec::new();
        let mut file = None;
        if size > SMALL_FILE {
            let mut f = store.create_file(&incoming, store.read_only_mode(false))?;
            f.write_all(&header).map_err(io_at("write", &incoming))?;
            file = Some(f);
        } else {
            encoded.extend_from_slice(&header);
        }
        dctx.reset(ResetDirective::SessionOnly)
            .map_err(|_| Error::refused("could not reset the zstd decoder"))?;
        let mut hasher = kind.hasher();
        let mut content = Vec::new();
        let mut decoded = 0u64;
        loop {
            let eof = stream.start == stream.end && !stream.fill()?;
            let mut inb = InBuffer::around(&stream.buf[stream.start..stream.end]);
            let mut outb = OutBuffer::around(&mut out[..]);
            let left = dctx
                .decompress_stream(&mut outb, &mut inb)
                .map_err(|code| {
                    bad(
                        objects,
                        format!(
                            "it does not decompress ({})",
                            zstd::zstd_safe::get_error_name(code)
                        ),
                    )
                })?;
            let (used, made) = (inb.pos(), outb.pos());
            let raw = &stream.buf[stream.start..stream.start + used];
            match &mut file {
                Some(f) => f.write_all(raw).map_err(io_at("write", &incoming))?,
                None => encoded.extend_from_slice(raw),
            }
            stream.start += used;
            decoded += made as u64;
            if decoded > size {
                return Err(bad(objects, "it is longer than its header says"));
            }
            hasher.update(&out[..made]);
            if keep {
                content.extend_from_slice(&out[..made]);
            }
            if left == 0 {
                break;
            }
            if eof && used == 0 && made == 0 {
                return Err(Error::refused(format!(
                    "the pack stream ends inside object {}; it was cut short (the sender stopped?), and nothing was stored",
                    objects + 1
                )));
            }
        }
        if decoded != size {
            return Err(bad(objects, "it is shorter than its header says"));
        }
        let id = Id::from(hasher.finalize());
        if kind == Kind::Tree {
            Tree::decode(&content, &id).map_err(|e| match e {
                Error::Corrupt { detail, .. } => bad(objects, format!("tree {id}: {detail}")),
                e => e,
            })?;
            trees.insert(id, content);
        }
        let new = got.insert(id) && !store.has_object(&id);
        match file {
            Some(f) if new => {
                f.sync_all().map_err(io_at("sync", &incoming))?;
                let dest = quarantine.path(&id);
                fs::rename(&incoming, &dest).map_err(io_at("store", &dest))?;
                large.push(id);
            }
            Some(_) => fs::remove_file(&incoming).map_err(io_at("remove", &incoming))?,
            None if new => {
                writer.add(&id, kind, size, &encoded)?;
            }
            None => {}
        }
        objects += 1;
    }
    if let Some(slug) = slug {
        check_complete(store, slug, &trees, &got)?;
    }
    let mut new = writer.len() as u64;
    if let Some(finished) = writer.finish(store)? {
        finished.publish(store)?;
    }
    for id in &large {
        store.install_loose(id, &quarantine.path(id))?;
        new += 1;
    }
    if !large.is_empty() {
        store.sync_all()?;
    }
    Ok(Received {
        stream: PackStats {
            objects,
            bytes: stream.total,
        },
        new,
    })
}

/// The refusal of object `index` (0-based) of the stream.
fn bad(index: u64, why: impl std::fmt::Display) -> Error {
    Error::refused(format!(
        "object {} of the pack stream is corrupt: {why}; nothing was stored",
        index + 1
    ))
}

/// Whether every tree and blob of `slug` is in the store or among the
/// objects received (whose trees are in `trees`).
fn check_complete(
    store: &Store,
    slug: &Id,
    trees: &HashMap<Id, Vec<u8>>,
    got: &HashSet<Id>,
) -> Result<()> {
    let incomplete = |what: &str, id: &Id| {
        Error::refused(format!(
            "slug {slug} is incomplete: {what} {id} is neither in the pack nor in the store; nothing was stored"
        ))
    };
    let mut todo = vec![*slug];
    let mut seen: HashSet<Id> = HashSet::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        let tree = match trees.get(&id) {
            Some(bytes) => Tree::decode(bytes, &id)?,
            None => match store.read_tree(&id) {
                Ok(tree) => tree,
                Err(Error::Missing { .. }) => return Err(incomplete("tree", &id)),
                Err(e) => return Err(e),
            },
        };
        for entry in &tree.entries {
            if entry.kind == EntryKind::Dir {
                todo.push(entry.id);
            } else if !got.contains(&entry.id) && !store.has_object(&entry.id) {
                return Err(incomplete("blob", &entry.id));
            }
        }
    }
    Ok(())
}

/// Every object a slug needs, each once: its trees and its blobs, a tree
/// before what it holds.
pub fn slug_objects(store: &Store, slug: &Id) -> Result<Vec<Id>> {
    let mut out = Vec::new();
    let mut seen: HashSet<Id> = HashSet::new();
    let mut todo = vec![*slug];
    seen.insert(*slug);
    while let Some(id) = todo.pop() {
        out.push(id);
        let tree = store.read_tree(&id)?;
        for entry in tree.entries {
            if !seen.insert(entry.id) {
                continue;
            }
            if entry.kind == EntryKind::Dir {
                todo.push(entry.id);
            } else {
                out.push(entry.id);
            }
        }
    }
    Ok(out)
}

/// A directory in `tmp/` for objects not yet accepted; removed when dropped
/// (a killed receiver's is removed by a later writer, as any of `tmp/`).
struct Quarantine {
    dir: PathBuf,
}

impl Quarantine {
    fn new(store: &Store) -> Result<Quarantine> {
        let dir = store.temp_path("quarantine");
        store.create_dir(&dir)?;
        Ok(Quarantine { dir })
    }

    fn path(&self, id: &Id) -> PathBuf {
        self.dir.join(id.to_hex())
    }
}

impl Drop for Quarantine {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The input, with a buffer the decoder reads from directly, so the end of
/// one object's frame is found exactly and the rest stays for the next.
struct Stream<'a> {
    input: &'a mut dyn Read,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes read so far.
    total: u64,
}

impl<'a> Stream<'a> {
    fn new(input: &'a mut dyn Read) -> Stream<'a> {
        Stream {
            input,
            buf: vec![0u8; 1 << 17],
            start: 0,
            end: 0,
            total: 0,
        }
    }

    /// Reads more input into an empty buffer; false at the end of the stream.
    fn fill(&mut self) -> Result<bool> {
        debug_assert_eq!(self.start, self.end);
        loop {
            match self.input.read(&mut self.buf) {
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                    self.total += n as u64;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_at("read", stream_path())(e)),
            }
        }
    }

    /// Fills `out` whole; false when the stream ends before its first byte.
    fn exact(&mut self, out: &mut [u8]) -> Result<bool> {
        let mut n = 0;
        while n < out.len() {
            if self.start == self.end && !self.fill()? {
                if n == 0 {
                    return Ok(false);
                }
                return Err(Error::refused(
                    "the pack stream was cut short (the sender stopped?); nothing was stored",
                ));
            }
            let k = (out.len() - n).min(self.end - self.start);
            out[n..n + k].copy_from_slice(&self.buf[self.start..self.start + k]);
            self.start += k;
            n += k;
        }
        Ok(true)
    }

    fn pack_header(&mut self) -> Result<()> {
        let mut fixed = [0u8; 8];
        let not_a_pack = || {
            Error::refused(
                "standard input is not a rel pack stream (made by rel pack-objects); nothing was stored",
            )
        };
        let short = |e: Error| match e {
            Error::Refused(_) => not_a_pack(),
            e => e,
        };
        if !self.exact(&mut fixed).map_err(short)? {
            return Err(not_a_pack());
        }
        let [m0, m1, m2, m3, l0, l1, l2, l3] = fixed;
        let magic = u32::from_le_bytes([m0, m1, m2, m3]);
        let len = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
        if magic != PACK_MAGIC || len != PACK_PAYLOAD.len() {
            return Err(not_a_pack());
        }
        let mut payload = vec![0u8; len];
        if !self.exact(&mut payload).map_err(short)? || payload != PACK_PAYLOAD {
            return Err(not_a_pack());
        }
        Ok(())
    }

    /// The next object's kind, size and header frame, or None at the end.
    fn object_header(&mut self, index: u64) -> Result<Option<(Kind, u64, Vec<u8>)>> {
        let mut fixed = [0u8; 8];
        if !self.exact(&mut fixed)? {
            return Ok(None);
        }
        let [m0, m1, m2, m3, l0, l1, l2, l3] = fixed;
        let magic = u32::from_le_bytes([m0, m1, m2, m3]);
        let len = u32::from_le_bytes([l0, l1, l2, l3]);
        if magic != OBJECT_MAGIC || len > 64 {
            return Err(bad(index, "it has no object header"));
        }
        let mut text = vec![0u8; len as usize];
        if !self.exact(&mut text)? {
            return Err(bad(index, "its header is cut short"));
        }
        let parsed = std::str::from_utf8(&text).ok().and_then(|t| {
            let mut parts = t.split(' ');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some("rel"), Some(kind), Some(size), None) => {
                    Some((Kind::from_name(kind)?, size.parse::<u64>().ok()?))
                }
                _ => None,
            }
        });
        let Some((kind, size)) = parsed else {
            return Err(bad(index, "its header is not 'rel KIND SIZE'"));
        };
        let mut header = fixed.to_vec();
        header.extend_from_slice(&text);
        Ok(Some((kind, size, header)))
    }
}
