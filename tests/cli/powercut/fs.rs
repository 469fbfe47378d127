//! A FUSE file system that can lose power: it remembers what a disk has
//! made durable, and a cut leaves only that.
//!
//! # The model (what counts as durable)
//!
//! Every inode has two images: the *visible* one, which processes see, and
//! the *durable* one, which a disk would still hold after a power cut.
//! Operations change the visible image only; these copy visible to durable:
//!
//! - `fsync` of a file: its data, size, mode, owner and times.
//! - `fdatasync` of a file: its data and size (not its mode or times).
//! - `fsync` (or `fdatasync`) of a directory: its entries (each name and the
//!   inode it names) and its own mode, owner and times. Nothing about the
//!   inodes it names: a file whose entry is durable but whose data was never
//!   synced comes back empty.
//! - `syncfs`: every inode, data and entries (see below for how `syncfs` is
//!   seen).
//!
//! Nothing else is durable: a create, mkdir, symlink, link, unlink, rmdir or
//! rename is lost at a cut until the directory it changed is synced; a
//! rename between two directories is durable in each one when that one is
//! synced (so a cut can leave the file under both names, or under neither);
//! a file created and fsynced in a directory that is not is lost, even
//! though ext4 without a journal syncs the parent of a new file on its first
//! fsync (POSIX does not promise it). Writes are all-or-nothing per inode at
//! a sync (no torn pages): stricter models would only add cases rel does not
//! rely on. A symlink's target is durable with the inode (it never changes).
//! The file system's root is durable from the start.
//!
//! At mount, the backing directory is read in whole, all of it durable. A
//! [`Disk::cut`] after the *k*th mutating operation (`cut_after`) makes
//! every later operation fail with `EIO`, as a machine that lost power does
//! for its processes; [`Disk::write_durable`] then writes the durable image
//! reachable from the root, through durable directory entries only, to a
//! directory: what the disk holds after the cut.
//!
//! Mutating operations, the ones counted: create, mknod, mkdir, symlink,
//! link, unlink, rmdir, rename, write, setattr (truncate, chmod, chown,
//! utimes), fallocate, fsync, fsyncdir and syncfs.
//!
//! # How `syncfs` is seen
//!
//! The kernel does not pass `syncfs(2)` to a FUSE server (only virtiofs gets
//! `FUSE_SYNCFS`). So the processes under test run with [`shim`] preloaded:
//! its `syncfs(fd)` first asks for the extended attribute
//! `user.powercut.syncfs` of `fd`, which this file system takes as the
//! `syncfs` (and answers `ENODATA`, or `EIO` after a cut, which the shim
//! returns as the failure of `syncfs`), then calls the real `syncfs`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use fuser::{
    Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, OpenFlags,
    RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry,
    ReplyOpen, ReplyStatfs, ReplyWrite, ReplyXattr, Request, TimeOrNow, WriteFlags,
};

/// The extended attribute whose lookup means `syncfs`.
pub const SYNCFS_XATTR: &str = "user.powercut.syncfs";

const TTL: Duration = Duration::from_secs(1);
const ROOT: u64 = 1;

#[derive(Clone, Debug)]
enum Body {
    File(Vec<u8>),
    Dir(BTreeMap<OsString, u64>),
    Link(PathBuf),
}

impl Body {
    fn kind(&self) -> FileType {
        match self {
            Body::File(_) => FileType::RegularFile,
            Body::Dir(_) => FileType::Directory,
            Body::Link(_) => FileType::Symlink,
        }
    }
    fn empty_like(&self) -> Body {
        match self {
            Body::File(_) => Body::File(Vec::new()),
            Body::Dir(_) => Body::Dir(BTreeMap::new()),
            Body::Link(t) => Body::Link(t.clone()),
        }
    }
    fn size(&self) -> u64 {
        match self {
            Body::File(d) => d.len() as u64,
            Body::Dir(_) => 4096,
            Body::Link(t) => t.as_os_str().len() as u64,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Meta {
    perm: u16,
    uid: u32,
    gid: u32,
    atime: SystemTime,
    mtime: SystemTime,
    ctime: SystemTime,
}

#[derive(Clone, Debug)]
struct Node {
    body: Body,
    meta: Meta,
    /// Visible names of the inode (files and links; directories say 2).
    nlink: u32,
    durable_body: Body,
    durable_meta: Meta,
}

impl Node {
    fn new(body: Body, meta: Meta) -> Node {
        Node {
            durable_body: body.empty_like(),
            durable_meta: meta,
            body,
            meta,
            nlink: 1,
        }
    }
    fn sync(&mut self) {
        self.durable_body = self.body.clone();
        self.durable_meta = self.meta;
    }
}

/// The state behind the mount, shared with the test that drives it.
#[derive(Clone, Debug, Default)]
pub struct State {
    nodes: HashMap<u64, Node>,
    next_ino: u64,
    /// Mutating operations done so far.
    pub ops: u64,
    /// Cut the power right after this many mutating operations.
    pub cut_after: Option<u64>,
    /// The power is off: every operation fails with `EIO`.
    pub dead: bool,
    /// Bytes the named files may hold in all: a write that would grow
    /// them past it fails with `ENOSPC`, as on a full disk.
    pub capacity: Option<u64>,
}

/// A handle on the file system's state.
#[derive(Clone, Debug)]
pub struct Disk(Arc<Mutex<State>>);

impl Disk {
    /// Reads `backing` in whole; all of it is durable.
    pub fn load(backing: &Path) -> io::Result<Disk> {
        let mut state = State {
            next_ino: ROOT + 1,
            ..State::default()
        };
        let meta = fs::symlink_metadata(backing)?;
        let mut root = Node::new(Body::Dir(BTreeMap::new()), meta_of(&meta));
        let mut seen = HashMap::new();
        let entries = load_dir(&mut state, backing, &mut seen)?;
        root.body = Body::Dir(entries);
        root.sync();
        state.nodes.insert(ROOT, root);
        Ok(Disk(Arc::new(Mutex::new(state))))
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Turns the power off now (if it is not already).
    pub fn cut(&self) {
        self.lock().dead = true;
    }

    /// A copy, to write back differently.
    pub fn copy(&self) -> Disk {
        Disk(Arc::new(Mutex::new(self.lock().clone())))
    }

    /// The disk wrote back every directory before the cut, and no file
    /// data: names of files whose data is lost (ext4's zero-length files).
    pub fn write_back_dirs(&self) {
        for n in self.lock().nodes.values_mut() {
            if matches!(n.body, Body::Dir(_)) {
                n.sync();
            }
        }
    }

    /// The disk wrote back some of what was not synced on its own before the
    /// cut, as a kernel's writeback does in any order: each inode, picked
    /// by `seed`, is made durable as it was at the cut (its data as far as
    /// it was written, or its entries).
    pub fn write_back_some(&self, seed: u64) {
        let mut state = self.lock();
        let mut rng = seed | 1;
        let mut inos: Vec<u64> = state.nodes.keys().copied().collect();
        inos.sort_unstable();
        for ino in inos {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            if rng & 1 == 1
                && let Some(n) = state.nodes.get_mut(&ino)
            {
                n.sync();
            }
        }
    }

    /// Writes what the disk holds (the durable image reachable from the
    /// root) into `to`, which must not exist.
    pub fn write_durable(&self, to: &Path) -> io::Result<()> {
        let state = self.lock();
        let mut written = HashMap::new();
        let mut dirs = HashSet::new();
        write_node(&state, ROOT, to, &mut written, &mut dirs)
    }
}

fn meta_of(m: &fs::Metadata) -> Meta {
    let t = |s: i64, ns: i64| {
        SystemTime::UNIX_EPOCH + Duration::new(s.max(0) as u64, ns.clamp(0, 999_999_999) as u32)
    };
    Meta {
        perm: (m.mode() & 0o7777) as u16,
        uid: m.uid(),
        gid: m.gid(),
        atime: t(m.atime(), m.atime_nsec()),
        mtime: t(m.mtime(), m.mtime_nsec()),
        ctime: t(m.ctime(), m.ctime_nsec()),
    }
}

fn load_dir(
    state: &mut State,
    dir: &Path,
    seen: &mut HashMap<(u64, u64), u64>,
) -> io::Result<BTreeMap<OsString, u64>> {
    let mut entries = BTreeMap::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        let path = e.path();
        let m = fs::symlink_metadata(&path)?;
        if let Some(&ino) = seen.get(&(m.dev(), m.ino())) {
            if let Some(n) = state.nodes.get_mut(&ino) {
                n.nlink += 1;
            }
            entries.insert(e.file_name(), ino);
            continue;
        }
        let body = if m.is_dir() {
            Body::Dir(load_dir(state, &path, seen)?)
        } else if m.file_type().is_symlink() {
            Body::Link(fs::read_link(&path)?)
        } else if m.is_file() {
            Body::File(fs::read(&path)?)
        } else {
            return Err(io::Error::other(format!(
                "{} is neither a file, a directory nor a symlink",
                path.display()
            )));
        };
        let mut node = Node::new(body, meta_of(&m));
        node.sync();
        let ino = state.next_ino;
        state.next_ino += 1;
        if !m.is_dir() {
            seen.insert((m.dev(), m.ino()), ino);
        }
        state.nodes.insert(ino, node);
        entries.insert(e.file_name(), ino);
    }
    Ok(entries)
}

fn write_node(
    state: &State,
    ino: u64,
    to: &Path,
    written: &mut HashMap<u64, PathBuf>,
    dirs: &mut HashSet<u64>,
) -> io::Result<()> {
    let Some(node) = state.nodes.get(&ino) else {
        return Ok(());
    };
    let meta = node.durable_meta;
    match &node.durable_body {
        Body::Dir(entries) => {
            // A directory reached twice (durable entries of different
            // moments can name it in two places) is written once.
            if !dirs.insert(ino) {
                return Ok(());
            }
            fs::create_dir(to)?;
            for (name, child) in entries {
                write_node(state, *child, &to.join(name), written, dirs)?;
            }
            fs::set_permissions(to, fs::Permissions::from_mode(u32::from(meta.perm)))?;
            fs::File::open(to)?.set_modified(meta.mtime)?;
        }
        Body::Link(target) => std::os::unix::fs::symlink(target, to)?,
        Body::File(data) => {
            if let Some(first) = written.get(&ino) {
                return fs::hard_link(first, to);
            }
            fs::write(to, data)?;
            let f = fs::File::options().write(true).open(to)?;
            f.set_modified(meta.mtime)?;
            f.set_permissions(fs::Permissions::from_mode(u32::from(meta.perm)))?;
            written.insert(ino, to.to_path_buf());
        }
    }
    Ok(())
}

/// The FUSE side: serves the visible image and keeps the durable one.
pub struct PowerCutFs {
    pub disk: Disk,
}

type Res<T> = Result<T, Errno>;

impl State {
    /// Counts one mutating operation, refused once the power is off.
    fn op(&mut self) -> Res<()> {
        if self.dead {
            return Err(Errno::EIO);
        }
        self.ops += 1;
        if self.cut_after == Some(self.ops) {
            // This operation completes; the power goes right after it.
            self.dead = true;
        }
        Ok(())
    }
    /// Bytes the named files hold.
    pub fn used(&self) -> u64 {
        self.nodes
            .values()
            .filter(|n| n.nlink > 0)
            .map(|n| match &n.body {
                Body::File(d) => d.len() as u64,
                _ => 0,
            })
            .sum()
    }
    /// Whether a file may grow from `from` to `to` bytes.
    fn room(&self, from: usize, to: usize) -> Res<()> {
        match self.capacity {
            Some(cap) if to > from && self.used() + (to - from) as u64 > cap => Err(Errno::ENOSPC),
            _ => Ok(()),
        }
    }
    fn alive(&self) -> Res<()> {
        if self.dead { Err(Errno::EIO) } else { Ok(()) }
    }
    fn node(&self, ino: u64) -> Res<&Node> {
        self.nodes.get(&ino).ok_or(Errno::ENOENT)
    }
    fn node_mut(&mut self, ino: u64) -> Res<&mut Node> {
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }
    fn entries(&self, dir: u64) -> Res<&BTreeMap<OsString, u64>> {
        match &self.node(dir)?.body {
            Body::Dir(e) => Ok(e),
            _ => Err(Errno::ENOTDIR),
        }
    }
    fn entries_mut(&mut self, dir: u64) -> Res<&mut BTreeMap<OsString, u64>> {
        match &mut self.node_mut(dir)?.body {
            Body::Dir(e) => Ok(e),
            _ => Err(Errno::ENOTDIR),
        }
    }
    fn lookup(&self, dir: u64, name: &OsStr) -> Res<u64> {
        self.entries(dir)?.get(name).copied().ok_or(Errno::ENOENT)
    }
    fn attr(&self, ino: u64) -> Res<FileAttr> {
        let n = self.node(ino)?;
        let size = n.body.size();
        Ok(FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: n.meta.atime,
            mtime: n.meta.mtime,
            ctime: n.meta.ctime,
            crtime: n.meta.ctime,
            kind: n.body.kind(),
            perm: n.meta.perm,
            nlink: if matches!(n.body, Body::Dir(_)) {
                2
            } else {
                n.nlink
            },
            uid: n.meta.uid,
            gid: n.meta.gid,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        })
    }
    fn touch(&mut self, ino: u64) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            let now = SystemTime::now();
            n.meta.mtime = now;
            n.meta.ctime = now;
        }
    }
    /// Makes a new inode named `name` in `parent`.
    fn make(
        &mut self,
        req: &Request,
        parent: u64,
        name: &OsStr,
        body: Body,
        perm: u32,
    ) -> Res<u64> {
        if self.entries(parent)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        self.op()?;
        let now = SystemTime::now();
        let meta = Meta {
            perm: (perm & 0o7777) as u16,
            uid: req.uid(),
            gid: req.gid(),
            atime: now,
            mtime: now,
            ctime: now,
        };
        let ino = self.next_ino;
        self.next_ino += 1;
        self.nodes.insert(ino, Node::new(body, meta));
        self.entries_mut(parent)?.insert(name.to_os_string(), ino);
        self.touch(parent);
        Ok(ino)
    }
    /// Drops the name `name` in `parent` (its inode stays: durable entries
    /// may still name it).
    fn unname(&mut self, parent: u64, name: &OsStr) -> Res<()> {
        let ino = self
            .entries_mut(parent)?
            .remove(name)
            .ok_or(Errno::ENOENT)?;
        if let Ok(n) = self.node_mut(ino) {
            n.nlink = n.nlink.saturating_sub(1);
        }
        self.touch(parent);
        Ok(())
    }
    fn is_empty_dir(&self, ino: u64) -> Res<bool> {
        Ok(self.entries(ino)?.is_empty())
    }
    fn rename(
        &mut self,
        parent: u64,
        name: &OsStr,
        newparent: u64,
        newname: &OsStr,
        flags: RenameFlags,
    ) -> Res<()> {
        let ino = self.lookup(parent, name)?;
        let target = self.entries(newparent)?.get(newname).copied();
        if flags.contains(RenameFlags::RENAME_EXCHANGE) {
            let other = target.ok_or(Errno::ENOENT)?;
            self.op()?;
            self.entries_mut(parent)?.insert(name.to_os_string(), other);
            self.entries_mut(newparent)?
                .insert(newname.to_os_string(), ino);
            self.touch(parent);
            self.touch(newparent);
            return Ok(());
        }
        if let Some(t) = target {
            if flags.contains(RenameFlags::RENAME_NOREPLACE) {
                return Err(Errno::EEXIST);
            }
            if t == ino {
                return Ok(());
            }
            let src_dir = matches!(self.node(ino)?.body, Body::Dir(_));
            match self.node(t)?.body {
                Body::Dir(_) if !src_dir => return Err(Errno::EISDIR),
                Body::Dir(_) if !self.is_empty_dir(t)? => return Err(Errno::ENOTEMPTY),
                Body::Dir(_) => {}
                _ if src_dir => return Err(Errno::ENOTDIR),
                _ => {}
            }
        }
        self.op()?;
        if target.is_some() {
            self.unname(newparent, newname)?;
        }
        self.entries_mut(parent)?.remove(name);
        self.entries_mut(newparent)?
            .insert(newname.to_os_string(), ino);
        self.touch(parent);
        self.touch(newparent);
        Ok(())
    }
    fn syncfs(&mut self) {
        for n in self.nodes.values_mut() {
            n.sync();
        }
    }
}

fn time(t: TimeOrNow) -> SystemTime {
    match t {
        TimeOrNow::SpecificTime(t) => t,
        TimeOrNow::Now => SystemTime::now(),
    }
}

impl PowerCutFs {
    fn state(&self) -> MutexGuard<'_, State> {
        self.disk.lock()
    }
    fn entry(&self, reply: ReplyEntry, r: Res<u64>) {
        let s = self.state();
        match r.and_then(|ino| s.attr(ino)) {
            Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
            Err(e) => reply.error(e),
        }
    }
    fn empty(reply: ReplyEmpty, r: Res<()>) {
        match r {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }
}

impl Filesystem for PowerCutFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let r = {
            let s = self.state();
            s.alive().and_then(|()| s.lookup(parent.0, name))
        };
        self.entry(reply, r);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let s = self.state();
        match s.alive().and_then(|()| s.attr(ino.0)) {
            Ok(a) => reply.attr(&TTL, &a),
            Err(e) => reply.error(e),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let mut s = self.state();
        let r = (|| {
            if let (Some(size), Body::File(d)) = (size, &s.node(ino.0)?.body) {
                s.room(d.len(), size as usize)?;
            }
            s.op()?;
            let n = s.node_mut(ino.0)?;
            if let Some(mode) = mode {
                n.meta.perm = (mode & 0o7777) as u16;
            }
            if let Some(uid) = uid {
                n.meta.uid = uid;
            }
            if let Some(gid) = gid {
                n.meta.gid = gid;
            }
            if let Some(size) = size {
                match &mut n.body {
                    Body::File(d) => d.resize(size as usize, 0),
                    _ => return Err(Errno::EINVAL),
                }
                n.meta.mtime = SystemTime::now();
            }
            if let Some(t) = atime {
                n.meta.atime = time(t);
            }
            if let Some(t) = mtime {
                n.meta.mtime = time(t);
            }
            n.meta.ctime = SystemTime::now();
            s.attr(ino.0)
        })();
        match r {
            Ok(a) => reply.attr(&TTL, &a),
            Err(e) => reply.error(e),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        let s = self.state();
        match s.alive().and_then(|()| s.node(ino.0)).map(|n| &n.body) {
            Ok(Body::Link(t)) => reply.data(t.as_os_str().as_bytes()),
            Ok(_) => reply.error(Errno::EINVAL),
            Err(e) => reply.error(e),
        }
    }

    fn mknod(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        if mode & libc::S_IFMT != libc::S_IFREG {
            return reply.error(Errno::EPERM);
        }
        let r = self
            .state()
            .make(req, parent.0, name, Body::File(Vec::new()), mode & !umask);
        self.entry(reply, r);
    }

    fn mkdir(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        let r = self.state().make(
            req,
            parent.0,
            name,
            Body::Dir(BTreeMap::new()),
            mode & !umask,
        );
        self.entry(reply, r);
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut s = self.state();
        let r = (|| {
            let ino = s.lookup(parent.0, name)?;
            if matches!(s.node(ino)?.body, Body::Dir(_)) {
                return Err(Errno::EISDIR);
            }
            s.op()?;
            s.unname(parent.0, name)
        })();
        Self::empty(reply, r);
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut s = self.state();
        let r = (|| {
            let ino = s.lookup(parent.0, name)?;
            if !s.is_empty_dir(ino)? {
                return Err(Errno::ENOTEMPTY);
            }
            s.op()?;
            s.unname(parent.0, name)
        })();
        Self::empty(reply, r);
    }

    fn symlink(
        &self,
        req: &Request,
        parent: INodeNo,
        link_name: &OsStr,
        target: &Path,
        reply: ReplyEntry,
    ) {
        let r = self.state().make(
            req,
            parent.0,
            link_name,
            Body::Link(target.to_path_buf()),
            0o777,
        );
        self.entry(reply, r);
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let r = self
            .state()
            .rename(parent.0, name, newparent.0, newname, flags);
        Self::empty(reply, r);
    }

    fn link(
        &self,
        _req: &Request,
        ino: INodeNo,
        newparent: INodeNo,
        newname: &OsStr,
        reply: ReplyEntry,
    ) {
        let r = {
            let mut s = self.state();
            (|| {
                if matches!(s.node(ino.0)?.body, Body::Dir(_)) {
                    return Err(Errno::EPERM);
                }
                if s.entries(newparent.0)?.contains_key(newname) {
                    return Err(Errno::EEXIST);
                }
                s.op()?;
                s.entries_mut(newparent.0)?
                    .insert(newname.to_os_string(), ino.0);
                s.touch(newparent.0);
                let n = s.node_mut(ino.0)?;
                n.nlink += 1;
                n.meta.ctime = SystemTime::now();
                Ok(ino.0)
            })()
        };
        self.entry(reply, r);
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let s = self.state();
        match s.alive().and_then(|()| s.node(ino.0)) {
            Ok(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        reply: ReplyData,
    ) {
        let s = self.state();
        match s.alive().and_then(|()| s.node(ino.0)).map(|n| &n.body) {
            Ok(Body::File(d)) => {
                let start = (offset as usize).min(d.len());
                let end = (start + size as usize).min(d.len());
                reply.data(&d[start..end]);
            }
            Ok(_) => reply.error(Errno::EISDIR),
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        reply: ReplyWrite,
    ) {
        let mut s = self.state();
        let r = (|| {
            if let Body::File(d) = &s.node(ino.0)?.body {
                s.room(d.len(), offset as usize + data.len())?;
            }
            s.op()?;
            let n = s.node_mut(ino.0)?;
            let Body::File(d) = &mut n.body else {
                return Err(Errno::EISDIR);
            };
            let start = offset as usize;
            if d.len() < start + data.len() {
                d.resize(start + data.len(), 0);
            }
            d[start..start + data.len()].copy_from_slice(data);
            let now = SystemTime::now();
            n.meta.mtime = now;
            n.meta.ctime = now;
            Ok(data.len() as u32)
        })();
        match r {
            Ok(n) => reply.written(n),
            Err(e) => reply.error(e),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: fuser::LockOwner,
        reply: ReplyEmpty,
    ) {
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        datasync: bool,
        reply: ReplyEmpty,
    ) {
        let mut s = self.state();
        let r = (|| {
            s.node(ino.0)?;
            s.op()?;
            let n = s.node_mut(ino.0)?;
            if datasync {
                n.durable_body = n.body.clone();
            } else {
                n.sync();
            }
            Ok(())
        })();
        Self::empty(reply, r);
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let s = self.state();
        match s.alive().and_then(|()| s.entries(ino.0)) {
            Ok(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let s = self.state();
        let entries = match s.alive().and_then(|()| s.entries(ino.0)) {
            Ok(e) => e,
            Err(e) => return reply.error(e),
        };
        let mut all = vec![
            (ino.0, FileType::Directory, OsString::from(".")),
            (ROOT, FileType::Directory, OsString::from("..")),
        ];
        for (name, child) in entries {
            if let Ok(n) = s.node(*child) {
                all.push((*child, n.body.kind(), name.clone()));
            }
        }
        for (i, (child, kind, name)) in all.into_iter().enumerate().skip(offset as usize) {
            if reply.add(INodeNo(child), i as u64 + 1, kind, &name) {
                break;
            }
        }
        reply.ok();
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        let mut s = self.state();
        let r = (|| {
            s.entries(ino.0)?;
            s.op()?;
            s.node_mut(ino.0)?.sync();
            Ok(())
        })();
        Self::empty(reply, r);
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        reply.statfs(1 << 24, 1 << 23, 1 << 23, 1 << 20, 1 << 19, 4096, 255, 4096);
    }

    fn getxattr(&self, _req: &Request, _ino: INodeNo, name: &OsStr, _size: u32, reply: ReplyXattr) {
        let mut s = self.state();
        if name != SYNCFS_XATTR {
            return reply.error(if s.dead { Errno::EIO } else { Errno::NO_XATTR });
        }
        match s.op() {
            Ok(()) => {
                s.syncfs();
                reply.error(Errno::NO_XATTR)
            }
            Err(e) => reply.error(e),
        }
    }

    fn listxattr(&self, _req: &Request, _ino: INodeNo, size: u32, reply: ReplyXattr) {
        if size == 0 {
            reply.size(0)
        } else {
            reply.data(&[])
        }
    }

    fn access(&self, _req: &Request, _ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        reply.ok();
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        let mut s = self.state();
        let r = s
            .make(req, parent.0, name, Body::File(Vec::new()), mode & !umask)
            .and_then(|ino| s.attr(ino));
        match r {
            Ok(attr) => reply.created(
                &TTL,
                &attr,
                Generation(0),
                FileHandle(0),
                FopenFlags::empty(),
            ),
            Err(e) => reply.error(e),
        }
    }

    fn fallocate(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        let mut s = self.state();
        let r = (|| {
            if mode != 0 {
                return Err(Errno::EOPNOTSUPP);
            }
            if let Body::File(d) = &s.node(ino.0)?.body {
                s.room(d.len(), (offset + length) as usize)?;
            }
            s.op()?;
            if let Body::File(d) = &mut s.node_mut(ino.0)?.body {
                let end = (offset + length) as usize;
                if d.len() < end {
                    d.resize(end, 0);
                }
            }
            Ok(())
        })();
        Self::empty(reply, r);
    }
}

/// The C source of the preloaded library that shows `syncfs` to the file
/// system (see the module's comment).
pub const SHIM: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/xattr.h>

int syncfs(int fd) {
    if (fgetxattr(fd, "user.powercut.syncfs", 0, 0) < 0 && errno == EIO)
        return -1;
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "syncfs");
    return real(fd);
}
"#;

/// Builds the shim once into `dir` and returns the library's path.
pub fn shim(dir: &Path) -> io::Result<PathBuf> {
    let src = dir.join("powercut-shim.c");
    let lib = dir.join("libpowercut-shim.so");
    fs::create_dir_all(dir)?;
    fs::write(&src, SHIM)?;
    let out = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&lib)
        .arg(&src)
        .arg("-ldl")
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "cc could not build the syncfs shim: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(lib)
}
