//! Writing a pack: objects appended as they come (already encoded), the
//! index built from one small record per object, then published as
//! rel-store(5) says: pack and index written to `tmp/` and fsynced, the
//! pack renamed into `objects/pack/`, the index last, the directory fsynced.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::{Entry, index, pack_header, pack_stem};
use crate::error::{Result, io_at};
use crate::id::{Id, Kind};
use crate::store::{Store, sync_dir};

/// A pack being written to `tmp/`. Dropped unfinished, it leaves nothing.
pub struct PackWriter {
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
    hasher: blake3::Hasher,
    offset: u64,
    entries: Vec<Entry>,
    seen: HashSet<Id>,
}

impl std::fmt::Debug for PackWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackWriter")
            .field("tmp", &self.tmp)
            .field("objects", &self.entries.len())
            .finish()
    }
}

impl PackWriter {
    /// Starts a pack in the store's `tmp/`.
    pub fn create(store: &Store) -> Result<PackWriter> {
        let tmp = store.temp_path("pack");
        let file = store.create_file(&tmp, store.read_only_mode(false))?;
        let mut writer = PackWriter {
            tmp,
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            hasher: blake3::Hasher::new(),
            offset: 0,
            entries: Vec::new(),
            seen: HashSet::new(),
        };
        writer.append(&pack_header())?;
        Ok(writer)
    }

    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        let out = self.out.as_mut().expect("open until finished");
        out.write_all(bytes).map_err(io_at("write", &self.tmp))?;
        self.hasher.update(bytes);
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Whether `id` is in the pack already.
    pub fn contains(&self, id: &Id) -> bool {
        self.seen.contains(id)
    }

    /// The number of objects written.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends the loose encoding of object `id` (see `odb/format.rs`),
    /// unless the pack has it already; false then. The caller vouches for
    /// the encoding: it made it, or read it through a verifying reader.
    pub fn add(&mut self, id: &Id, kind: Kind, size: u64, encoded: &[u8]) -> Result<bool> {
        if !self.seen.insert(*id) {
            return Ok(false);
        }
        let offset = self.offset;
        self.append(encoded)?;
        self.entries.push(Entry {
            id: *id,
            offset,
            length: encoded.len() as u64,
            size,
            kind,
        });
        Ok(true)
    }

    /// As [`add`](Self::add), copying the encoding from `encoded` (to its
    /// end) without holding it in memory.
    pub fn add_stream(
        &mut self,
        id: &Id,
        kind: Kind,
        size: u64,
        encoded: &mut dyn Read,
    ) -> Result<bool> {
        if !self.seen.insert(*id) {
            return Ok(false);
        }
        let offset = self.offset;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match encoded.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(crate::odb::format::read_error(e, "read", &self.tmp)),
            };
            self.append(&buf[..n])?;
        }
        self.entries.push(Entry {
            id: *id,
            offset,
            length: self.offset - offset,
            size,
            kind,
        });
        Ok(true)
    }

    /// Hands every object written, in the order written, to `f` (its entry
    /// and encoding), reading the pack back one object at a time; the pack
    /// is then deleted unpublished.
    pub fn drain(mut self, mut f: impl FnMut(&Entry, &[u8]) -> Result<()>) -> Result<()> {
        use std::os::unix::fs::FileExt;
        let out = self.out.take().expect("open until finished");
        out.into_inner()
            .map_err(|e| io_at("write", &self.tmp)(e.into_error()))?;
        let file = File::open(&self.tmp).map_err(io_at("read", &self.tmp))?;
        let mut buf = Vec::new();
        for e in &self.entries {
            buf.resize(e.length as usize, 0);
            file.read_exact_at(&mut buf, e.offset)
                .map_err(io_at("read", &self.tmp))?;
            f(e, &buf)?;
        }
        Ok(())
    }

    /// Finishes the pack and writes its index, both fsynced in `tmp/`;
    /// nothing when the pack holds no object.
    pub fn finish(mut self, store: &Store) -> Result<Option<FinishedPack>> {
        let out = self.out.take().expect("open until finished");
        if self.entries.is_empty() {
            drop(out);
            let _ = fs::remove_file(&self.tmp);
            return Ok(None);
        }
        let file = out
            .into_inner()
            .map_err(|e| io_at("write", &self.tmp)(e.into_error()))?;
        file.sync_all().map_err(io_at("sync", &self.tmp))?;
        drop(file);
        let hash: [u8; 32] = *self.hasher.finalize().as_bytes();
        let idx_bytes = index::encode(&mut self.entries, &hash);
        let idx_tmp = store.temp_path("pack-idx");
        let mut finished = FinishedPack {
            pack_tmp: std::mem::take(&mut self.tmp),
            idx_tmp: PathBuf::new(),
            hash,
            objects: self.entries.len(),
            published: false,
        };
        let mut idx = store.create_file(&idx_tmp, store.read_only_mode(false))?;
        finished.idx_tmp = idx_tmp.clone();
        idx.write_all(&idx_bytes)
            .map_err(io_at("write", &idx_tmp))?;
        idx.sync_all().map_err(io_at("sync", &idx_tmp))?;
        Ok(Some(finished))
    }
}

impl Drop for PackWriter {
    fn drop(&mut self) {
        // Finished, the file belongs to the FinishedPack (`tmp` is empty).
        self.out = None;
        if !self.tmp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// A finished pack and index, durable in `tmp/` (or a quarantine), not
/// yet visible. Dropped unpublished, it leaves nothing.
#[derive(Debug)]
pub struct FinishedPack {
    pack_tmp: PathBuf,
    idx_tmp: PathBuf,
    hash: [u8; 32],
    objects: usize,
    published: bool,
}

impl FinishedPack {
    /// The number of objects in the pack.
    pub fn objects(&self) -> usize {
        self.objects
    }

    /// `pack-H`.
    pub fn stem(&self) -> String {
        pack_stem(&self.hash)
    }

    /// The finished pack's file, before it is published.
    pub fn pack_file(&self) -> &Path {
        &self.pack_tmp
    }

    /// Makes the pack visible: the store's format becomes 2 if it was 1,
    /// the pack is renamed into `objects/pack/`, then its index, then the
    /// directory is fsynced. Returns the pack's path.
    pub fn publish(mut self, store: &Store) -> Result<PathBuf> {
        store.upgrade_format()?;
        let dir = store.pack_dir();
        if !dir.is_dir() {
            store.create_dir(&dir)?;
        }
        // Always, not only when this process made `objects/pack/`: a writer
        // killed after making it may have left its entry unsynced, and the
        // pack published here would go with it at a power cut.
        sync_dir(&store.objects_dir())?;
        let stem = self.stem();
        let pack = dir.join(format!("{stem}.pack"));
        let idx = dir.join(format!("{stem}.idx"));
        fs::rename(&self.pack_tmp, &pack).map_err(io_at("store", &pack))?;
        fs::rename(&self.idx_tmp, &idx).map_err(io_at("store", &idx))?;
        self.published = true;
        sync_dir(&dir)?;
        Ok(pack)
    }
}

impl Drop for FinishedPack {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_file(&self.pack_tmp);
            let _ = fs::remove_file(&self.idx_tmp);
        }
    }
}
