//! Reading packs: the set of published packs (found by listing
//! `objects/pack/*.idx`), verified reads of packed objects, and whole-pack
//! verification for fsck.

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use super::{Entry, PACK_HEADER_LEN, PackIndex, pack_header, pack_stem};
use crate::error::{Error, Result, io_at};
use crate::id::Id;
use crate::odb::format::{Header, WHOLE_LIMIT, decode, located};
use crate::odb::reader::{ObjectReader, object_at};

/// One published pack and its index.
#[derive(Debug)]
pub struct Pack {
    /// `objects/pack/pack-H.pack`.
    pub path: PathBuf,
    pub index: PackIndex,
    file: Arc<File>,
    len: u64,
    /// The pack file's modification time when loaded.
    pub modified: Option<SystemTime>,
    freshened: AtomicBool,
}

fn damaged(path: &Path, detail: impl Into<String>) -> Error {
    Error::DamagedPack {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

impl Pack {
    /// Loads the pack whose index is at `idx`, validating the index.
    pub fn load(idx: &Path) -> Result<Pack> {
        let path = idx.with_extension("pack");
        let file = File::open(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => damaged(idx, "its pack file is missing"),
            _ => io_at("read", &path)(e),
        })?;
        let meta = file.metadata().map_err(io_at("read", &path))?;
        let index = PackIndex::load(idx, meta.len())?;
        let stem = idx.file_stem().map(|s| s.to_string_lossy().into_owned());
        if stem.as_deref() != Some(pack_stem(&index.pack_hash()).as_str()) {
            return Err(damaged(
                idx,
                "it names another pack than its file name says",
            ));
        }
        Ok(Pack {
            path,
            index,
            file: Arc::new(file),
            len: meta.len(),
            modified: meta.modified().ok(),
            freshened: AtomicBool::new(false),
        })
    }

    /// The pack file's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The raw bytes of an entry's encoding (header frame and data frame):
    /// what `tail -c +OFFSET | head -c LENGTH` cuts out.
    pub fn raw(&self, entry: &Entry) -> impl Read + Send + use<> {
        Slice {
            file: Arc::clone(&self.file),
            pos: entry.offset,
            end: entry.offset + entry.length,
        }
    }

    /// A verifying, streaming read of a packed object.
    pub fn open(&self, entry: &Entry) -> Result<ObjectReader> {
        ObjectReader::start(
            entry.id,
            self.path.clone(),
            Some(entry.offset),
            Box::new(self.raw(entry)),
            Some(Header {
                kind: entry.kind,
                size: entry.size,
            }),
        )
    }

    /// Reads, decompresses and verifies a packed object in memory.
    pub fn read_whole(&self, entry: &Entry) -> Result<(Header, Vec<u8>)> {
        self.read_checked(entry)
            .map(|(_, header, content)| (header, content))
    }

    /// An entry's encoding, after decoding and verifying it: what a copy
    /// into another pack writes.
    pub fn read_verified(&self, entry: &Entry) -> Result<Vec<u8>> {
        self.read_checked(entry).map(|(raw, _, _)| raw)
    }

    /// An entry's encoding, header and content, verified.
    fn read_checked(&self, entry: &Entry) -> Result<(Vec<u8>, Header, Vec<u8>)> {
        let at = object_at(&self.path, Some(entry.offset));
        if entry.size > WHOLE_LIMIT || entry.length > WHOLE_LIMIT + 4096 {
            return Err(Error::Corrupt {
                id: entry.id,
                at: Some(at),
                detail: "larger than expected".into(),
            });
        }
        let mut raw = vec![0u8; entry.length as usize];
        self.file
            .read_exact_at(&mut raw, entry.offset)
            .map_err(io_at("read", &self.path))?;
        let (header, content) = decode(&entry.id, &raw)
            .map_err(|e| located(e, &at))
            .map_err(|e| crate::odb::format::read_error(e, "read", &self.path))?;
        if header.kind != entry.kind || header.size != entry.size {
            return Err(Error::Corrupt {
                id: entry.id,
                at: Some(at),
                detail: "its header differs from its pack's index".into(),
            });
        }
        Ok((raw, header, content))
    }

    /// Touches the pack once per process if it is older than `after`, so
    /// that gc's grace period keeps it whole: a packed object cannot be
    /// touched alone.
    /// Returns the time it set, when it touched it.
    pub fn freshen(&self, after: std::time::Duration) -> Option<SystemTime> {
        if self.freshened.swap(true, Ordering::Relaxed) {
            return None;
        }
        let old = self
            .modified
            .and_then(|m| SystemTime::now().duration_since(m).ok())
            .is_some_and(|age| age > after);
        if !old {
            return None;
        }
        // A failure only means the pack may look older to gc than it is.
        let now = SystemTime::now();
        self.file.set_modified(now).ok().map(|()| now)
    }

    /// Checks the whole pack against its index: its first frame, its hash,
    /// and that the entries tile it without gaps. Objects are verified one
    /// by one with [`open`](Self::open).
    pub fn verify(&self) -> Result<()> {
        let mut head = vec![0u8; PACK_HEADER_LEN as usize];
        if self.file.read_exact_at(&mut head, 0).is_err() || head != pack_header() {
            return Err(damaged(&self.path, "it does not start as a rel pack"));
        }
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut pos = 0u64;
        while pos < self.len {
            let want = ((self.len - pos) as usize).min(buf.len());
            self.file
                .read_exact_at(&mut buf[..want], pos)
                .map_err(io_at("read", &self.path))?;
            hasher.update(&buf[..want]);
            pos += want as u64;
        }
        if hasher.finalize().as_bytes() != &self.index.pack_hash() {
            return Err(damaged(
                &self.path,
                "its content does not match the hash its index and name give",
            ));
        }
        let mut spans: Vec<(u64, u64)> = self
            .index
            .entries()
            .map(|e| (e.offset, e.offset + e.length))
            .collect();
        spans.sort_unstable();
        let mut end = PACK_HEADER_LEN;
        for (start, stop) in spans {
            if start != end {
                return Err(damaged(
                    &self.path,
                    format!("its index leaves bytes {end}..{start} unaccounted for, or overlaps"),
                ));
            }
            end = stop;
        }
        if end != self.len {
            return Err(damaged(
                &self.path,
                format!("it has {} bytes past its last object", self.len - end),
            ));
        }
        Ok(())
    }
}

/// A byte range of a pack file, read with `pread` (so readers share the file).
struct Slice {
    file: Arc<File>,
    pos: u64,
    end: u64,
}

impl Read for Slice {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = ((self.end - self.pos) as usize).min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the pack ends before the object does",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// The published packs of a store, as listed once.
#[derive(Debug, Default)]
pub struct PackSet {
    pub packs: Vec<Arc<Pack>>,
    /// Indexes that could not be loaded, with why: lookups skip them, fsck
    /// reports them.
    pub broken: Vec<(PathBuf, String)>,
    /// The index file names listed, to tell whether a new listing differs.
    names: Vec<std::ffi::OsString>,
}

impl PackSet {
    /// Lists `dir` (`objects/pack/`) and loads every index; no directory is
    /// no packs.
    pub fn load(dir: &Path) -> Result<PackSet> {
        let names = list(dir)?;
        let mut set = PackSet::default();
        for name in &names {
            let idx = dir.join(name);
            match Pack::load(&idx) {
                Ok(p) => set.packs.push(Arc::new(p)),
                Err(Error::DamagedPack { path, detail }) => set.broken.push((path, detail)),
                Err(e) => set.broken.push((idx, format!("it cannot be read ({e})"))),
            }
        }
        // Largest first: most lookups end in the first pack.
        set.packs.sort_by_key(|p| std::cmp::Reverse(p.index.len()));
        set.names = names;
        Ok(set)
    }

    /// Whether `dir` now lists other indexes than this set was loaded from.
    pub fn stale(&self, dir: &Path) -> bool {
        list(dir).map_or(true, |names| names != self.names)
    }

    /// The pack holding `id`, and its entry there.
    pub fn find(&self, id: &Id) -> Option<(&Arc<Pack>, Entry)> {
        self.packs
            .iter()
            .find_map(|p| p.index.find(id).map(|e| (p, e)))
    }

    /// The error to give for an object not found, when an index is broken:
    /// the object may be in its pack.
    pub fn broken_error(&self) -> Option<Error> {
        self.broken
            .first()
            .map(|(path, detail)| Error::DamagedPack {
                path: path.clone(),
                detail: detail.clone(),
            })
    }

    /// The number of packs, loaded or broken.
    pub fn count(&self) -> usize {
        self.names.len()
    }
}

/// The index file names in `dir`, sorted.
fn list(dir: &Path) -> Result<Vec<std::ffi::OsString>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_at("read", dir)(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let name = entry.map_err(io_at("read", dir))?.file_name();
        let s = name.to_string_lossy();
        if s.starts_with("pack-") && s.ends_with(".idx") {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::id::Kind;
    use crate::odb::format::encode;
    use crate::odb::pack::PackWriter;
    use crate::store::Store;

    /// A store with one published pack of `n` blobs; their contents.
    fn packed_store(n: usize) -> (tempfile::TempDir, Store, Vec<Vec<u8>>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::init(dir.path(), Some("t"), None).expect("init");
        let contents: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let len = [0usize, 10, 5000, 70_000][i % 4] + i;
                (0..len).map(|j| ((i * 7 + j / 3) % 251) as u8).collect()
            })
            .collect();
        let mut w = PackWriter::create(&store).expect("create");
        for c in &contents {
            let id = Kind::Blob.id_of(c);
            let enc = encode(Kind::Blob, c, 3).expect("encode");
            assert!(w.add(&id, Kind::Blob, c.len() as u64, &enc).expect("add"));
            assert!(!w.add(&id, Kind::Blob, c.len() as u64, &enc).expect("again"));
        }
        w.finish(&store)
            .expect("finish")
            .expect("not empty")
            .publish(&store)
            .expect("publish");
        (dir, store, contents)
    }

    #[test]
    fn packed_objects_read_back_verified_through_the_store() {
        let (_dir, store, contents) = packed_store(12);
        let set = PackSet::load(&store.pack_dir()).expect("load");
        assert_eq!((set.packs.len(), set.broken.len()), (1, 0));
        set.packs[0].verify().expect("verifies");
        for c in &contents {
            let id = Kind::Blob.id_of(c);
            assert!(store.has_object(&id));
            let (h, bytes) = store.read_whole(&id).expect("read whole");
            assert_eq!((h.size, &bytes), (c.len() as u64, c));
            let mut out = Vec::new();
            store
                .open_object(&id)
                .expect("open")
                .read_to_end(&mut out)
                .expect("stream");
            assert_eq!(&out, c);
            assert_eq!(store.resolve_id(&id.to_hex()[..8]).expect("prefix"), id);
        }
        assert!(!store.has_object(&Kind::Blob.id_of(b"absent")));
        // The store's format became 2 before the pack was published.
        let format = fs::read_to_string(store.dir.join("format")).expect("format");
        assert_eq!(format, "rel-store 2\n");
    }

    #[test]
    fn a_flipped_bit_in_a_pack_is_named_by_id_pack_and_offset() {
        let (_dir, store, contents) = packed_store(8);
        let set = PackSet::load(&store.pack_dir()).expect("load");
        let pack = &set.packs[0];
        let victim = Kind::Blob.id_of(&contents[2]);
        let entry = pack.index.find(&victim).expect("packed");
        let mut bytes = fs::read(&pack.path).expect("read pack");
        bytes[(entry.offset + entry.length - 3) as usize] ^= 0x04;
        let mut perms = fs::metadata(&pack.path).expect("stat").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o600);
        fs::set_permissions(&pack.path, perms).expect("chmod");
        fs::write(&pack.path, &bytes).expect("write pack");
        let set = PackSet::load(&store.pack_dir()).expect("load");
        let pack = &set.packs[0];
        let e = pack.verify().expect_err("hash differs");
        assert!(
            e.to_string().contains(&pack.path.display().to_string()),
            "{e}"
        );
        let want = format!("at offset {}", entry.offset);
        let e = pack.read_whole(&entry).expect_err("corrupt");
        assert!(
            matches!(e, Error::Corrupt { id, .. } if id == victim),
            "{e}"
        );
        assert!(e.to_string().contains(&want), "{e}");
        let mut reader = pack.open(&entry).expect("header is fine");
        let e = reader.read_to_end(&mut Vec::new()).expect_err("corrupt");
        let e = crate::odb::format::read_error(e, "read", &pack.path);
        assert!(
            matches!(e, Error::Corrupt { id, .. } if id == victim),
            "{e}"
        );
        assert!(e.to_string().contains(&want), "{e}");
        assert!(e.to_string().contains("pack-"), "{e}");
        // The other objects still read.
        let other = pack
            .index
            .find(&Kind::Blob.id_of(&contents[5]))
            .expect("packed");
        pack.read_whole(&other).expect("intact");
    }

    #[test]
    fn a_truncated_pack_or_a_missing_one_is_an_error_naming_it() {
        let (_dir, store, _) = packed_store(8);
        let set = PackSet::load(&store.pack_dir()).expect("load");
        let (pack, idx) = (set.packs[0].path.clone(), set.packs[0].index.path.clone());
        drop(set);
        let bytes = fs::read(&pack).expect("read");
        fs::remove_file(&pack).expect("rm");
        fs::write(&pack, &bytes[..bytes.len() - 1]).expect("truncate");
        let set = PackSet::load(&store.pack_dir()).expect("lists");
        assert_eq!(set.packs.len(), 0);
        assert!(set.broken[0].0 == idx, "{:?}", set.broken);
        let e = set.broken_error().expect("broken").to_string();
        assert!(
            e.contains(&idx.display().to_string()) && e.contains("outside"),
            "{e}"
        );
        fs::remove_file(&pack).expect("rm");
        let set = PackSet::load(&store.pack_dir()).expect("lists");
        assert!(set.broken[0].1.contains("missing"), "{:?}", set.broken);
    }
}
