//! Loose objects: `objects/ab/cdef…`, one file each, in the encoding of
//! [`format`](crate::odb::format).
//!
//! Invariants: an object is written whole and then named (an unnamed file
//! linked into place, or a file in `tmp/` renamed), so a reader never sees a
//! partial object; object files are read-only and never change.

pub mod iter;
pub mod prefix;
pub mod read;
pub mod write;

use std::ffi::CString;
use std::fs;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use crate::error::{Result, io_at};
use crate::id::Id;
use crate::store::Store;

impl Store {
    /// `objects/ab/cdef…`: where the loose copy of `id` is, if there is one.
    /// Only the object database builds this path.
    pub(in crate::odb) fn object_path(&self, id: &Id) -> PathBuf {
        let hex = id.to_hex();
        self.objects_dir().join(&hex[..2]).join(&hex[2..])
    }

    /// Whether `id` is stored loose.
    pub(crate) fn has_loose(&self, id: &Id) -> bool {
        fs::symlink_metadata(self.object_path(id)).is_ok()
    }

    /// Deletes the loose copy of `id`; one already gone is fine.
    pub fn delete_loose(&self, id: &Id) -> Result<()> {
        let path = self.object_path(id);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_at("delete", &path)(e)),
        }
    }

    /// Moves the complete, synced object file at `from` (a received
    /// object, verified) into place as the loose copy of `id`.
    pub fn install_loose(&self, id: &Id, from: &std::path::Path) -> Result<()> {
        let to = self.object_path(id);
        if let Some(fan) = to.parent() {
            self.create_dir(fan)?;
        }
        fs::rename(from, &to).map_err(io_at("store", &to))
    }

    /// `objects/`, opened once per process.
    pub(crate) fn objects_fd(&self) -> Result<BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        if let Some(fd) = self.odb.objects_fd.get() {
            return Ok(fd.as_fd());
        }
        let dir = self.objects_dir();
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(&dir)
            .map_err(io_at("open", &dir))?;
        let _ = self.odb.objects_fd.set(OwnedFd::from(file));
        Ok(self.odb.objects_fd.get().expect("set just above").as_fd())
    }
}

/// `ab/cdef…`: an object's path relative to `objects/`.
pub(crate) fn relative_name(id: &Id) -> CString {
    let hex = id.to_hex();
    CString::new(format!("{}/{}", &hex[..2], &hex[2..])).expect("hex has no NUL")
}
