//! Reading loose objects.

use std::fs::{self, File};
use std::io;

use crate::error::{Error, ObjectAt, Result, io_at};
use crate::id::Id;
use crate::odb::format::{Header, decode, located, read_error, read_header};
use crate::odb::reader::ObjectReader;
use crate::store::Store;

impl Store {
    /// Opens a loose object for a verifying, streaming read.
    pub(crate) fn open_loose(&self, id: &Id) -> Result<ObjectReader> {
        let path = self.object_path(id);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::Missing { id: *id });
            }
            Err(e) => return Err(io_at("read", &path)(e)),
        };
        ObjectReader::start(*id, path, None, Box::new(file), None)
    }

    /// Reads only the header of a loose object.
    pub(crate) fn loose_header(&self, id: &Id) -> Result<Header> {
        let path = self.object_path(id);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::Missing { id: *id });
            }
            Err(e) => return Err(io_at("read", &path)(e)),
        };
        read_header(&mut file, id)
            .map_err(|e| located(e, &ObjectAt::Loose(path.clone())))
            .map_err(|e| read_error(e, "read", &path))
    }

    /// Reads, decompresses and verifies a whole loose object in memory, with the
    /// thread's reused zstd context: for objects known to be small (trees,
    /// configs, blobs whose tree entry says so). Objects larger than
    /// [`WHOLE_LIMIT`] are refused as corrupt: nothing rel writes is read so.
    pub(crate) fn read_whole_loose(&self, id: &Id) -> Result<(Header, Vec<u8>)> {
        let path = self.object_path(id);
        let file = match fs::read(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::Missing { id: *id });
            }
            Err(e) => return Err(io_at("read", &path)(e)),
        };
        decode(id, &file)
            .map_err(|e| located(e, &ObjectAt::Loose(path.clone())))
            .map_err(|e| read_error(e, "read", &path))
    }

    /// The encoding of a loose object as its file holds it (for copying
    /// into a pack), decoded once to verify it, with its header.
    pub(crate) fn read_loose_encoded(&self, id: &Id) -> Result<(Header, Vec<u8>)> {
        let path = self.object_path(id);
        let bytes = fs::read(&path).map_err(io_at("read", &path))?;
        let (header, _) = decode(id, &bytes)
            .map_err(|e| located(e, &ObjectAt::Loose(path.clone())))
            .map_err(|e| read_error(e, "read", &path))?;
        Ok((header, bytes))
    }
}
