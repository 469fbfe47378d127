//! Checkout: materialising a slug as files.
//!
//! A store checkout (`checkouts/<slug-id>/`) is built in `tmp/` and renamed
//! into place, so a checkout that exists is complete. Its files are
//! read-only; a file whose blob is already checked out in the current
//! release's checkout is hard-linked from there instead of decompressed, so
//! switching to a slug that shares most files costs little, and files of
//! one checkout that hold the same blob with the same mode are one inode.
//! Every file written from an object is verified against its id as it
//! streams: a corrupt object fails the checkout.
//!
//! A slug's symlinks may point anywhere, and rel never follows one: every
//! directory below a checkout's root is opened from its parent without
//! following a link, and every file, directory and link is created, linked,
//! given its mode and its owner relative to its parent's descriptor
//! (`O_EXCL | O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`); the slug's links are
//! made after everything else. A deploy's prepared checkout is written by
//! path, but only into directories it made, before any link exists in it.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rayon::prelude::*;
use rustix::fs::{
    AtFlags, Dir, FileType, Mode, OFlags, fchmod, linkat, mkdirat, openat, statat, symlinkat,
    unlinkat,
};
use rustix::io::Errno;

use crate::error::{Error, Result, io_at};
use crate::id::{Id, Kind};
use crate::odb::{LARGE_FILE, SMALL_FILE};
use crate::progress::Progress;
use crate::store::Store;
use crate::store::direct::DirectWriter;
use crate::tree::EntryKind;

/// A file to write. Paths are kept relative (to the checkout being built)
/// and joined when used: a slug's files are all listed at once.
struct FileJob {
    rel: Vec<u8>,
    id: Id,
    size: u64,
    exec: bool,
}

/// Files of an existing checkout, by (blob, executable), to hard-link from.
pub struct LinkSource {
    dir: PathBuf,
    /// Paths relative to `dir`.
    files: HashMap<(Id, bool), Vec<u8>>,
}

impl LinkSource {
    /// Indexes the checkout of `slug` at `dir`, reading sibling subtrees
    /// in parallel.
    pub fn new(store: &Store, slug: &Id, dir: &Path) -> Result<LinkSource> {
        type Files = Mutex<HashMap<(Id, bool), Vec<u8>>>;
        fn walk(store: &Store, tree_id: Id, rel_dir: Vec<u8>, files: &Files) -> Result<()> {
            let mut found = Vec::new();
            let mut subdirs = Vec::new();
            for e in store.read_tree(&tree_id)?.entries {
                let rel = join_rel(&rel_dir, &e.name);
                match e.kind {
                    EntryKind::Dir => subdirs.push((e.id, rel)),
                    EntryKind::File | EntryKind::Executable => {
                        found.push(((e.id, e.kind == EntryKind::Executable), rel));
                    }
                    EntryKind::Symlink => {}
                }
            }
            lock(files).extend(found);
            subdirs
                .into_par_iter()
                .try_for_each(|(id, rel)| walk(store, id, rel, files))
        }
        let files = Files::default();
        walk(store, *slug, Vec::new(), &files)?;
        Ok(LinkSource {
            dir: dir.to_path_buf(),
            files: files.into_inner().unwrap_or_else(|e| e.into_inner()),
        })
    }

    /// A file of this checkout that holds blob `id` with that mode,
    /// relative to it.
    fn get(&self, id: Id, exec: bool) -> Option<&[u8]> {
        self.files.get(&(id, exec)).map(Vec::as_slice)
    }
}

/// Directories of one checkout, opened from its root a component at a time
/// without following a link (`O_NOFOLLOW`): whatever is created, linked or
/// given a mode below one of them is where rel put it, never where a link
/// of the slug leads. Keeps the last one opened, since a pool thread takes
/// a slug's files in runs of one directory.
struct ParentDirs<'a> {
    root: BorrowedFd<'a>,
    last: Option<(Vec<u8>, OwnedFd)>,
}

impl<'a> ParentDirs<'a> {
    fn new(root: BorrowedFd<'a>) -> ParentDirs<'a> {
        ParentDirs { root, last: None }
    }

    /// The directory `rel` ("" for the root).
    fn get(&mut self, rel: &[u8]) -> rustix::io::Result<BorrowedFd<'_>> {
        if rel.is_empty() {
            return Ok(self.root);
        }
        let cached = matches!(&self.last, Some((r, _)) if r == rel);
        if !cached {
            let mut parts = rel.split(|&b| b == b'/');
            let first = parts.next().unwrap_or_default();
            let mut fd = open_dir(self.root, OsStr::from_bytes(first))?;
            for part in parts {
                fd = open_dir(&fd, OsStr::from_bytes(part))?;
            }
            self.last = Some((rel.to_vec(), fd));
        }
        match &self.last {
            Some((_, fd)) => Ok(fd.as_fd()),
            None => unreachable!("set above"),
        }
    }
}

/// The parent (`a/b`) and name (`c`) of the slug path `a/b/c`.
fn split_rel(rel: &[u8]) -> (&[u8], &OsStr) {
    let parent = parent_of(rel);
    let name = if parent.is_empty() {
        rel
    } else {
        &rel[parent.len() + 1..]
    };
    (parent, OsStr::from_bytes(name))
}

/// `io_at` for rustix's errors.
fn errno_at<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(Errno) -> Error + 'a {
    move |e| io_at(action, path)(e.into())
}

/// A mutex's guard, poisoned or not: a panic on a pool thread fails the
/// whole command, so nothing goes on to use what the panicking holder left.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `dir/name`, or `name` at the top.
fn join_rel(dir: &[u8], name: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        name.to_vec()
    } else {
        [dir, b"/", name].concat()
    }
}

/// How files are written.
#[derive(Clone, Copy)]
pub struct Modes {
    pub dir: u32,
    pub file: u32,
    pub exec: u32,
    /// Set modes exactly, whatever the umask (for group-readable stores).
    pub exact: bool,
    /// Files of one blob and mode may be hard links to one another: only
    /// for read-only files, where no change to one can show in the others.
    pub share: bool,
}

impl Modes {
    /// Plain files for people: 0755/0644/0755, less the umask.
    pub const PLAIN: Modes = Modes {
        dir: 0o755,
        file: 0o644,
        exec: 0o755,
        exact: false,
        share: false,
    };

    pub fn store(store: &Store) -> Modes {
        Modes {
            dir: store.dir_mode(),
            file: store.read_only_mode(false),
            exec: store.read_only_mode(true),
            exact: store.group_readable(),
            share: true,
        }
    }
}

/// Writes the slug's files into `dest`, an existing empty directory.
pub fn materialize(
    store: &Store,
    slug: &Id,
    dest: &Path,
    modes: Modes,
    links: Option<&LinkSource>,
    adopt: bool,
    progress: &dyn Progress,
) -> Result<()> {
    materialize_in(store, slug, dest, modes, links, adopt, progress, None)
}

/// [`materialize`], skipping what `prep` (a prepared checkout in `dest`)
/// holds already and linking its files where the same blob is needed again.
#[allow(clippy::too_many_arguments)]
fn materialize_in(
    store: &Store,
    slug: &Id,
    dest: &Path,
    modes: Modes,
    links: Option<&LinkSource>,
    adopt: bool,
    progress: &dyn Progress,
    prep: Option<&Prep>,
) -> Result<()> {
    // DEST itself as named (checkout-slug may be given a link to an empty
    // directory); everything below it, without following a link.
    let root = open_root(dest).map_err(errno_at("open", dest))?;
    let found = Found::default();
    let walk = Walk {
        store,
        dest,
        modes,
        adopt,
        prep,
        found: &found,
    };
    walk.dir(root.as_fd(), *slug, Vec::new())?;
    let files = found.files.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut symlinks = found
        .symlinks
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    // Files of one blob and mode after the first become hard links to it
    // once it is written: one inode and one set of blocks for them all.
    let mut first_of: Vec<Option<usize>> = vec![None; files.len()];
    if modes.share {
        let key = |i: usize| (files[i].id, files[i].exec);
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_unstable_by_key(|&i| (key(i), i));
        for run in order.chunk_by(|&a, &b| key(a) == key(b)) {
            for &i in &run[1..] {
                first_of[i] = Some(run[0]);
            }
        }
    }
    // The previous checkout, if it can be opened: linking from it saves work.
    let previous = links.and_then(|l| open_dir(rustix::fs::CWD, l.dir.as_os_str()).ok());
    /// Where a pool thread's files go, and where it links them from.
    struct Dirs<'a> {
        to: ParentDirs<'a>,
        this: ParentDirs<'a>,
        previous: Option<ParentDirs<'a>>,
    }
    let dirs = || Dirs {
        to: ParentDirs::new(root.as_fd()),
        this: ParentDirs::new(root.as_fd()),
        previous: previous.as_ref().map(|fd| ParentDirs::new(fd.as_fd())),
    };
    progress.start("Checking out", Some(files.len() as u64));
    let place = |dirs: &mut Dirs, job: &FileJob, first: Option<&FileJob>| -> Result<()> {
        let path = dest.join(OsStr::from_bytes(&job.rel));
        let (parent, name) = split_rel(&job.rel);
        let Dirs { to, this, previous } = dirs;
        let to = to
            .get(parent)
            .map_err(errno_at("open", &dest.join(OsStr::from_bytes(parent))))?;
        let link = |from: &mut ParentDirs<'_>, rel: &[u8], check: bool| {
            let (parent, source) = split_rel(rel);
            let Ok(from) = from.get(parent) else {
                return false;
            };
            // A file of another checkout is taken only if it still looks
            // as rel left it: not a link (a shared path where the slug has
            // a file), not made writable, not of another size.
            let mode = if job.exec { modes.exec } else { modes.file };
            let intact = || {
                statat(from, source, AtFlags::SYMLINK_NOFOLLOW).is_ok_and(|st| {
                    FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
                        && st.st_mode & 0o7777 == mode
                        && st.st_size as u64 == job.size
                })
            };
            (!check || intact()) && linkat(from, source, to, name, AtFlags::empty()).is_ok()
        };
        // Another file of this checkout, the same blob written by this
        // deploy, or the previous checkout's.
        let linked = first.is_some_and(|f| link(this, &f.rel, false))
            || prep
                .and_then(|p| p.blobs.get(&(job.id, job.exec)))
                .is_some_and(|r| link(this, r, false))
            || links
                .and_then(|l| l.get(job.id, job.exec))
                .zip(previous.as_mut())
                .is_some_and(|(r, previous)| link(previous, r, true));
        if !linked {
            write_file(store, job, to, name, &path, modes)?;
            if adopt {
                store.adopt_at(to, name, &path)?;
            }
        }
        progress.add(1, job.size);
        Ok(())
    };
    for again in [false, true] {
        files
            .par_iter()
            .zip(&first_of)
            .filter(|(_, first)| first.is_some() == again)
            .try_for_each_init(dirs, |dirs, (job, first)| {
                place(dirs, job, first.map(|i| &files[i]))
            })?;
    }
    progress.finish();
    symlinks.sort_unstable();
    let mut parents = ParentDirs::new(root.as_fd());
    for (rel, id) in symlinks {
        let target = store.read_small(&id, Kind::Blob)?;
        let path = dest.join(OsStr::from_bytes(&rel));
        let (parent, name) = split_rel(&rel);
        let parent = parents
            .get(parent)
            .map_err(errno_at("open", &dest.join(OsStr::from_bytes(parent))))?;
        symlinkat(OsStr::from_bytes(&target), parent, name).map_err(errno_at("create", &path))?;
        if adopt {
            store.adopt_at(parent, name, &path)?;
        }
    }
    Ok(())
}

/// What a walk of a slug's trees found to write.
#[derive(Default)]
struct Found {
    files: Mutex<Vec<FileJob>>,
    /// Paths in the slug, and blobs of their targets.
    symlinks: Mutex<Vec<(Vec<u8>, Id)>>,
}

/// The walk of [`materialize_in`]: makes the directories, sibling subtrees
/// in parallel (each directory is a tree to read and a `mkdir`: thousands
/// of them in a typical app), and lists the files and symlinks to write,
/// leaving out what `prep` holds already.
struct Walk<'a> {
    store: &'a Store,
    /// The checkout's root, for messages.
    dest: &'a Path,
    modes: Modes,
    adopt: bool,
    prep: Option<&'a Prep>,
    found: &'a Found,
}

impl Walk<'_> {
    /// Whether `prep` made the directory `rel` already.
    fn has_dir(&self, rel: &[u8]) -> bool {
        self.prep.is_some_and(|p| p.dirs.contains(rel))
    }

    /// Whether `prep` wrote the file or symlink `rel` already.
    fn has_entry(&self, rel: &[u8]) -> bool {
        self.prep
            .is_some_and(|p| p.entries.contains(&PathKey::of(rel)))
    }

    fn path(&self, rel: &[u8]) -> PathBuf {
        self.dest.join(OsStr::from_bytes(rel))
    }

    /// Walks tree `tree_id`, checked out at `dir` (`rel_dir` in the slug).
    fn dir(&self, dir: BorrowedFd<'_>, tree_id: Id, rel_dir: Vec<u8>) -> Result<()> {
        let mut files = Vec::new();
        let mut symlinks = Vec::new();
        let mut subdirs = Vec::new();
        for e in self.store.read_tree(&tree_id)?.entries {
            let rel = join_rel(&rel_dir, &e.name);
            match e.kind {
                EntryKind::Dir => {
                    if !self.has_dir(&rel) {
                        self.make_dir(dir, OsStr::from_bytes(&e.name), &rel)?;
                    }
                    subdirs.push((e.id, e.name, rel));
                }
                EntryKind::File | EntryKind::Executable => {
                    if !self.has_entry(&rel) {
                        files.push(FileJob {
                            rel,
                            id: e.id,
                            size: e.size,
                            exec: e.kind == EntryKind::Executable,
                        });
                    }
                }
                EntryKind::Symlink => {
                    if !self.has_entry(&rel) {
                        symlinks.push((rel, e.id));
                    }
                }
            }
        }
        lock(&self.found.files).extend(files);
        lock(&self.found.symlinks).extend(symlinks);
        subdirs.into_par_iter().try_for_each(|(id, name, rel)| {
            let child = open_dir(dir, OsStr::from_bytes(&name))
                .map_err(errno_at("open", &self.path(&rel)))?;
            self.dir(child.as_fd(), id, rel)
        })
    }

    /// Makes the directory `name` in `parent` (`rel` in the slug).
    fn make_dir(&self, parent: BorrowedFd<'_>, name: &OsStr, rel: &[u8]) -> Result<()> {
        let path = self.path(rel);
        let mode = Mode::from_raw_mode(self.modes.dir);
        mkdirat(parent, name, mode).map_err(errno_at("create", &path))?;
        if self.modes.exact {
            let made = open_dir(parent, name).map_err(errno_at("open", &path))?;
            fchmod(&made, mode).map_err(errno_at("set the mode of", &path))?;
        }
        if self.adopt {
            self.store.adopt_at(parent, name, &path)?;
        }
        Ok(())
    }
}

/// The checkout a deploy builds while ingest stores its source directory:
/// every file ingest reads whole (or stores anew) is written there from the
/// same buffer, so that the checkout need not read, decompress and verify
/// the object again. Tied to the slug ingest ends with; if the release takes
/// that slug, [`Store::ensure_checkout`] (which takes it) completes it
/// (links and writes what ingest did not read) and renames it into place;
/// otherwise it is deleted when it is dropped.
#[derive(Debug)]
pub struct PreparedCheckout<'s> {
    store: &'s Store,
    state: Mutex<Option<Prep>>,
}

#[derive(Debug)]
struct Prep {
    /// In `tmp/`; made on the first write.
    dir: PathBuf,
    made: bool,
    /// Directories made, relative to `dir` ("" for `dir` itself).
    dirs: HashSet<Vec<u8>>,
    /// Files and symlinks written, by [`PathKey`].
    entries: HashSet<PathKey>,
    /// One written file of each (blob, executable) larger than a small file.
    blobs: HashMap<(Id, bool), Vec<u8>>,
    /// Small files not written because another file of this deploy holds
    /// the same blob: (path, blob, executable), linked once ingest ends.
    duplicates: Vec<(Vec<u8>, Id, bool)>,
    slug: Option<Id>,
    /// Holds every directory, file and symlink of `slug`.
    complete: bool,
}

/// A path of the prepared checkout as its set of written entries keeps it:
/// 128 bits of the path's BLAKE3 hash, a fraction of the memory of the path
/// itself (that set holds every file of the tree). Two of a tree's n paths
/// share a key with a chance of about n²/2¹²⁹: 10⁻²⁷ for a million files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct PathKey(u128);

impl PathKey {
    fn of(rel: &[u8]) -> PathKey {
        let hash = blake3::hash(rel);
        let (head, _) = hash.as_bytes().split_at(16);
        PathKey(u128::from_le_bytes(head.try_into().expect("16 bytes")))
    }
}

/// `a/b` of `a/b/c`; "" of `c`.
fn parent_of(rel: &[u8]) -> &[u8] {
    rel.iter()
        .rposition(|&b| b == b'/')
        .map_or(&[], |i| &rel[..i])
}

impl PreparedCheckout<'_> {
    fn lock(&self) -> MutexGuard<'_, Option<Prep>> {
        lock(&self.state)
    }
}

impl Drop for PreparedCheckout<'_> {
    fn drop(&mut self) {
        if let Some(prep) = self.lock().take()
            && prep.made
        {
            let _ = fs::remove_dir_all(&prep.dir);
        }
    }
}

impl<'s> PreparedCheckout<'s> {
    /// A checkout of the directory ingest stores next, built while it
    /// stores it; for a deploy, which checks out what it stores.
    pub fn new(store: &'s Store) -> PreparedCheckout<'s> {
        let prep = Prep {
            dir: store.temp_path("prepared"),
            made: false,
            dirs: HashSet::new(),
            entries: HashSet::new(),
            blobs: HashMap::new(),
            duplicates: Vec::new(),
            slug: None,
            complete: false,
        };
        PreparedCheckout {
            store,
            state: Mutex::new(Some(prep)),
        }
    }

    /// Makes the directory `rel` (and its parents) in the prepared checkout.
    fn make_dir(&self, prep: &mut Prep, rel: &[u8]) -> Result<()> {
        if prep.dirs.contains(rel) {
            return Ok(());
        }
        if rel.is_empty() {
            self.store.create_dir(&prep.dir)?;
            prep.made = true;
        } else {
            let parent = parent_of(rel);
            self.make_dir(prep, parent)?;
            self.store
                .create_dir(&prep.dir.join(std::ffi::OsStr::from_bytes(rel)))?;
        }
        prep.dirs.insert(rel.to_vec());
        Ok(())
    }

    /// A new file at `rel` in the prepared checkout, unless it was taken,
    /// with its checkout mode; [`written`](Self::written)
    /// registers it once it holds its bytes.
    pub(crate) fn file(&self, rel: &[u8], exec: bool) -> Result<Option<(File, PathBuf)>> {
        let path = {
            let mut state = self.lock();
            let Some(prep) = state.as_mut() else {
                return Ok(None);
            };
            let parent = parent_of(rel);
            self.make_dir(prep, parent)?;
            prep.dir.join(std::ffi::OsStr::from_bytes(rel))
        };
        let file = self
            .store
            .create_file(&path, self.store.read_only_mode(exec))?;
        Ok(Some((file, path)))
    }

    /// Registers the file at `rel` as holding blob `id`, and as the file
    /// to link others of that blob from when `linkable`: ingest copies
    /// every small file it reads, so only a larger file's blob (read once,
    /// however many files hold it) is worth remembering for links.
    pub(crate) fn written(&self, rel: &[u8], exec: bool, id: Id, linkable: bool) {
        if let Some(prep) = self.lock().as_mut() {
            prep.entries.insert(PathKey::of(rel));
            if linkable {
                prep.blobs.entry((id, exec)).or_insert_with(|| rel.to_vec());
            }
        }
    }

    /// Notes that the file at `rel` holds blob `id`, which this process
    /// stored earlier for another file: rather than a copy of its own, it
    /// becomes a hard link to a copy of that blob with the same mode (see
    /// [`link_duplicates`](Self::link_duplicates)), one
    /// inode and one set of blocks less to write and make durable.
    pub(crate) fn duplicate(&self, rel: &[u8], exec: bool, id: Id) -> Result<()> {
        let mut state = self.lock();
        let Some(prep) = state.as_mut() else {
            return Ok(());
        };
        self.make_dir(prep, parent_of(rel))?;
        prep.duplicates.push((rel.to_vec(), id, exec));
        Ok(())
    }

    /// Links each [duplicate](Self::duplicate) to the first of
    /// `files` (path, blob, executable: every file ingest found) that holds
    /// the same blob with the same mode and was written. A duplicate that
    /// finds none (the copy had the other mode) or cannot be linked (a file
    /// has at most 65,000 links) is left for [`Store::ensure_checkout`],
    /// which writes one such file from the object and links the others.
    pub(crate) fn link_duplicates<'a>(&self, files: impl Iterator<Item = (&'a [u8], Id, bool)>) {
        let mut state = self.lock();
        let Some(prep) = state.as_mut() else {
            return;
        };
        let duplicates = std::mem::take(&mut prep.duplicates);
        if duplicates.is_empty() {
            return;
        }
        let mut sources: HashMap<(Id, bool), Option<&[u8]>> = duplicates
            .iter()
            .map(|(_, id, exec)| ((*id, *exec), None))
            .collect();
        for (rel, id, exec) in files {
            if let Some(source @ None) = sources.get_mut(&(id, exec))
                && prep.entries.contains(&PathKey::of(rel))
            {
                *source = Some(rel);
            }
        }
        let dir = &prep.dir;
        let linked: Vec<PathKey> = duplicates
            .par_iter()
            .filter_map(|(rel, id, exec)| {
                let source = sources.get(&(*id, *exec)).copied().flatten()?;
                let from = dir.join(std::ffi::OsStr::from_bytes(source));
                let to = dir.join(std::ffi::OsStr::from_bytes(rel));
                fs::hard_link(from, to).ok().map(|()| PathKey::of(rel))
            })
            .collect();
        prep.entries.extend(linked);
    }

    /// A symlink at `rel` in the prepared checkout, unless it was taken.
    pub(crate) fn symlink(&self, rel: &[u8], target: &[u8]) -> Result<()> {
        let mut state = self.lock();
        let Some(prep) = state.as_mut() else {
            return Ok(());
        };
        let parent = parent_of(rel);
        self.make_dir(prep, parent)?;
        let path = prep.dir.join(std::ffi::OsStr::from_bytes(rel));
        std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(target), &path)
            .map_err(io_at("create", &path))?;
        self.store.adopt(&path)?;
        prep.entries.insert(PathKey::of(rel));
        Ok(())
    }

    /// Ties the prepared checkout to `slug`, which has `dirs` directories
    /// (its root included) and `entries` files and symlinks.
    pub(crate) fn tie_to(&self, slug: Id, dirs: usize, entries: usize) {
        if let Some(prep) = self.lock().as_mut() {
            prep.slug = Some(slug);
            prep.complete = prep.dirs.len() == dirs && prep.entries.len() == entries;
        }
    }

    /// The prepared checkout, if it is of `slug`.
    fn take(&self, slug: &Id) -> Option<Prep> {
        let mut state = self.lock();
        if state.as_ref().is_some_and(|p| p.slug == Some(*slug)) {
            state.take()
        } else {
            None
        }
    }
}

/// Writes the file of `job` as `name` in `parent` (at `path`): a new file,
/// never one a link leads to (`O_EXCL | O_NOFOLLOW`).
fn write_file(
    store: &Store,
    job: &FileJob,
    parent: BorrowedFd<'_>,
    name: &OsStr,
    path: &Path,
    modes: Modes,
) -> Result<()> {
    let mode = Mode::from_raw_mode(if job.exec { modes.exec } else { modes.file });
    let create = || -> Result<File> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
        let fd = openat(parent, name, flags | OFlags::CLOEXEC, mode)
            .map_err(errno_at("create", path))?;
        if modes.exact {
            // umask may have cleared bits; the descriptor stays writable.
            fchmod(&fd, mode).map_err(errno_at("set the mode of", path))?;
        }
        Ok(File::from(fd))
    };
    if job.size <= SMALL_FILE {
        // Whole in memory with the thread's zstd context: one read, one write.
        let (header, bytes) = store.read_whole(&job.id)?;
        if header.kind != Kind::Blob {
            return Err(Error::corrupt(
                job.id,
                format!("a {}, not a blob", header.kind),
            ));
        }
        let mut out = create()?;
        out.write_all(&bytes).map_err(io_at("write", path))?;
    } else {
        let mut reader = store.open_object(&job.id)?;
        let mut out = create()?;
        if job.size >= LARGE_FILE {
            let mut out = DirectWriter::new(out);
            reader.copy_to(&mut out, path)?;
            out.finish().map_err(io_at("write", path))?;
        } else {
            reader.copy_to(&mut out, path)?;
        }
    }
    Ok(())
}

impl Store {
    pub fn checkout_path(&self, slug: &Id) -> PathBuf {
        self.checkouts_dir().join(slug.to_hex())
    }

    /// Whether the slug is still complete in the store: gc removes a slug's
    /// root tree first, so a slug without one has been pruned. A root tree
    /// that may be in a pack whose index is damaged is not taken for gone:
    /// reading the slug then names the damaged index.
    pub fn slug_present(&self, slug: &Id) -> bool {
        !matches!(self.locate(slug), Err(Error::Missing { .. }))
    }

    /// The store checkout of `slug`, materialised if it is not there yet,
    /// hard-linking what it can from the checkout of `like`.
    /// A deploy's `prepared` checkout of `slug` is completed and renamed
    /// into place instead of a checkout written from scratch.
    pub fn ensure_checkout(
        &self,
        slug: &Id,
        like: Option<&Id>,
        prepared: Option<PreparedCheckout<'_>>,
        progress: &dyn Progress,
    ) -> Result<PathBuf> {
        let path = self.checkout_path(slug);
        if path.is_dir() {
            return Ok(path);
        }
        if !self.slug_present(slug) {
            return Err(Error::refused(format!(
                "slug {slug} is not in the store (pruned by gc, or never stored); deploy it again"
            )));
        }
        self.wrote_files();
        let prep = prepared.and_then(|p| p.take(slug));
        let links = match like {
            _ if prep.as_ref().is_some_and(|p| p.complete) => None,
            Some(prev) if prev != slug && self.checkout_path(prev).is_dir() => {
                Some(LinkSource::new(self, prev, &self.checkout_path(prev))?)
            }
            _ => None,
        };
        let tmp = match &prep {
            Some(p) if p.made => p.dir.clone(),
            _ => {
                let tmp = self.temp_path("checkout");
                self.create_dir(&tmp)?;
                tmp
            }
        };
        let result = (|| {
            if let Some(p) = prep.as_ref().filter(|p| p.complete) {
                // Checked out already, while it was stored.
                let n = p.entries.len() as u64;
                progress.start("Checking out", Some(n));
                progress.add(n, 0);
                progress.finish();
            } else {
                materialize_in(
                    self,
                    slug,
                    &tmp,
                    Modes::store(self),
                    links.as_ref(),
                    self.adopting(),
                    progress,
                    prep.as_ref().filter(|p| p.made),
                )?;
            }
            self.link_shared(&tmp)?;
            fs::rename(&tmp, &path).map_err(io_at("create", &path))
        })();
        if let Err(e) = result {
            let _ = fs::remove_dir_all(&tmp);
            if path.is_dir() {
                return Ok(path);
            }
            return Err(e);
        }
        Ok(path)
    }

    /// Links each `settings.toml` shared path of a checkout to `APP/shared/…`.
    /// The checkout holds the slug's symlinks, which may point anywhere, so
    /// every step goes through the directory above without following a
    /// link: a slug with `log -> /var/log` cannot make rel replace
    /// `/var/log/app` for the shared path `log/app`; it is refused instead.
    fn link_shared(&self, checkout: &Path) -> Result<()> {
        if self.settings.shared.is_empty() {
            return Ok(());
        }
        // The checkout being built, in the store's own tmp/.
        let root = open_dir(rustix::fs::CWD, checkout.as_os_str())
            .map_err(|e| io_at("open", checkout)(e.into()))?;
        for shared in &self.settings.shared {
            let target_dir = self.shared_dir().join(shared);
            if !target_dir.exists() {
                self.create_dirs_adopted(&self.app_dir, &target_dir)?;
            }
            let inside = checkout.join(shared);
            let names: Vec<&OsStr> = Path::new(shared)
                .components()
                .map(|c| c.as_os_str())
                .collect();
            let Some((name, parents)) = names.split_last() else {
                continue;
            };
            let mut dir = root.try_clone().map_err(io_at("open", checkout))?;
            let mut at = checkout.to_path_buf();
            for (i, parent) in parents.iter().enumerate() {
                at.push(parent);
                dir = self.checkout_subdir(&dir, parent, &at).map_err(|why| {
                    let upto: PathBuf = parents[..=i].iter().collect();
                    Error::refused(format!(
                        "could not link shared path '{shared}' into the checkout: '{}' {why} in the slug, which rel does not go through; make it a directory in the slug, or share '{}' itself",
                        upto.display(),
                        upto.display()
                    ))
                })??;
            }
            let replace = io_at("replace", &inside);
            match statat(&dir, *name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
                    remove_tree_at(&dir, name).map_err(replace)?
                }
                Ok(_) => unlinkat(&dir, *name, AtFlags::empty()).map_err(|e| replace(e.into()))?,
                Err(Errno::NOENT) => {}
                Err(e) => return Err(replace(e.into())),
            }
            // checkouts/<id>/a/b → ../../../../shared/a/b: up through the
            // path's own directories, the checkout, checkouts/ and .releases/.
            let depth = parents.len() + 3;
            let mut target = PathBuf::new();
            for _ in 0..depth {
                target.push("..");
            }
            target.push("shared");
            target.push(shared);
            symlinkat(&target, &dir, *name).map_err(|e| io_at("create", &inside)(e.into()))?;
            self.adopt_at(&dir, name, &inside)?;
        }
        Ok(())
    }

    /// The directory `name` in the checkout directory `parent` (at `path`),
    /// made (and given to the store's owner) if missing. Not a directory:
    /// what it is instead (`Err`), for the caller's message.
    fn checkout_subdir(
        &self,
        parent: &OwnedFd,
        name: &OsStr,
        path: &Path,
    ) -> std::result::Result<Result<OwnedFd>, &'static str> {
        match open_dir(parent, name) {
            Ok(fd) => return Ok(Ok(fd)),
            Err(Errno::LOOP | Errno::NOTDIR) => {
                let link = statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)
                    .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink);
                return Err(if link {
                    "is a symlink"
                } else {
                    "is not a directory"
                });
            }
            Err(Errno::NOENT) => {}
            Err(e) => return Ok(Err(io_at("open", path)(e.into()))),
        }
        let made = (|| {
            mkdirat(parent, name, Mode::from_raw_mode(self.dir_mode()))
                .map_err(|e| io_at("create", path)(e.into()))?;
            self.adopt_at(parent, name, path)?;
            let fd = open_dir(parent, name).map_err(|e| io_at("open", path)(e.into()))?;
            if self.group_readable() {
                // umask may have cleared the group bits.
                fchmod(&fd, Mode::from_raw_mode(self.dir_mode()))
                    .map_err(|e| io_at("set the mode of", path)(e.into()))?;
            }
            Ok(fd)
        })();
        Ok(made)
    }

    /// `create_dir_all(dir)` below `base`, each new directory given to the
    /// store's owner when root writes into a trusted store: the app, which
    /// runs as the owner, must be able to write its shared paths.
    fn create_dirs_adopted(&self, base: &Path, dir: &Path) -> Result<()> {
        let mut missing = Vec::new();
        let mut at = dir;
        while !at.exists() && at != base {
            missing.push(at.to_path_buf());
            match at.parent() {
                Some(p) => at = p,
                None => break,
            }
        }
        fs::create_dir_all(dir).map_err(io_at("create", dir))?;
        for d in missing.iter().rev() {
            self.adopt(d)?;
        }
        Ok(())
    }
}

/// Opens the directory at `path`, following links on the way: the root of
/// a checkout, which rel made (or checkout-slug was given).
fn open_root(path: &Path) -> rustix::io::Result<OwnedFd> {
    openat(
        rustix::fs::CWD,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Opens the directory `name` in `parent`, failing if it is a link.
fn open_dir(parent: impl AsFd, name: &OsStr) -> rustix::io::Result<OwnedFd> {
    openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Removes the directory `name` in `parent` and everything below it through
/// directory descriptors, as `rm -r` does: a link is removed, never followed.
fn remove_tree_at(parent: &OwnedFd, name: &OsStr) -> std::io::Result<()> {
    let dir = open_dir(parent, name)?;
    let mut entries = Vec::new();
    for entry in Dir::read_from(&dir)? {
        let entry = entry?;
        let child = entry.file_name();
        if child != c"." && child != c".." {
            entries.push((
                OsStr::from_bytes(child.to_bytes()).to_owned(),
                entry.file_type(),
            ));
        }
    }
    for (child, kind) in entries {
        let is_dir = match kind {
            FileType::Directory => true,
            FileType::Unknown => {
                let st = statat(&dir, &child, AtFlags::SYMLINK_NOFOLLOW)?;
                FileType::from_raw_mode(st.st_mode) == FileType::Directory
            }
            _ => false,
        };
        if is_dir {
            remove_tree_at(&dir, &child)?;
        } else {
            unlinkat(&dir, &child, AtFlags::empty())?;
        }
    }
    Ok(unlinkat(parent, name, AtFlags::REMOVEDIR)?)
}
