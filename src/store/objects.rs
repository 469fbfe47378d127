//! Content-addressed objects: `objects/ab/cdef…`, one zstd file each.
//!
//! File layout: a zstd *skippable frame* holding `rel <kind> <size>`, then
//! one zstd frame of the content. `zstd -dc` skips the first frame, so
//! `zstd -dc OBJECT | b3sum` prints a blob's id with stock tools.
//!
//! Invariants: an object is written to `tmp/`, finished, and renamed into
//! place, so a reader never sees a partial object; object files are read-only;
//! every read verifies the content's hash and size while it streams, and the
//! reader fails at the end of a corrupt object instead of returning its last
//! bytes as good. Durability is not per object: a release commit calls
//! [`Store::sync_all`] once before any manifest names new objects.

use std::ffi::CString;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result, io_at};
use crate::id::{Id, Kind, is_hex};
use crate::store::Store;

const SKIPPABLE_MAGIC: u32 = 0x184D_2A52;
/// Files up to this size are read once into memory to hash and compress;
/// larger ones stream in two passes (hash, then compress only if new).
pub const SMALL_FILE: u64 = 1 << 20;
/// Files at least this large are compressed on both cores.
const PARALLEL_COMPRESS: u64 = 16 << 20;
const BUF: usize = 1 << 20;
/// An existing object older than this is touched when a new slug needs it,
/// so `gc --grace` never sweeps what a concurrent writer is about to name.
const FRESHEN_AFTER: Duration = Duration::from_secs(600);

/// Kind and size, from an object's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub kind: Kind,
    pub size: u64,
}

/// Marks an io error raised by a verifying read, so callers can tell a corrupt
/// object from a failing disk.
#[derive(Debug)]
struct CorruptObject {
    id: Id,
    detail: String,
}

impl std::fmt::Display for CorruptObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "object {} is corrupt: {}", self.id, self.detail)
    }
}
impl std::error::Error for CorruptObject {}

fn corrupt_io(id: Id, detail: impl Into<String>) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        CorruptObject {
            id,
            detail: detail.into(),
        },
    )
}

/// Turns an io error from reading an object (or copying out of one) into the
/// core's error: a corruption names the object, anything else the path.
pub fn read_error(e: io::Error, action: &'static str, path: &Path) -> Error {
    if let Some(c) = e.get_ref().and_then(|r| r.downcast_ref::<CorruptObject>()) {
        return Error::Corrupt(c.id, c.detail.clone());
    }
    io_at(action, path)(e)
}

impl Store {
    pub fn object_path(&self, id: &Id) -> PathBuf {
        let hex = id.to_hex();
        self.objects_dir().join(&hex[..2]).join(&hex[2..])
    }

    pub fn has_object(&self, id: &Id) -> bool {
        fs::symlink_metadata(self.object_path(id)).is_ok()
    }

    /// Whether the object exists; if it does and is old, touches it (see
    /// [`FRESHEN_AFTER`]).
    fn has_object_fresh(&self, id: &Id) -> bool {
        let path = self.object_path(id);
        match fs::symlink_metadata(&path) {
            Ok(meta) => {
                let old = meta
                    .modified()
                    .ok()
                    .and_then(|m| SystemTime::now().duration_since(m).ok())
                    .is_some_and(|age| age > FRESHEN_AFTER);
                if old {
                    touch(&path);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Stores `bytes` as an object of `kind`.
    pub fn write_bytes(&self, kind: Kind, bytes: &[u8]) -> Result<Id> {
        let id = kind.id_of(bytes);
        if self.has_object_fresh(&id) {
            return Ok(id);
        }
        let mut w = self.object_writer(kind, bytes.len() as u64)?;
        w.write_all(bytes).map_err(io_at("write", &w.tmp))?;
        w.finish(Some(id))
    }

    /// Stores the regular file at `path` as a blob. Reads it once if its
    /// blob is already stored, twice (hash, then compress) if it is new.
    pub fn write_blob_file(&self, path: &Path, size: u64) -> Result<Id> {
        let mut file = File::open(path).map_err(io_at("read", path))?;
        if size <= SMALL_FILE {
            let mut buf = Vec::with_capacity(size as usize);
            file.read_to_end(&mut buf).map_err(io_at("read", path))?;
            if buf.len() as u64 != size {
                return Err(changed(path));
            }
            return self.write_bytes(Kind::Blob, &buf);
        }
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; BUF];
        let mut total = 0u64;
        loop {
            let n = read_full(&mut file, &mut buf).map_err(io_at("read", path))?;
            if n == 0 {
                break;
            }
            hasher.update_rayon(&buf[..n]);
            total += n as u64;
        }
        if total != size {
            return Err(changed(path));
        }
        let id = Id::from(hasher.finalize());
        if self.has_object_fresh(&id) {
            return Ok(id);
        }
        let mut file = File::open(path).map_err(io_at("read", path))?;
        let mut w = self.object_writer(Kind::Blob, size)?;
        loop {
            let n = read_full(&mut file, &mut buf).map_err(io_at("read", path))?;
            if n == 0 {
                break;
            }
            w.write_all(&buf[..n]).map_err(|e| {
                if e.kind() == io::ErrorKind::InvalidInput {
                    changed(path)
                } else {
                    io_at("write", &w.tmp)(e)
                }
            })?;
        }
        w.finish(Some(id)).map_err(|e| match e {
            Error::Refused(_) => changed(path),
            e => e,
        })
    }

    /// Stores `size` bytes from `reader` as an object of `kind`, streaming.
    pub fn write_reader(&self, kind: Kind, size: u64, reader: &mut dyn Read) -> Result<Id> {
        if size <= SMALL_FILE {
            let mut buf = Vec::with_capacity(size as usize);
            reader
                .take(size)
                .read_to_end(&mut buf)
                .map_err(|e| Error::refused(format!("could not read the input: {e}")))?;
            if buf.len() as u64 != size {
                return Err(Error::refused("the input ended early"));
            }
            return self.write_bytes(kind, &buf);
        }
        let mut w = self.object_writer(kind, size)?;
        let mut buf = vec![0u8; BUF];
        let mut left = size;
        while left > 0 {
            let want = left.min(BUF as u64) as usize;
            let n = read_full(reader, &mut buf[..want])
                .map_err(|e| Error::refused(format!("could not read the input: {e}")))?;
            if n == 0 {
                return Err(Error::refused("the input ended early"));
            }
            w.write_all(&buf[..n]).map_err(io_at("write", &w.tmp))?;
            left -= n as u64;
        }
        w.finish(None)
    }

    /// As [`write_reader`](Self::write_reader), but new objects go to
    /// `staging` and reach the store only when it is committed.
    pub fn write_reader_staged(
        &self,
        kind: Kind,
        size: u64,
        reader: &mut dyn Read,
        staging: &Staging,
    ) -> Result<Id> {
        if size <= SMALL_FILE {
            let mut buf = Vec::with_capacity(size as usize);
            reader
                .take(size)
                .read_to_end(&mut buf)
                .map_err(|e| Error::refused(format!("could not read the input: {e}")))?;
            if buf.len() as u64 != size {
                return Err(Error::refused("the input ended early"));
            }
            let id = kind.id_of(&buf);
            if staging.has(&id) || self.has_object_fresh(&id) {
                return Ok(id);
            }
            let mut w = self.object_writer(kind, size)?;
            w.write_all(&buf).map_err(io_at("write", &w.tmp))?;
            let id = w.finish_to(Some(id), Some(&staging.dir))?;
            staging.add(id);
            return Ok(id);
        }
        let mut w = self.object_writer(kind, size)?;
        let mut buf = vec![0u8; BUF];
        let mut left = size;
        while left > 0 {
            let want = left.min(BUF as u64) as usize;
            let n = read_full(reader, &mut buf[..want])
                .map_err(|e| Error::refused(format!("could not read the input: {e}")))?;
            if n == 0 {
                return Err(Error::refused("the input ended early"));
            }
            w.write_all(&buf[..n]).map_err(io_at("write", &w.tmp))?;
            left -= n as u64;
        }
        let id = w.finish_to(None, Some(&staging.dir))?;
        staging.add(id);
        Ok(id)
    }

    fn object_writer(&self, kind: Kind, size: u64) -> Result<ObjectWriter<'_>> {
        let tmp = self.temp_path("object");
        let file = self.create_file(&tmp, self.read_only_mode(false))?;
        let mut out = BufWriter::with_capacity(256 << 10, file);
        let header = format!("rel {} {}", kind.name(), size);
        let mut frame = Vec::with_capacity(8 + header.len());
        frame.extend_from_slice(&SKIPPABLE_MAGIC.to_le_bytes());
        frame.extend_from_slice(&(header.len() as u32).to_le_bytes());
        frame.extend_from_slice(header.as_bytes());
        let start = || -> io::Result<zstd::stream::write::Encoder<'static, BufWriter<File>>> {
            out.write_all(&frame)?;
            let mut enc = zstd::stream::write::Encoder::new(out, self.settings.compression)?;
            enc.set_pledged_src_size(Some(size))?;
            enc.include_contentsize(true)?;
            if size >= PARALLEL_COMPRESS {
                enc.multithread(2)?;
            }
            Ok(enc)
        };
        let encoder = match start() {
            Ok(e) => e,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(io_at("write", &tmp)(e));
            }
        };
        Ok(ObjectWriter {
            store: self,
            kind,
            size,
            written: 0,
            hasher: kind.hasher(),
            encoder: Some(encoder),
            tmp,
        })
    }

    /// Opens an object for a verifying, streaming read.
    pub fn open_object(&self, id: &Id) -> Result<ObjectReader> {
        let path = self.object_path(id);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::MissingObject(*id)),
            Err(e) => return Err(io_at("read", &path)(e)),
        };
        let mut file = BufReader::with_capacity(128 << 10, file);
        let header = read_header(&mut file, id).map_err(|e| read_error(e, "read", &path))?;
        let decoder =
            zstd::stream::read::Decoder::with_buffer(file).map_err(io_at("read", &path))?;
        Ok(ObjectReader {
            id: *id,
            header,
            hasher: header.kind.hasher(),
            read: 0,
            decoder,
        })
    }

    /// Reads only the header of an object.
    pub fn object_header(&self, id: &Id) -> Result<Header> {
        let path = self.object_path(id);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::MissingObject(*id)),
            Err(e) => return Err(io_at("read", &path)(e)),
        };
        read_header(&mut file, id).map_err(|e| read_error(e, "read", &path))
    }

    /// Reads a whole object of `kind` into memory: for trees and configs,
    /// which are small, never for blobs of unknown size.
    pub fn read_small(&self, id: &Id, kind: Kind) -> Result<Vec<u8>> {
        let mut r = self.open_object(id)?;
        if r.header.kind != kind {
            return Err(Error::refused(format!(
                "object {id} is a {}, not a {kind}",
                r.header.kind
            )));
        }
        let mut out = Vec::with_capacity(r.header.size.min(1 << 24) as usize);
        r.read_to_end(&mut out)
            .map_err(|e| read_error(e, "read", &self.object_path(id)))?;
        Ok(out)
    }

    /// Resolves a full id or a unique prefix of at least 6 hex digits.
    pub fn resolve_id(&self, text: &str) -> Result<Id> {
        let text = text.to_ascii_lowercase();
        if text.len() == 64 && is_hex(&text) {
            let id: Id = text.parse().map_err(|_| not_an_id(&text))?;
            if !self.has_object(&id) {
                return Err(Error::MissingObject(id));
            }
            return Ok(id);
        }
        if text.len() < 6 || text.len() > 64 || !is_hex(&text) {
            return Err(not_an_id(&text));
        }
        let dir = self.objects_dir().join(&text[..2]);
        let rest = &text[2..];
        let mut found: Option<Id> = None;
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(no_match(&text));
            }
            Err(e) => return Err(io_at("read", &dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io_at("read", &dir))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(rest) {
                let full = format!("{}{}", &text[..2], name);
                let Ok(id) = full.parse::<Id>() else { continue };
                if found.is_some() {
                    return Err(Error::refused(format!(
                        "'{text}' names more than one object; give more hex digits"
                    )));
                }
                found = Some(id);
            }
        }
        found.ok_or_else(|| no_match(&text))
    }

    /// Every object id in the store, in no particular order.
    pub fn all_objects(&self) -> Result<Vec<(Id, PathBuf)>> {
        let root = self.objects_dir();
        let mut out = Vec::new();
        for fan in fs::read_dir(&root).map_err(io_at("read", &root))? {
            let fan = fan.map_err(io_at("read", &root))?;
            let prefix = fan.file_name().to_string_lossy().into_owned();
            if prefix.len() != 2 || !fan.path().is_dir() {
                continue;
            }
            for entry in fs::read_dir(fan.path()).map_err(io_at("read", &fan.path()))? {
                let entry = entry.map_err(io_at("read", &fan.path()))?;
                let full = format!("{prefix}{}", entry.file_name().to_string_lossy());
                if let Ok(id) = full.parse::<Id>() {
                    out.push((id, entry.path()));
                }
            }
        }
        Ok(out)
    }
}

fn no_match(text: &str) -> Error {
    Error::refused(format!(
        "no object matches '{text}'; check the id (rel ls-slug and rel rev-parse print ids)"
    ))
}

fn not_an_id(text: &str) -> Error {
    Error::refused(format!(
        "'{text}' is not an object id; give 6 to 64 hex digits"
    ))
}

fn changed(path: &Path) -> Error {
    Error::refused(format!(
        "'{}' changed while rel was reading it; deploy again once it is still",
        path.display()
    ))
}

fn read_header(r: &mut dyn Read, id: &Id) -> io::Result<Header> {
    let mut fixed = [0u8; 8];
    r.read_exact(&mut fixed)
        .map_err(|_| corrupt_io(*id, "too short for a header"))?;
    let magic = u32::from_le_bytes(fixed[..4].try_into().expect("4 bytes"));
    let len = u32::from_le_bytes(fixed[4..].try_into().expect("4 bytes"));
    if magic != SKIPPABLE_MAGIC || len > 64 {
        return Err(corrupt_io(*id, "bad header"));
    }
    let mut text = vec![0u8; len as usize];
    r.read_exact(&mut text)
        .map_err(|_| corrupt_io(*id, "truncated header"))?;
    let text = String::from_utf8(text).map_err(|_| corrupt_io(*id, "bad header"))?;
    let mut parts = text.split(' ');
    let (Some("rel"), Some(kind), Some(size), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(corrupt_io(*id, "bad header"));
    };
    let kind = Kind::from_name(kind).ok_or_else(|| corrupt_io(*id, "unknown kind"))?;
    let size = size.parse().map_err(|_| corrupt_io(*id, "bad size"))?;
    Ok(Header { kind, size })
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn touch(path: &Path) {
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return;
    };
    // SAFETY: a valid NUL-terminated path; a null `times` means "now". A
    // failure only means the object may look older to gc than it is.
    unsafe {
        libc::utimensat(libc::AT_FDCWD, c.as_ptr(), std::ptr::null(), 0);
    }
}

/// Streams content into a new object: hashes, counts and compresses.
pub struct ObjectWriter<'s> {
    store: &'s Store,
    kind: Kind,
    size: u64,
    written: u64,
    hasher: blake3::Hasher,
    encoder: Option<zstd::stream::write::Encoder<'static, BufWriter<File>>>,
    tmp: PathBuf,
}

impl Write for ObjectWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written + buf.len() as u64 > self.size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "more bytes than the object's size",
            ));
        }
        let enc = self.encoder.as_mut().expect("encoder lives until finish");
        let n = enc.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl ObjectWriter<'_> {
    /// Finishes the zstd frame and renames the object into place. With
    /// `expect`, refuses content whose id differs (the source changed).
    fn finish(self, expect: Option<Id>) -> Result<Id> {
        self.finish_to(expect, None)
    }

    /// As [`finish`](Self::finish), renaming into `dest_dir/<hex>` when
    /// given (a staging directory) instead of into the store.
    fn finish_to(mut self, expect: Option<Id>, dest_dir: Option<&Path>) -> Result<Id> {
        if self.written != self.size {
            return Err(Error::refused(format!(
                "expected {} bytes for a {}, got {}",
                self.size, self.kind, self.written
            )));
        }
        let id = Id::from(self.hasher.finalize());
        if expect.is_some_and(|e| e != id) {
            return Err(Error::refused("the content changed while it was stored"));
        }
        let enc = self.encoder.take().expect("encoder lives until finish");
        let out = enc.finish().map_err(io_at("write", &self.tmp))?;
        out.into_inner()
            .map_err(|e| io_at("write", &self.tmp)(e.into_error()))?;
        let dest = match dest_dir {
            Some(dir) => dir.join(id.to_hex()),
            None => {
                let dest = self.store.object_path(&id);
                if let Some(fan) = dest.parent() {
                    self.store.create_dir(fan)?;
                }
                dest
            }
        };
        fs::rename(&self.tmp, &dest).map_err(io_at("store", &dest))?;
        Ok(id)
    }
}

impl Drop for ObjectWriter<'_> {
    fn drop(&mut self) {
        if self.encoder.is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// A streaming read of one object that checks its size and hash; the read
/// that reaches the end fails if either is wrong.
pub struct ObjectReader {
    pub id: Id,
    pub header: Header,
    hasher: blake3::Hasher,
    read: u64,
    decoder: zstd::stream::read::Decoder<'static, BufReader<File>>,
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self
            .decoder
            .read(buf)
            .map_err(|e| corrupt_io(self.id, format!("cannot decompress ({e})")))?;
        self.read += n as u64;
        if self.read > self.header.size {
            return Err(corrupt_io(self.id, "longer than its header says"));
        }
        self.hasher.update(&buf[..n]);
        if n == 0 || self.read == self.header.size {
            // Check the end now: a reader that stops at `size` still verifies.
            if self.read != self.header.size {
                return Err(corrupt_io(self.id, "shorter than its header says"));
            }
            if Id::from(self.hasher.finalize()) != self.id {
                return Err(corrupt_io(self.id, "content does not match its id"));
            }
        }
        Ok(n)
    }
}

/// Objects written while input is still being checked: they reach the store
/// only on [`Staging::commit`], so refused input leaves nothing behind.
pub struct Staging {
    dir: PathBuf,
    staged: std::sync::Mutex<std::collections::HashSet<Id>>,
}

impl Staging {
    pub fn new(store: &Store) -> Result<Staging> {
        let dir = store.temp_path("staging");
        store.create_dir(&dir)?;
        Ok(Staging {
            dir,
            staged: Default::default(),
        })
    }

    fn has(&self, id: &Id) -> bool {
        self.staged.lock().map(|s| s.contains(id)).unwrap_or(false)
    }

    fn add(&self, id: Id) {
        if let Ok(mut s) = self.staged.lock() {
            s.insert(id);
        }
    }

    /// Moves the staged objects that `keep` accepts into the store.
    pub fn commit(self, store: &Store, keep: impl Fn(&Id) -> bool) -> Result<()> {
        let staged = std::mem::take(
            &mut *self
                .staged
                .lock()
                .map_err(|_| Error::refused("a writer thread failed while staging objects"))?,
        );
        for id in staged.iter().filter(|id| keep(id)) {
            let from = self.dir.join(id.to_hex());
            let to = store.object_path(id);
            if let Some(fan) = to.parent() {
                store.create_dir(fan)?;
            }
            fs::rename(&from, &to).map_err(io_at("store", &to))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}
