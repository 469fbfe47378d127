//! The verifying, streaming read of one object, loose or packed.

use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, ObjectAt, Result, io_at};
use crate::id::Id;
use crate::odb::format::{Header, corrupt_io, located, read_error, read_header};

/// A streaming read of one object that checks its size and hash; the read
/// that reaches the end fails if either is wrong.
pub struct ObjectReader {
    pub id: Id,
    pub header: Header,
    /// The file the object is read from: its own, or its pack.
    pub path: PathBuf,
    /// The object's offset in `path` when it is packed: corruption names it.
    at: Option<u64>,
    hasher: blake3::Hasher,
    read: u64,
    decoder: zstd::stream::read::Decoder<'static, BufReader<Box<dyn Read + Send>>>,
}

impl ObjectReader {
    /// Starts a verifying read of the object `id` whose encoding `source`
    /// gives, from `path` (at offset `at` in a pack). `expect` is the kind
    /// and size a pack's index gives: a header that differs is corrupt.
    pub(crate) fn start(
        id: Id,
        path: PathBuf,
        at: Option<u64>,
        source: Box<dyn Read + Send>,
        expect: Option<Header>,
    ) -> Result<ObjectReader> {
        let mut source = BufReader::with_capacity(128 << 10, source);
        let header = read_header(&mut source, &id)
            .map_err(|e| located(e, &object_at(&path, at)))
            .map_err(|e| read_error(e, "read", &path))?;
        if expect.is_some_and(|h| h != header) {
            return Err(Error::Corrupt {
                id,
                at: Some(object_at(&path, at)),
                detail: "its header differs from its pack's index".into(),
            });
        }
        let decoder =
            zstd::stream::read::Decoder::with_buffer(source).map_err(io_at("read", &path))?;
        Ok(ObjectReader {
            id,
            header,
            path,
            at,
            hasher: header.kind.hasher(),
            read: 0,
            decoder,
        })
    }

    /// Reads the rest of the object into `out` (which is `to`, for
    /// errors), verifying it as it streams: a corruption is
    /// [`Error::Corrupt`] naming the copy, a failing read names the
    /// object's file, a failing write `to`. Returns the bytes copied.
    pub fn copy_to(&mut self, out: &mut dyn Write, to: &Path) -> Result<u64> {
        let mut buf = vec![0u8; (self.header.size.min(1 << 20) as usize).max(4096)];
        let mut total = 0;
        loop {
            let n = match self.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_error(e, "read", &self.path)),
            };
            out.write_all(&buf[..n]).map_err(io_at("write", to))?;
            total += n as u64;
        }
    }

    /// Reads the rest of the object through, verifying it.
    pub fn verify_rest(&mut self) -> Result<()> {
        self.copy_to(&mut io::sink(), Path::new("nowhere"))
            .map(|_| ())
    }

    /// Reads the rest of the object into memory, verifying it: for objects
    /// known to be small.
    pub fn read_rest(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.copy_to(&mut out, Path::new("memory"))?;
        Ok(out)
    }

    fn corrupt(&self, detail: impl Into<String>) -> io::Error {
        located(corrupt_io(self.id, detail), &object_at(&self.path, self.at))
    }
}

/// Where the copy read from `path` is: the loose object `path`, or the
/// entry at `offset` of the pack `path`.
pub(crate) fn object_at(path: &Path, offset: Option<u64>) -> ObjectAt {
    match offset {
        Some(offset) => ObjectAt::Packed {
            pack: path.to_path_buf(),
            offset,
        },
        None => ObjectAt::Loose(path.to_path_buf()),
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self
            .decoder
            .read(buf)
            .map_err(|e| self.corrupt(format!("cannot decompress ({e})")))?;
        self.read += n as u64;
        if self.read > self.header.size {
            return Err(self.corrupt("longer than its header says"));
        }
        self.hasher.update(&buf[..n]);
        if n == 0 || self.read == self.header.size {
            // Check the end now: a reader that stops at `size` still verifies.
            if self.read != self.header.size {
                return Err(self.corrupt("shorter than its header says"));
            }
            if Id::from(self.hasher.finalize()) != self.id {
                return Err(self.corrupt("content does not match its id"));
            }
        }
        Ok(n)
    }
}
