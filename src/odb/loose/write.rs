//! Writing loose objects: whole encodings put in place, and streams
//! compressed into a new object.

use std::ffi::CString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result, io_at};
use crate::id::{Id, Kind};
use crate::odb::format::header_frame;
use crate::odb::loose::relative_name;
use crate::odb::staging::Staging;
use crate::odb::write::{LARGE_FILE, SMALL_FILE};
use crate::store::Store;
use crate::store::direct::DirectWriter;

/// Whether new objects are made as unnamed files (`O_TMPFILE`) in their fan
/// directory and linked into place, which costs one directory entry instead
/// of a create in `tmp/` and a rename. Turned off for the process the first
/// time the file system (or a missing `/proc`) refuses.
static UNNAMED_FILES: AtomicBool = AtomicBool::new(true);
/// Whether `linkat(AT_EMPTY_PATH)` is allowed to this process.
static EMPTY_PATH_LINKS: AtomicBool = AtomicBool::new(true);

impl Store {
    /// pack when one is open (see `odb`), else an unnamed file in its fan
    /// directory linked to its name, else a file in `tmp/` renamed. An
    /// object that appears meanwhile (a concurrent writer) is as good.
    /// One of a process's first few loose objects is synced before it is
    /// named, so that a power cut never leaves its name on data the disk
    /// lost (a name that a later writer would take for the object); the
    /// many objects of a deploy are synced at once instead, by `syncfs`.
    pub(crate) fn put_object(&self, id: &Id, kind: Kind, size: u64, encoded: &[u8]) -> Result<()> {
        if self.pack_put(id, kind, size, encoded)? {
            self.odb.known.ours(id);
            return Ok(());
        }
        let sync = self.odb.unsynced.object(id, self.object_path(id));
        self.odb.known.ours(id);
        if UNNAMED_FILES.load(Ordering::Relaxed) {
            match self.link_unnamed(id, encoded, sync) {
                Ok(true) => return Ok(()),
                Ok(false) => UNNAMED_FILES.store(false, Ordering::Relaxed),
                Err(e) => return Err(e),
            }
        }
        let tmp = self.temp_path("object");
        let result = (|| {
            let mut file = self.create_file(&tmp, self.read_only_mode(false))?;
            file.write_all(encoded).map_err(io_at("write", &tmp))?;
            if sync {
                file.sync_all().map_err(io_at("sync", &tmp))?;
            }
            drop(file);
            let dest = self.object_path(id);
            if let Some(fan) = dest.parent() {
                self.create_dir(fan)?;
            }
            fs::rename(&tmp, &dest).map_err(io_at("store", &dest))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// The `O_TMPFILE` way of [`put_object`](Self::put_object). `Ok(false)`:
    /// not supported here, use the other way.
    pub(crate) fn link_unnamed(&self, id: &Id, encoded: &[u8], sync: bool) -> Result<bool> {
        let dir = self.objects_fd()?;
        let hex = id.to_hex();
        let fan = CString::new(&hex[..2]).expect("hex has no NUL");
        let rel = relative_name(id);
        let mode = self.read_only_mode(false);
        let open = || {
            // SAFETY: a NUL-terminated name relative to an open directory; the
            // returned descriptor is owned below.
            let fd = unsafe {
                libc::openat(
                    dir.as_raw_fd(),
                    fan.as_ptr(),
                    libc::O_TMPFILE | libc::O_WRONLY | libc::O_CLOEXEC,
                    mode,
                )
            };
            if fd < 0 {
                Err(io::Error::last_os_error())
            } else {
                // SAFETY: `fd` was just opened and is owned by no one else.
                Ok(unsafe { File::from_raw_fd(fd) })
            }
        };
        let mut file = match open() {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.create_dir(&self.objects_dir().join(&hex[..2]))?;
                match open() {
                    Ok(f) => f,
                    Err(_) => return Ok(false),
                }
            }
            Err(_) => return Ok(false),
        };
        let path = self.object_path(id);
        if self.group_readable() {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(mode))
                .map_err(io_at("set the mode of", &path))?;
        }
        self.adopt_file(&file, &path)?;
        file.write_all(encoded).map_err(io_at("write", &path))?;
        if sync {
            file.sync_all().map_err(io_at("sync", &path))?;
        }
        // Linking the descriptor itself (AT_EMPTY_PATH) skips resolving a
        // /proc path; older kernels allow it only with CAP_DAC_READ_SEARCH,
        // so it is tried until refused.
        let link = |from_fd: i32, from: &std::ffi::CStr, flags: i32| {
            // SAFETY: NUL-terminated paths; `file` and `dir` stay open
            // across the call.
            let rc = unsafe {
                libc::linkat(from_fd, from.as_ptr(), dir.as_raw_fd(), rel.as_ptr(), flags)
            };
            if rc == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        };
        let mut result = Err(io::Error::from_raw_os_error(libc::EPERM));
        if EMPTY_PATH_LINKS.load(Ordering::Relaxed) {
            result = link(file.as_raw_fd(), c"", libc::AT_EMPTY_PATH);
            if let Err(e) = &result
                && matches!(
                    e.raw_os_error(),
                    Some(libc::EPERM | libc::ENOENT | libc::EINVAL | libc::EACCES)
                )
            {
                EMPTY_PATH_LINKS.store(false, Ordering::Relaxed);
            }
        }
        if result.is_err() && !EMPTY_PATH_LINKS.load(Ordering::Relaxed) {
            let proc = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))
                .expect("digits have no NUL");
            result = link(libc::AT_FDCWD, &proc, libc::AT_SYMLINK_FOLLOW);
        }
        let Err(e) = result else {
            return Ok(true);
        };
        match e.raw_os_error() {
            Some(libc::EEXIST) => Ok(true),
            Some(libc::ENOENT | libc::EPERM | libc::EACCES | libc::EOPNOTSUPP | libc::EXDEV) => {
                Ok(false)
            }
            _ => Err(io_at("store", &path)(e)),
        }
    }

    pub(crate) fn object_writer(&self, kind: Kind, size: u64) -> Result<ObjectWriter<'_>> {
        let tmp = self.temp_path("object");
        let file = self.create_file(&tmp, self.read_only_mode(false))?;
        let mut out = DirectWriter::for_size(file, size);
        let frame = header_frame(kind, size);
        let start = || -> io::Result<zstd::stream::write::Encoder<'static, DirectWriter>> {
            out.write_all(&frame)?;
            let mut enc = zstd::stream::write::Encoder::new(out, self.settings.compression)?;
            enc.set_pledged_src_size(Some(size))?;
            enc.include_contentsize(true)?;
            if size >= LARGE_FILE {
                enc.multithread(rayon::current_num_threads().max(2) as u32)?;
                // zstd's default jobs (4 windows, 8 MiB at level 3) cost
                // ~16 MiB of buffers per job in flight; 2 MiB jobs compress
                // as fast and as small, in a third of the memory.
                enc.set_parameter(zstd::stream::raw::CParameter::JobSize(2 << 20))?;
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
            hasher: Some(kind.hasher()),
            encoder: Some(encoder),
            tmp,
        })
    }
}

/// Streams content into a new object: hashes, counts and compresses.
pub struct ObjectWriter<'s> {
    store: &'s Store,
    kind: Kind,
    size: u64,
    written: u64,
    /// None when the caller vouches for the id (see `write_large_file`).
    pub(crate) hasher: Option<blake3::Hasher>,
    encoder: Option<zstd::stream::write::Encoder<'static, DirectWriter>>,
    pub(crate) tmp: PathBuf,
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
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&buf[..n]);
        }
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl ObjectWriter<'_> {
    /// Finishes the zstd frame and renames the object into place. With
    /// `expect`, the id of the file at its path as first read: content of
    /// another size or id is refused as [`Error::SourceChanged`].
    pub(crate) fn finish(self, expect: Option<(Id, &Path)>) -> Result<Id> {
        self.finish_to(expect, None)
    }

    /// As [`finish`](Self::finish), renaming into `dest_dir/<hex>` when
    /// given (a staging) instead of into the store.
    pub(crate) fn finish_to(
        mut self,
        expect: Option<(Id, &Path)>,
        staging: Option<&Staging>,
    ) -> Result<Id> {
        let changed = |path: &Path| Error::SourceChanged {
            path: path.to_path_buf(),
        };
        if let Some((_, path)) = expect
            && self.written != self.size
        {
            return Err(changed(path));
        }
        if self.written != self.size {
            return Err(Error::refused(format!(
                "expected {} bytes for a {}, got {}",
                self.size, self.kind, self.written
            )));
        }
        let id = match (&self.hasher, expect) {
            (Some(hasher), _) => Id::from(hasher.finalize()),
            (None, Some((id, _))) => id,
            (None, None) => unreachable!("an unhashed object writer always has its id"),
        };
        if let Some((want, path)) = expect
            && want != id
        {
            return Err(changed(path));
        }
        let enc = self.encoder.take().expect("encoder lives until finish");
        let out = enc.finish().map_err(io_at("write", &self.tmp))?;
        let file = out.finish().map_err(io_at("write", &self.tmp))?;
        let dest = match staging {
            Some(staging) => staging.path_for(self.store, &id)?,
            None => {
                let dest = self.store.object_path(&id);
                // Synced before it is named, as in `put_object`; an object
                // of more than SMALL_FILE bytes always: a deploy packs the
                // smaller ones, so its loose objects are these, and their
                // data is most of a sync's work anyway.
                if self.store.odb.unsynced.object(&id, dest.clone()) || self.size > SMALL_FILE {
                    file.sync_all().map_err(io_at("sync", &self.tmp))?;
                }
                self.store.odb.known.ours(&id);
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
