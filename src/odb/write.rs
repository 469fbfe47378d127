//! Storing content as objects: bytes, streams and files from disk. Small
//! objects go to the pending pack when one is open, the rest loose. Every
//! write hashes what it stores; a file read from disk is checked to be the
//! one a scan saw, and to not change while it is read.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, io_at};
use crate::fsstat::FileStat;
use crate::id::{Id, Kind};
use crate::odb::format::encode;
use crate::odb::loose::write::ObjectWriter;
use crate::store::Store;
use crate::store::direct::DirectWriter;

/// Files up to this size are read once into memory to hash and compress;
/// larger ones stream in two passes (hash, then compress only if new).
pub const SMALL_FILE: u64 = 1 << 20;
/// Files at least this large are stored one at a time, compressed on every
/// core, and written past the page cache (see `direct.rs`).
pub const LARGE_FILE: u64 = 16 << 20;
pub(crate) const BUF: usize = 1 << 20;
/// The read size for large files.
const LARGE_BUF: usize = 4 << 20;

/// Gives, when called, a new file to write a copy of a blob's bytes to (and
/// its path, for errors), or nothing. The argument is the blob when this
/// process stored it earlier for another file, whose copy the caller may
/// link instead of writing one (it then gives nothing).
pub type CopyTo<'a> = dyn Fn(Option<&Id>) -> Result<Option<(File, PathBuf)>> + Sync + 'a;

impl Store {
    /// Stores `bytes` as an object of `kind`.
    pub fn write_bytes(&self, kind: Kind, bytes: &[u8]) -> Result<Id> {
        let id = kind.id_of(bytes);
        self.write_bytes_as(kind, &id, bytes)?;
        Ok(id)
    }

    /// [`write_bytes`](Self::write_bytes) for a caller that knows the id.
    fn write_bytes_as(&self, kind: Kind, id: &Id, bytes: &[u8]) -> Result<()> {
        if self.has_object_fresh(id) {
            return Ok(());
        }
        let encoded = encode(kind, bytes, self.settings.compression)
            .map_err(io_at("compress", &self.object_path(id)))?;
        self.put_object(id, kind, bytes.len() as u64, &encoded)
    }

    /// Stores the regular file at `path` as a blob. Reads it once if its
    /// blob is already stored, twice (hash, then compress) if it is new.
    pub fn write_blob_file(&self, path: &Path, size: u64) -> Result<Id> {
        self.write_blob_file_copy(path, size, None, &|_| Ok(None))
    }

    /// [`write_blob_file`](Self::write_blob_file), writing the bytes also to
    /// the file `copy` may give (a deploy's prepared checkout): small files
    /// always, others when they are new.
    /// `seen`, from a directory scan, is the file's device and inode: the
    /// file is read only if it is still that one (see [`open_scanned`]).
    pub fn write_blob_file_copy(
        &self,
        path: &Path,
        size: u64,
        seen: Option<(u64, u64)>,
        copy: &CopyTo,
    ) -> Result<Id> {
        let mut file = open_scanned(path, seen)?;
        if size <= SMALL_FILE {
            // One byte more than the scan saw, to notice a file that grew;
            // read_to_end would also stat and seek to size its buffer.
            let mut buf = vec![0u8; size as usize + 1];
            let n = read_full(&mut file, &mut buf).map_err(io_at("read", path))?;
            if n as u64 != size {
                return Err(changed(path));
            }
            buf.truncate(n);
            let id = Kind::Blob.id_of(&buf);
            let again = self.odb.known.is_ours(&id);
            self.write_bytes_as(Kind::Blob, &id, &buf)?;
            if let Some((mut out, at)) = copy(again.then_some(&id))? {
                out.write_all(&buf).map_err(io_at("write", &at))?;
            }
            return Ok(id);
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
        let mut file = open_scanned(path, seen)?;
        let mut w = self.object_writer(Kind::Blob, size)?;
        let mut out = copy(None)?;
        loop {
            let n = read_full(&mut file, &mut buf).map_err(io_at("read", path))?;
            if n == 0 {
                break;
            }
            w.write_all(&buf[..n])
                .map_err(|e| write_error(e, path, &w.tmp))?;
            if let Some((out, at)) = &mut out {
                out.write_all(&buf[..n]).map_err(io_at("write", at))?;
            }
        }
        w.finish(Some((id, path)))
    }

    /// Stores a file of at least [`LARGE_FILE`] bytes, found by a scan that
    /// saw `stat` and started at a time `settled` says `stat` is older than
    /// (see `statcache.rs`). Pass one hashes on every core, reading the next
    /// 4 MiB while the last is hashed; if the blob is new, pass two
    /// compresses on every core, writes past the page cache and writes the
    /// bytes to `copy`, if it gives a file, the same way. When the file's stat after pass two is
    /// still `stat` and `settled`, nothing can have changed it since the
    /// scan began, and pass two is not hashed again.
    ///
    /// `done` is told the bytes as they are stored (all at once when the
    /// blob exists already), for progress: `size` in all.
    pub fn write_large_file(
        &self,
        path: &Path,
        stat: &FileStat,
        settled: bool,
        copy: &CopyTo,
        done: &(dyn Fn(u64) + Sync),
    ) -> Result<Id> {
        let size = stat.size;
        let seen = Some((stat.dev, stat.ino));
        let mut file = open_scanned(path, seen)?;
        let mut hasher = blake3::Hasher::new();
        let mut cur = vec![0u8; LARGE_BUF];
        let mut next = vec![0u8; LARGE_BUF];
        let mut total = 0u64;
        let mut n = read_full(&mut file, &mut cur).map_err(io_at("read", path))?;
        while n > 0 {
            total += n as u64;
            let (read, ()) = rayon::join(
                || read_full(&mut file, &mut next),
                || {
                    hasher.update_rayon(&cur[..n]);
                },
            );
            n = read.map_err(io_at("read", path))?;
            std::mem::swap(&mut cur, &mut next);
        }
        drop(next);
        if total != size {
            return Err(changed(path));
        }
        let id = Id::from(hasher.finalize());
        if self.has_object_fresh(&id) {
            done(size);
            return Ok(id);
        }

        let mut file = open_scanned(path, seen)?;
        let mut w = self.object_writer(Kind::Blob, size)?;
        if settled {
            w.hasher = None;
        }
        let mut out = copy(None)?.map(|(f, at)| (DirectWriter::new(f), at));
        loop {
            let n = read_full(&mut file, &mut cur).map_err(io_at("read", path))?;
            if n == 0 {
                break;
            }
            w.write_all(&cur[..n])
                .map_err(|e| write_error(e, path, &w.tmp))?;
            if let Some((out, at)) = &mut out {
                out.write_all(&cur[..n]).map_err(io_at("write", at))?;
            }
            done(n as u64);
        }
        if settled {
            let now = file.metadata().map_err(io_at("read", path))?;
            if FileStat::of(&now) != *stat {
                return Err(changed(path));
            }
        }
        let id = w.finish(Some((id, path)))?;
        if let Some((out, at)) = out {
            out.finish().map_err(io_at("write", &at))?;
        }
        Ok(id)
    }

    /// Stores `size` bytes from `reader` as an object of `kind`, streaming.
    pub fn write_reader(&self, kind: Kind, size: u64, reader: &mut dyn Read) -> Result<Id> {
        if size <= SMALL_FILE {
            let buf = read_input(reader, size)?;
            return self.write_bytes(kind, &buf);
        }
        let mut w = self.object_writer(kind, size)?;
        stream_input(reader, size, &mut w)?;
        w.finish(None)
    }
}

/// Reads the `size` bytes of input an object holds, all of them.
pub(crate) fn read_input(reader: &mut dyn Read, size: u64) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(size as usize);
    reader
        .take(size)
        .read_to_end(&mut buf)
        .map_err(Error::Input)?;
    if buf.len() as u64 != size {
        return Err(Error::InputEnded);
    }
    Ok(buf)
}

/// Streams the `size` bytes of input an object holds into `w`.
pub(crate) fn stream_input(
    reader: &mut dyn Read,
    size: u64,
    w: &mut ObjectWriter<'_>,
) -> Result<()> {
    let mut buf = vec![0u8; BUF];
    let mut left = size;
    while left > 0 {
        let want = left.min(BUF as u64) as usize;
        let n = read_full(reader, &mut buf[..want]).map_err(Error::Input)?;
        if n == 0 {
            return Err(Error::InputEnded);
        }
        w.write_all(&buf[..n]).map_err(io_at("write", &w.tmp))?;
        left -= n as u64;
    }
    Ok(())
}

/// Opens a file to store, never a link (`O_NOFOLLOW`) and, given `seen`
/// (device and inode) from a directory scan, only the file the scan saw:
/// if a link replaced the file or a directory above it since, rel stores
/// nothing from where that link leads.
pub(crate) fn open_scanned(path: &Path, seen: Option<(u64, u64)>) -> Result<File> {
    use std::os::unix::fs::MetadataExt;
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => changed(path),
            _ => io_at("read", path)(e),
        })?;
    if let Some(seen) = seen {
        let meta = file.metadata().map_err(io_at("read", path))?;
        if (meta.dev(), meta.ino()) != seen {
            return Err(changed(path));
        }
    }
    Ok(file)
}

fn changed(path: &Path) -> Error {
    Error::SourceChanged {
        path: path.to_path_buf(),
    }
}

pub(crate) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
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

/// An error writing a scanned file's object: the object writer refuses
/// more bytes than the scan saw (the file grew), else an I/O error on its
/// temp file.
fn write_error(e: io::Error, path: &Path, tmp: &Path) -> Error {
    if e.kind() == io::ErrorKind::InvalidInput {
        changed(path)
    } else {
        io_at("write", tmp)(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_file_reports_all_its_bytes_as_stored_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::init(dir.path(), Some("t"), None).expect("init");
        let path = dir.path().join("large");
        let bytes: Vec<u8> = (0..LARGE_FILE as usize + 5_000_000)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        fs::write(&path, &bytes).expect("write");
        let stat = FileStat::of(&fs::metadata(&path).expect("stat"));
        for round in ["new", "stored already"] {
            let calls = std::sync::Mutex::new(Vec::new());
            let id = store
                .write_large_file(&path, &stat, false, &|_| Ok(None), &|n| {
                    calls.lock().expect("lock").push(n)
                })
                .expect("store");
            assert_eq!(id, Kind::Blob.id_of(&bytes));
            let calls = calls.into_inner().expect("lock");
            assert_eq!(calls.iter().sum::<u64>(), bytes.len() as u64, "{round}");
            if round == "new" {
                assert!(calls.len() > 1, "reported in one piece: {calls:?}");
            } else {
                assert_eq!(calls.len(), 1, "{calls:?}");
            }
        }
    }

    /// The scan saw a file; before it is read, it or a directory above it
    /// is replaced by a link to another file of the same size: nothing
    /// is read from where the link leads.
    #[test]
    fn only_the_file_the_scan_saw_is_stored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let at = |p: &str| dir.path().join(p);
        fs::create_dir_all(at("app")).expect("mkdir");
        let store = Store::init(&at("app"), Some("t"), None).expect("init");
        fs::create_dir_all(at("src/sub")).expect("mkdir");
        fs::create_dir_all(at("outside")).expect("mkdir");
        let file = at("src/sub/f");
        fs::write(&file, b"mine").expect("write");
        fs::write(at("outside/f"), b"nope").expect("write");
        let stat = FileStat::of(&fs::symlink_metadata(&file).expect("stat"));
        let seen = Some((stat.dev, stat.ino));
        let store_it = || store.write_blob_file_copy(&file, 4, seen, &|_| Ok(None));
        assert_eq!(store_it().expect("stored"), Kind::Blob.id_of(b"mine"));
        let refused = |what: &str| {
            let e = store_it().expect_err(what);
            assert!(
                matches!(&e, Error::SourceChanged { path } if *path == file),
                "{what}: {e}"
            );
        };
        // The directory above is now a link.
        fs::rename(at("src/sub"), at("src/old")).expect("rename");
        std::os::unix::fs::symlink(at("outside"), at("src/sub")).expect("symlink");
        refused("through a linked directory");
        // The file itself is now a link.
        fs::remove_file(at("src/sub")).expect("unlink");
        fs::rename(at("src/old"), at("src/sub")).expect("rename");
        fs::remove_file(&file).expect("unlink");
        std::os::unix::fs::symlink(at("outside/f"), &file).expect("symlink");
        refused("a link in place of the file");
        assert!(!store.has_object(&Kind::Blob.id_of(b"nope")));
    }
}
