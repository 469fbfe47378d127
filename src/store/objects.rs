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
//! bytes as good. Durability: a release commit makes new objects durable
//! before any manifest names them, either one by one (a process's first
//! few objects, each synced before it is named, then its fan directory and
//! `objects/`) or with one [`Store::sync_all`] (a deploy's many).

use std::cell::RefCell;
use std::ffi::CString;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result, io_at};
use crate::id::{Id, Kind, is_hex};
use crate::odb::pack::PackWriter;
use crate::statcache::FileStat;
use crate::store::Store;
use crate::store::direct::DirectWriter;

const SKIPPABLE_MAGIC: u32 = 0x184D_2A52;
/// Files up to this size are read once into memory to hash and compress;
/// larger ones stream in two passes (hash, then compress only if new).
pub const SMALL_FILE: u64 = 1 << 20;
/// Files at least this large are stored one at a time, compressed on every
/// core, and written past the page cache (see `direct.rs`).
pub const LARGE_FILE: u64 = 16 << 20;
const BUF: usize = 1 << 20;
/// The read size for large files.
const LARGE_BUF: usize = 4 << 20;

/// Gives, when called, a new file to write a copy of a blob's bytes to (and
/// its path, for errors), or nothing. The argument is the blob when this
/// process stored it earlier for another file, whose copy the caller may
/// link instead of writing one (it then gives nothing).
pub type CopyTo<'a> = dyn Fn(Option<&Id>) -> Result<Option<(File, PathBuf)>> + Sync + 'a;
/// An existing object older than this is touched when a new slug needs it,
/// so `gc --grace` never sweeps what a concurrent writer is about to name.
const FRESHEN_AFTER: Duration = Duration::from_secs(600);

thread_local! {
    /// zstd contexts reused by every small object a thread writes or reads:
    /// making a context costs more than compressing a typical source file.
    static COMPRESSOR: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> =
        const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

/// Whether new objects are made as unnamed files (`O_TMPFILE`) in their fan
/// directory and linked into place, which costs one directory entry instead
/// of a create in `tmp/` and a rename. Turned off for the process the first
/// time the file system (or a missing `/proc`) refuses.
static UNNAMED_FILES: AtomicBool = AtomicBool::new(true);
/// Whether `linkat(AT_EMPTY_PATH)` is allowed to this process.
static EMPTY_PATH_LINKS: AtomicBool = AtomicBool::new(true);

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

pub(crate) fn corrupt_io(id: Id, detail: impl Into<String>) -> io::Error {
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

    /// Whether `id` is stored loose.
    pub(crate) fn has_loose(&self, id: &Id) -> bool {
        fs::symlink_metadata(self.object_path(id)).is_ok()
    }

    /// The bytes the object occupies in the store: its compressed file (or
    /// its bytes in a pack), as `du --apparent-size` counts it. The one place that knows where an
    /// object's bytes live, for sizes that sum objects.
    pub fn object_disk_size(&self, id: &Id) -> Result<u64> {
        // A packed object occupies its entry's bytes in the pack.
        match self.locate(id) {
            Ok(at) => Ok(at.disk_size()),
            Err(Error::MissingObject(_)) => Err(Error::refused(format!(
                "object {id} is missing from the store; run 'rel fsck' to list what else is"
            ))),
            Err(e) => Err(e),
        }
    }

    /// `objects/`, opened once per process.
    fn objects_fd(&self) -> Result<BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        if let Some(fd) = self.objects_fd.get() {
            return Ok(fd.as_fd());
        }
        let dir = self.objects_dir();
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(&dir)
            .map_err(io_at("open", &dir))?;
        let _ = self.objects_fd.set(OwnedFd::from(file));
        Ok(self.objects_fd.get().expect("set just above").as_fd())
    }

    /// Whether the object exists; if it does and is old, touches it (see
    /// [`FRESHEN_AFTER`]). Exported for ingest's stat cache, whose hits name
    /// blobs without reading them.
    pub(crate) fn has_object_fresh(&self, id: &Id) -> bool {
        if self.known.is_ours(id) || self.packed_fresh(id, FRESHEN_AFTER) {
            return true;
        }
        if let Some(known) = self.known.lookup(self, id) {
            return known;
        }
        let Ok(dir) = self.objects_fd() else {
            return false;
        };
        let rel = relative_name(id);
        // SAFETY: `st` is plain data the call fills in; `rel` is NUL-terminated
        // and `dir` an open directory for the duration of the calls.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstatat(
                dir.as_raw_fd(),
                rel.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            ) != 0
            {
                return false;
            }
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            if now - st.st_mtime > FRESHEN_AFTER.as_secs() as i64 {
                // A failure only means the object may look older to gc than it is.
                libc::utimensat(dir.as_raw_fd(), rel.as_ptr(), std::ptr::null(), 0);
            }
        }
        true
    }

    /// Makes durable what this process wrote to the store (objects,
    /// checkouts), before a manifest or CURRENT names it: nothing when it
    /// wrote nothing; the few object files and their directories one by one;
    /// else everything, with one `syncfs`. The `syncfs` also flushes what
    /// other processes wrote (a `write-slug` before a `write-release`), so
    /// callers that name objects they did not write, and that no manifest
    /// names yet, call [`sync_all`](Self::sync_all) instead: see
    /// [`wrote`](Self::wrote).
    pub fn sync_written(&self) -> Result<()> {
        // A pack is made durable as it is published.
        self.publish_pack()?;
        let files = match self.unsynced.take() {
            Written::Nothing => return Ok(()),
            Written::Files(files) => files,
            Written::Everything => return self.sync_all(),
        };
        // The files themselves were synced before they were named (see
        // `put_object`); their names are made durable here.
        let mut dirs: Vec<&Path> = files.iter().filter_map(|(_, p)| p.parent()).collect();
        dirs.sort_unstable();
        dirs.dedup();
        for dir in dirs {
            crate::store::sync_dir(dir)?;
        }
        // A fan directory this process created is an entry of `objects/`,
        // lost at a power cut (with the objects in it) until that is synced.
        crate::store::sync_dir(&self.objects_dir())
    }

    /// Whether this process wrote object `id` (so that
    /// [`sync_written`](Self::sync_written) makes it durable, if it is not
    /// already), or wrote so much that `sync_written` will `syncfs`.
    pub fn wrote(&self, id: &Id) -> bool {
        self.unsynced.has(id) || self.known.is_ours(id)
    }

    /// Forgets what was written: a `syncfs` made it durable.
    pub(crate) fn all_synced(&self) {
        self.unsynced.take();
    }

    /// Notes that files outside the objects (a checkout) were written.
    pub(crate) fn wrote_files(&self) {
        self.unsynced.everything();
    }

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

    /// Puts an encoded object (see [`encode`]) in place: into the pending
    /// pack when one is open (see `odb`), else an unnamed file in its fan
    /// directory linked to its name, else a file in `tmp/` renamed. An
    /// object that appears meanwhile (a concurrent writer) is as good.
    /// One of a process's first few loose objects is synced before it is
    /// named, so that a power cut never leaves its name on data the disk
    /// lost (a name that a later writer would take for the object); the
    /// many objects of a deploy are synced at once instead, by `syncfs`.
    fn put_object(&self, id: &Id, kind: Kind, size: u64, encoded: &[u8]) -> Result<()> {
        if self.pack_put(id, kind, size, encoded)? {
            self.known.ours(id);
            return Ok(());
        }
        let sync = self.unsynced.object(id, self.object_path(id));
        self.known.ours(id);
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
    fn link_unnamed(&self, id: &Id, encoded: &[u8], sync: bool) -> Result<bool> {
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
        if let Some((uid, gid)) = self.adopt {
            std::os::unix::fs::fchown(&file, Some(uid), Some(self.gid.unwrap_or(gid)))
                .map_err(io_at("change the owner of", &path))?;
        }
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
            let again = self.known.is_ours(&id);
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
            w.write_all(&buf[..n]).map_err(|e| {
                if e.kind() == io::ErrorKind::InvalidInput {
                    changed(path)
                } else {
                    io_at("write", &w.tmp)(e)
                }
            })?;
            if let Some((out, at)) = &mut out {
                out.write_all(&buf[..n]).map_err(io_at("write", at))?;
            }
        }
        w.finish(Some(id)).map_err(|e| match e {
            Error::Refused(_) => changed(path),
            e => e,
        })
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
            w.write_all(&cur[..n]).map_err(|e| {
                if e.kind() == io::ErrorKind::InvalidInput {
                    changed(path)
                } else {
                    io_at("write", &w.tmp)(e)
                }
            })?;
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
        let id = w.finish(Some(id)).map_err(|e| match e {
            Error::Refused(_) => changed(path),
            e => e,
        })?;
        if let Some((out, at)) = out {
            out.finish().map_err(io_at("write", &at))?;
        }
        Ok(id)
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
            self.write_staged(staging, kind, &id, &buf)?;
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
        let id = w.finish_to(None, Some(staging))?;
        staging.add(id);
        Ok(id)
    }

    /// Writes the object of `bytes` (whose id is `id`) into `staging`,
    /// unless it is staged (or being staged) already.
    pub(crate) fn write_staged(
        &self,
        staging: &Staging,
        kind: Kind,
        id: &Id,
        bytes: &[u8],
    ) -> Result<()> {
        if !staging.claim(*id) {
            return Ok(());
        }
        self.write_claimed(staging, kind, id, bytes)
    }

    /// Writes the object of `bytes` into `staging`, for which the caller
    /// [claimed](Staging::claim) `id`; possibly on another thread.
    pub(crate) fn write_claimed(
        &self,
        staging: &Staging,
        kind: Kind,
        id: &Id,
        bytes: &[u8],
    ) -> Result<()> {
        let encoded = encode(kind, bytes, self.settings.compression)
            .map_err(io_at("compress", &staging.dir))?;
        // Staged into a pack of the staging's own, copied into the
        // store's pending pack on commit if kept.
        if self.packing() {
            let mut pack = staging.pack.lock().unwrap_or_else(|e| e.into_inner());
            if pack.is_none() {
                *pack = Some(PackWriter::create(self)?);
            }
            let pack = pack.as_mut().expect("made just above");
            pack.add(id, kind, bytes.len() as u64, &encoded)?;
            staging.packed(*id);
            return Ok(());
        }
        let path = staging.path_for(self, id)?;
        let mut file = self.create_file(&path, self.read_only_mode(false))?;
        file.write_all(&encoded).map_err(io_at("write", &path))
    }

    fn object_writer(&self, kind: Kind, size: u64) -> Result<ObjectWriter<'_>> {
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

    /// Opens a loose object for a verifying, streaming read.
    pub(crate) fn open_loose(&self, id: &Id) -> Result<ObjectReader> {
        let path = self.object_path(id);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::MissingObject(*id)),
            Err(e) => return Err(io_at("read", &path)(e)),
        };
        ObjectReader::start(*id, path, None, Box::new(file), None)
    }

    /// Reads only the header of a loose object.
    pub(crate) fn loose_header(&self, id: &Id) -> Result<Header> {
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
        let (header, bytes) = self.read_whole(id)?;
        if header.kind != kind {
            return Err(Error::refused(format!(
                "object {id} is a {}, not a {kind}",
                header.kind
            )));
        }
        Ok(bytes)
    }

    /// Reads, decompresses and verifies a whole loose object in memory, with the
    /// thread's reused zstd context: for objects known to be small (trees,
    /// configs, blobs whose tree entry says so). Objects larger than
    /// [`WHOLE_LIMIT`] are refused as corrupt: nothing rel writes is read so.
    pub(crate) fn read_whole_loose(&self, id: &Id) -> Result<(Header, Vec<u8>)> {
        let path = self.object_path(id);
        let file = match fs::read(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::MissingObject(*id)),
            Err(e) => return Err(io_at("read", &path)(e)),
        };
        decode(id, &file).map_err(|e| read_error(e, "read", &path))
    }

    /// The loose objects whose hex id starts with `text` (at least 2 hex
    /// digits, lowercase).
    pub(crate) fn loose_with_prefix(&self, text: &str) -> Result<Vec<Id>> {
        let dir = self.objects_dir().join(&text[..2]);
        let rest = &text[2..];
        let mut found = Vec::new();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(found),
            Err(e) => return Err(io_at("read", &dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io_at("read", &dir))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(rest) {
                let full = format!("{}{}", &text[..2], name);
                if let Ok(id) = full.parse::<Id>() {
                    found.push(id);
                }
            }
        }
        Ok(found)
    }

    /// Every loose object in the store, in no particular order.
    pub(crate) fn loose_objects(&self) -> Result<Vec<(Id, PathBuf)>> {
        let root = self.objects_dir();
        let mut out = Vec::new();
        for fan in fs::read_dir(&root).map_err(io_at("read", &root))? {
            let fan = fan.map_err(io_at("read", &root))?;
            let prefix = fan.file_name().to_string_lossy().into_owned();
            if prefix.len() != 2 || !is_hex(&prefix) || !fan.path().is_dir() {
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
    Error::refused(format!(
        "'{}' changed while rel was reading it; deploy again once it is still",
        path.display()
    ))
}

/// `ab/cdef…`: an object's path relative to `objects/`.
fn relative_name(id: &Id) -> CString {
    let hex = id.to_hex();
    CString::new(format!("{}/{}", &hex[..2], &hex[2..])).expect("hex has no NUL")
}

/// The skippable frame that starts every object: `rel <kind> <size>`.
pub(crate) fn header_frame(kind: Kind, size: u64) -> Vec<u8> {
    let header = format!("rel {} {}", kind.name(), size);
    let mut frame = Vec::with_capacity(8 + header.len());
    frame.extend_from_slice(&SKIPPABLE_MAGIC.to_le_bytes());
    frame.extend_from_slice(&(header.len() as u32).to_le_bytes());
    frame.extend_from_slice(header.as_bytes());
    frame
}

/// The file system block: an object that fits in one whatever its
/// compression takes one block on disk either way.
const DISK_BLOCK: usize = 4096;

/// The bytes of an object file holding `bytes`: the header frame, then one
/// zstd frame (with its content size), made with the thread's context. An
/// object that fits in one disk block uncompressed is stored in a raw zstd
/// block: compressing it would save no disk space, only cost time (most
/// files of a typical app are that small).
pub(crate) fn encode(kind: Kind, bytes: &[u8], level: i32) -> io::Result<Vec<u8>> {
    let mut out = header_frame(kind, bytes.len() as u64);
    if out.len() + RAW_FRAME_OVERHEAD + bytes.len() <= DISK_BLOCK {
        raw_frame(&mut out, bytes);
        return Ok(out);
    }
    out.reserve(zstd::zstd_safe::compress_bound(bytes.len()));
    let start = out.len() as u64;
    COMPRESSOR.with(|cell| -> io::Result<()> {
        let mut cell = cell.borrow_mut();
        if !matches!(&*cell, Some((l, _)) if *l == level) {
            *cell = Some((level, zstd::bulk::Compressor::new(level)?));
        }
        let (_, compressor) = cell.as_mut().expect("made just above");
        let mut cursor = io::Cursor::new(&mut out);
        cursor.set_position(start);
        compressor.compress_to_buffer(bytes, &mut cursor)?;
        Ok(())
    })?;
    Ok(out)
}

/// Magic, frame header and block header of [`raw_frame`], at most.
const RAW_FRAME_OVERHEAD: usize = 4 + 3 + 3;

/// Appends a zstd frame (RFC 8878) holding `bytes` (less than 64 KiB) in
/// one raw block: magic; a frame header saying "single segment" and the
/// content size; a block header saying "last block, raw, N bytes".
fn raw_frame(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    debug_assert!(n < 65536 + 256);
    out.extend_from_slice(&0xFD2F_B528u32.to_le_bytes());
    if n < 256 {
        out.push(0x20);
        out.push(n as u8);
    } else {
        out.push(0x60);
        out.extend_from_slice(&((n - 256) as u16).to_le_bytes());
    }
    let block = 1u32 | (n as u32) << 3;
    out.extend_from_slice(&block.to_le_bytes()[..3]);
    out.extend_from_slice(bytes);
}

/// The largest object [`Store::read_whole`] decodes in memory.
pub const WHOLE_LIMIT: u64 = 64 << 20;

/// Decodes and verifies a whole object file held in memory.
pub(crate) fn decode(id: &Id, file: &[u8]) -> io::Result<(Header, Vec<u8>)> {
    let mut rest = file;
    let header = read_header(&mut rest, id)?;
    if header.size > WHOLE_LIMIT {
        return Err(corrupt_io(*id, "larger than expected"));
    }
    let mut out = Vec::with_capacity(header.size as usize);
    DECOMPRESSOR
        .with(|cell| -> io::Result<()> {
            let mut cell = cell.borrow_mut();
            if cell.is_none() {
                *cell = Some(zstd::bulk::Decompressor::new()?);
            }
            let d = cell.as_mut().expect("made just above");
            d.decompress_to_buffer(rest, &mut out)?;
            Ok(())
        })
        .map_err(|e| {
            if e.to_string().contains("too small") {
                // The output filled up: there was more than the header said.
                corrupt_io(*id, "longer than its header says")
            } else {
                corrupt_io(*id, format!("cannot decompress ({e})"))
            }
        })?;
    if out.len() as u64 != header.size {
        return Err(corrupt_io(*id, "shorter than its header says"));
    }
    let mut hasher = header.kind.hasher();
    hasher.update(&out);
    if Id::from(hasher.finalize()) != *id {
        return Err(corrupt_io(*id, "content does not match its id"));
    }
    Ok((header, out))
}

pub(crate) fn read_header(r: &mut dyn Read, id: &Id) -> io::Result<Header> {
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

/// Streams content into a new object: hashes, counts and compresses.
pub struct ObjectWriter<'s> {
    store: &'s Store,
    kind: Kind,
    size: u64,
    written: u64,
    /// None when the caller vouches for the id (see `write_large_file`).
    hasher: Option<blake3::Hasher>,
    encoder: Option<zstd::stream::write::Encoder<'static, DirectWriter>>,
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
    /// `expect`, refuses content whose id differs (the source changed).
    fn finish(self, expect: Option<Id>) -> Result<Id> {
        self.finish_to(expect, None)
    }

    /// As [`finish`](Self::finish), renaming into `dest_dir/<hex>` when
    /// given (a staging) instead of into the store.
    fn finish_to(mut self, expect: Option<Id>, staging: Option<&Staging>) -> Result<Id> {
        if self.written != self.size {
            return Err(Error::refused(format!(
                "expected {} bytes for a {}, got {}",
                self.size, self.kind, self.written
            )));
        }
        let id = match (&self.hasher, expect) {
            (Some(hasher), _) => Id::from(hasher.finalize()),
            (None, Some(id)) => id,
            (None, None) => unreachable!("an unhashed object writer always has its id"),
        };
        if expect.is_some_and(|e| e != id) {
            return Err(Error::refused("the content changed while it was stored"));
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
                if self.store.unsynced.object(&id, dest.clone()) || self.size > SMALL_FILE {
                    file.sync_all().map_err(io_at("sync", &self.tmp))?;
                }
                self.store.known.ours(&id);
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
            .map_err(|e| located(e, &path, at))
            .map_err(|e| read_error(e, "read", &path))?;
        if expect.is_some_and(|h| h != header) {
            return Err(Error::Corrupt(
                id,
                locate_detail("its header differs from its pack's index", &path, at),
            ));
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

    fn corrupt(&self, detail: impl Into<String>) -> io::Error {
        corrupt_io(self.id, locate_detail(&detail.into(), &self.path, self.at))
    }
}

/// A corruption's detail, followed by where the object is when it is packed.
pub(crate) fn locate_detail(detail: &str, path: &Path, at: Option<u64>) -> String {
    match at {
        Some(offset) => format!("{detail} (in '{}' at offset {offset})", path.display()),
        None => detail.to_string(),
    }
}

/// Adds the pack location to a corruption error raised by a verifying read.
pub(crate) fn located(e: io::Error, path: &Path, at: Option<u64>) -> io::Error {
    if at.is_none() {
        return e;
    }
    match e.get_ref().and_then(|r| r.downcast_ref::<CorruptObject>()) {
        Some(c) => corrupt_io(c.id, locate_detail(&c.detail, path, at)),
        None => e,
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

/// Objects written while input is still being checked: they reach the store
/// only on [`Staging::commit`], so refused input leaves nothing behind.
/// Laid out as `objects/` is (`ab/cdef…`), so that a fan directory the
/// store lacks moves in whole, with one rename.
pub struct Staging {
    dir: PathBuf,
    staged: std::sync::Mutex<std::collections::HashSet<Id>>,
    /// Small objects staged while the store writes a pack: in a pack of
    /// their own, not in `dir`.
    pack: std::sync::Mutex<Option<PackWriter>>,
    /// The ids in `pack`.
    in_pack: std::sync::Mutex<std::collections::HashSet<Id>>,
    /// Which fan directories (by an id's first byte) are made in `dir`.
    fans: Box<[AtomicBool]>,
}

impl Staging {
    pub fn new(store: &Store) -> Result<Staging> {
        let dir = store.temp_path("staging");
        store.create_dir(&dir)?;
        Ok(Staging {
            dir,
            staged: Default::default(),
            in_pack: Default::default(),
            pack: Default::default(),
            fans: (0..256).map(|_| AtomicBool::new(false)).collect(),
        })
    }

    /// Where `id` is staged, its fan directory made if need be.
    fn path_for(&self, store: &Store, id: &Id) -> Result<PathBuf> {
        let hex = id.to_hex();
        let fan = self.dir.join(&hex[..2]);
        let made = &self.fans[id.0[0] as usize];
        if !made.load(Ordering::Relaxed) {
            store.create_dir(&fan)?;
            made.store(true, Ordering::Relaxed);
        }
        Ok(fan.join(&hex[2..]))
    }

    fn packed(&self, id: Id) {
        self.in_pack
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id);
    }

    fn has(&self, id: &Id) -> bool {
        self.staged.lock().map(|s| s.contains(id)).unwrap_or(false)
    }

    fn add(&self, id: Id) {
        if let Ok(mut s) = self.staged.lock() {
            s.insert(id);
        }
    }

    /// Reserves `id` for the caller to stage: false when it is staged or
    /// being staged already.
    pub(crate) fn claim(&self, id: Id) -> bool {
        self.staged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id)
    }

    /// Moves the staged objects that `keep` accepts into the store, on
    /// every core. A fan directory the store does not have yet, all of
    /// whose staged objects are kept, is renamed into `objects/` whole: a
    /// cold deploy of 28k files so makes 256 renames, not 28k. Others go
    /// one object at a time; an object that is there already (a concurrent
    /// writer's) is as good.
    pub fn commit(self, store: &Store, keep: impl Fn(&Id) -> bool + Sync) -> Result<()> {
        use rayon::prelude::*;
        store.unsynced.everything();
        let mut staged = std::mem::take(
            &mut *self
                .staged
                .lock()
                .map_err(|_| Error::refused("a writer thread failed while staging objects"))?,
        );
        for id in self
            .in_pack
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            staged.remove(id);
        }
        let pack = self.pack.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(pack) = pack {
            pack.drain(|e, encoded| {
                if keep(&e.id) {
                    store.put_object(&e.id, e.kind, e.size, encoded)?;
                }
                Ok(())
            })?;
        }
        // Per fan: the objects to keep, and whether any is left out.
        let mut fans: Vec<(Vec<Id>, bool)> = (0..256).map(|_| (Vec::new(), false)).collect();
        for id in staged {
            let fan = &mut fans[id.0[0] as usize];
            if keep(&id) {
                fan.0.push(id);
            } else {
                fan.1 = true;
            }
        }
        fans.into_par_iter()
            .enumerate()
            .try_for_each(|(byte, (ids, left_out))| {
                if ids.is_empty() {
                    return Ok(());
                }
                let hex = format!("{byte:02x}");
                let (from_fan, to_fan) = (self.dir.join(&hex), store.objects_dir().join(&hex));
                if !left_out && !to_fan.exists() && fs::rename(&from_fan, &to_fan).is_ok() {
                    store.known.fan_exists(byte);
                    return Ok(());
                }
                ids.par_iter().try_for_each(|id| {
                    let rest = &id.to_hex()[2..];
                    let (from, to) = (from_fan.join(rest), to_fan.join(rest));
                    match fs::rename(&from, &to) {
                        Ok(()) => Ok(()),
                        Err(e) if e.kind() == io::ErrorKind::NotFound && !to.exists() => {
                            // The fan directory is missing (the object is staged).
                            store.create_dir(&to_fan)?;
                            fs::rename(&from, &to).map_err(io_at("store", &to))
                        }
                        Err(e) => Err(io_at("store", &to)(e)),
                    }
                })
            })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
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
            let e = store_it().expect_err(what).to_string();
            assert!(
                e.contains("changed while rel was reading it"),
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

    #[test]
    fn raw_frames_decode_as_zstd() {
        for n in [0usize, 1, 255, 256, 257, 1000, 4000, 4096, 65535] {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 31 % 256) as u8).collect();
            let mut frame = Vec::new();
            raw_frame(&mut frame, &bytes);
            let back = zstd::bulk::decompress(&frame, n.max(1)).expect("decodes");
            assert_eq!(back, bytes, "{n} bytes");
            let id = Kind::Blob.id_of(&bytes);
            let mut object = header_frame(Kind::Blob, n as u64);
            object.extend_from_slice(&frame);
            let (header, out) = decode(&id, &object).expect("verifies");
            assert_eq!((header.size, out), (n as u64, bytes));
        }
    }
}

/// What a process wrote that [`Store::sync_written`] must make durable: a
/// few object files, or too much to name (then one `syncfs`).
#[derive(Debug, Default)]
pub struct Unsynced {
    state: std::sync::Mutex<Written>,
}

#[derive(Debug, Default)]
enum Written {
    #[default]
    Nothing,
    Files(Vec<(Id, PathBuf)>),
    Everything,
}

/// Past this many objects, one `syncfs` is cheaper than an fsync each.
const FEW: usize = 16;

impl Unsynced {
    fn lock(&self) -> std::sync::MutexGuard<'_, Written> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes an object about to be written: true when it is one of the
    /// few, which its writer syncs before naming it.
    fn object(&self, id: &Id, path: PathBuf) -> bool {
        let mut state = self.lock();
        match &mut *state {
            Written::Nothing => *state = Written::Files(vec![(*id, path)]),
            Written::Files(files) if files.len() < FEW => files.push((*id, path)),
            Written::Files(_) => *state = Written::Everything,
            Written::Everything => {}
        }
        matches!(*state, Written::Files(_))
    }

    fn everything(&self) {
        *self.lock() = Written::Everything;
    }

    fn has(&self, id: &Id) -> bool {
        match &*self.lock() {
            Written::Nothing => false,
            Written::Files(files) => files.iter().any(|(i, _)| i == id),
            Written::Everything => true,
        }
    }

    fn take(&self) -> Written {
        std::mem::take(&mut *self.lock())
    }
}

/// What this process knows about objects without asking the file system:
/// those it wrote, and the fan directories (`objects/ab/`) that did not
/// exist when it first looked, whose objects are all its own (or a
/// concurrent writer's, which a link or rename into place then meets). A
/// cold deploy into a new store so makes no existence checks at all.
#[derive(Debug)]
pub struct Known {
    /// Per fan directory: 0 not looked at yet, 1 existed, 2 did not exist.
    fans: Box<[std::sync::atomic::AtomicU8]>,
    ours: std::sync::Mutex<std::collections::HashSet<Id>>,
}

impl Default for Known {
    fn default() -> Known {
        Known {
            fans: (0..256).map(|_| Default::default()).collect(),
            ours: Default::default(),
        }
    }
}

impl Known {
    /// `Some(exists)` when known, `None` when the file system must say.
    fn lookup(&self, store: &Store, id: &Id) -> Option<bool> {
        let ours = self.ours.lock().unwrap_or_else(|e| e.into_inner());
        if ours.contains(id) {
            return Some(true);
        }
        drop(ours);
        let fan = &self.fans[id.0[0] as usize];
        match fan.load(Ordering::Relaxed) {
            1 => None,
            2 => Some(false),
            _ => {
                let hex = id.to_hex();
                let exists = store.objects_dir().join(&hex[..2]).is_dir();
                fan.store(if exists { 1 } else { 2 }, Ordering::Relaxed);
                if exists { None } else { Some(false) }
            }
        }
    }

    /// Notes that the fan directory of ids starting with `byte` exists now
    /// (one moved in whole), so lookups there ask the file system again.
    fn fan_exists(&self, byte: usize) {
        self.fans[byte].store(1, Ordering::Relaxed);
    }

    /// Whether this process wrote the object `id`.
    fn is_ours(&self, id: &Id) -> bool {
        self.ours
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(id)
    }

    fn ours(&self, id: &Id) {
        self.ours
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(*id);
    }
}
