//! The store: the `.releases` directory of an app, found like git finds a
//! repository, and the file-system rules every writer follows.
//!
//! Invariants: the store is private to its owner (or readable by one named
//! group, never by the world); every file that others may read while it is
//! written is written to `tmp/` and renamed into place; a store of an unknown
//! format, or owned by someone else and not trusted, is never touched.

pub mod direct;
pub mod tmp;

use std::ffi::{CString, OsStr};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, io_at};

/// What the `format` file says: `rel init` writes this, and a store
/// becomes it when it gets its first pack. Anything but it and
/// [`FORMAT_1`] is refused.
pub const FORMAT: &str = "rel-store 2";
/// The format of a store whose objects are all loose (every store rel
/// wrote before packs); still read and written.
pub const FORMAT_1: &str = "rel-store 1";

/// The name of the store directory inside an app directory.
pub const STORE_DIR: &str = ".releases";

/// `settings.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The app's name, shown in headers and given to hooks as `REL_APP`.
    pub name: String,
    /// zstd level for new objects.
    #[serde(default = "default_compression")]
    pub compression: i32,
    /// Paths of every checkout that link to `APP/shared/PATH`.
    #[serde(default)]
    pub shared: Vec<String>,
    /// A group that may read the store (and so run the app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Run `gc --keep N` after every deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep: Option<usize>,
}

/// Level 1: a cold deploy spends a tenth less CPU than at zstd's default
/// of 3, and the store grows by about 1%, since most objects of a source
/// tree are small files that fill a 4 KiB block at either level.
fn default_compression() -> i32 {
    1
}

/// How to find the store, as the command line and environment say.
#[derive(Clone, Debug, Default)]
pub struct Locate {
    /// `REL_DIR`: the `.releases` directory itself.
    pub rel_dir: Option<PathBuf>,
    /// Where to start the upward search (the working directory, after `-C`).
    pub start: PathBuf,
    /// `REL_TRUSTED_DIRS`, split.
    pub trusted: Vec<PathBuf>,
}

impl Locate {
    /// From the process environment, starting at `start` (the working
    /// directory after `-C`); a relative `REL_DIR` is relative to it.
    pub fn from_env(start: PathBuf) -> Result<Locate> {
        let rel_dir = std::env::var_os("REL_DIR")
            .filter(|v| !v.is_empty())
            .map(|v| start.join(v));
        let trusted = std::env::var_os("REL_TRUSTED_DIRS")
            .map(|v| {
                v.as_bytes()
                    .split(|&b| b == b':')
                    .filter(|p| !p.is_empty())
                    .map(|p| PathBuf::from(OsStr::from_bytes(p)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Locate {
            rel_dir,
            start,
            trusted,
        })
    }
}

#[derive(Debug)]
pub struct Store {
    /// The app directory, parent of the store; `current` and `shared/` live here.
    pub app_dir: PathBuf,
    /// The `.releases` directory.
    pub dir: PathBuf,
    pub settings: Settings,
    gid: Option<u32>,
    /// Owner given to what root writes into another user's trusted store.
    adopt: Option<(u32, u32)>,
    /// The object database's state: packs listed and pending, what this
    /// process wrote and knows.
    pub(crate) odb: crate::odb::Odb,
}

impl Store {
    /// Creates a store in `app_dir` (created if missing). Makes no release.
    pub fn init(app_dir: &Path, name: Option<&str>, group: Option<&str>) -> Result<Store> {
        let dir = app_dir.join(STORE_DIR);
        if dir.join("format").exists() {
            return Err(Error::refused(format!(
                "'{}' already has a rel store; nothing changed",
                app_dir.display()
            )));
        }
        let name = match name {
            Some(n) => n.to_string(),
            None => app_dir
                .canonicalize()
                .ok()
                .or_else(|| std::path::absolute(app_dir).ok())
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "app".to_string()),
        };
        validate_name(&name)?;
        let gid = group.map(group_id).transpose()?;
        let settings = Settings {
            name,
            compression: default_compression(),
            shared: Vec::new(),
            group: group.map(str::to_string),
            keep: None,
        };
        // The directories made for the app are made durable, each in its parent.
        let made: Vec<PathBuf> = app_dir
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .map(Path::to_path_buf)
            .collect();
        fs::create_dir_all(app_dir).map_err(io_at("create", app_dir))?;
        for dir in &made {
            sync_parent(dir)?;
        }
        let store = Store {
            app_dir: app_dir.to_path_buf(),
            dir: dir.clone(),
            settings,
            gid,
            adopt: None,
            odb: Default::default(),
        };
        // Build in a temporary sibling and rename, so a store is either
        // absent or complete.
        let staging = app_dir.join(format!(".releases.init-{}", std::process::id()));
        let build = || -> Result<()> {
            store.create_dir(&staging)?;
            for sub in ["objects", "releases", "checkouts", "hooks", "tmp"] {
                store.create_dir(&staging.join(sub))?;
            }
            let toml = toml::to_string(&store.settings)
                .map_err(|e| Error::refused(format!("could not encode settings: {e}")))?;
            store.write_new(&staging.join("settings.toml"), toml.as_bytes(), false)?;
            store.write_new(
                &staging.join("format"),
                format!("{FORMAT}\n").as_bytes(),
                false,
            )?;
            store.write_new(&staging.join("lock"), b"", false)?;
            // A new store records prunes from the start (see pruned.rs).
            store.write_new(
                &staging.join("pruned"),
                format!("{}\n", crate::pruned::HEADER).as_bytes(),
                false,
            )?;
            Ok(())
        };
        if let Err(e) = build() {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        if let Some(gid) = gid {
            chown_tree(&staging, None, Some(gid))?;
        }
        // Its files were synced as they were written; its entries are synced
        // here, before the rename makes it the store.
        sync_dir(&staging)?;
        fs::rename(&staging, &dir).map_err(io_at("create", &dir))?;
        sync_dir(app_dir)?;
        Ok(store)
    }

    /// Finds and opens the store, refusing unknown formats and untrusted owners.
    pub fn open(locate: &Locate) -> Result<Store> {
        let dir = match &locate.rel_dir {
            Some(d) => {
                if !d.join("format").exists() {
                    return Err(Error::refused(format!(
                        "REL_DIR '{}' is not a rel store (no format file); point it at an app's .releases directory",
                        d.display()
                    )));
                }
                d.clone()
            }
            None => find_upward(&locate.start)?,
        };
        let dir = dir.canonicalize().map_err(io_at("open", &dir))?;
        let app_dir = dir
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));

        let adopt = check_trust(&dir, &app_dir, &locate.trusted)?;

        let format_path = dir.join("format");
        let format = fs::read_to_string(&format_path).map_err(io_at("read", &format_path))?;
        if format.trim_end() != FORMAT && format.trim_end() != FORMAT_1 {
            return Err(Error::refused(format!(
                "'{}' says '{}', a store format this rel does not know ({FORMAT_1} or {FORMAT}); use a rel that does",
                format_path.display(),
                format.trim_end()
            )));
        }
        let settings_path = dir.join("settings.toml");
        let text = fs::read_to_string(&settings_path).map_err(io_at("read", &settings_path))?;
        let settings: Settings = toml::from_str(&text).map_err(|e| {
            Error::refused(format!(
                "'{}' is malformed: {}; fix it by hand",
                settings_path.display(),
                one_line(&e.to_string())
            ))
        })?;
        for p in &settings.shared {
            validate_shared_path(p)
                .map_err(|e| Error::refused(format!("'{}': {e}", settings_path.display())))?;
        }
        let gid = settings.group.as_deref().map(group_id).transpose()?;
        Ok(Store {
            app_dir,
            dir,
            settings,
            gid,
            adopt,
            odb: Default::default(),
        })
    }

    pub fn objects_dir(&self) -> PathBuf {
        self.dir.join("objects")
    }
    pub fn releases_dir(&self) -> PathBuf {
        self.dir.join("releases")
    }
    pub fn checkouts_dir(&self) -> PathBuf {
        self.dir.join("checkouts")
    }
    pub fn hooks_dir(&self) -> PathBuf {
        self.dir.join("hooks")
    }
    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }
    pub fn lock_path(&self) -> PathBuf {
        self.dir.join("lock")
    }
    pub fn current_file(&self) -> PathBuf {
        self.dir.join("CURRENT")
    }
    /// The `current` symlink in the app directory.
    pub fn current_link(&self) -> PathBuf {
        self.app_dir.join("current")
    }
    pub fn shared_dir(&self) -> PathBuf {
        self.app_dir.join("shared")
    }

    /// Mode of directories in the store and its checkouts.
    pub fn dir_mode(&self) -> u32 {
        if self.gid.is_some() { 0o2750 } else { 0o700 }
    }
    /// Mode of files that are replaced (settings, CURRENT, the lock).
    pub fn file_mode(&self) -> u32 {
        if self.gid.is_some() { 0o640 } else { 0o600 }
    }
    /// Mode of files written once: objects, manifests, checkout files.
    pub fn read_only_mode(&self, executable: bool) -> u32 {
        match (self.gid.is_some(), executable) {
            (false, false) => 0o400,
            (false, true) => 0o500,
            (true, false) => 0o440,
            (true, true) => 0o550,
        }
    }
    pub fn group_readable(&self) -> bool {
        self.gid.is_some()
    }

    /// Creates one directory with the store's mode (an existing one is fine).
    pub fn create_dir(&self, path: &Path) -> Result<()> {
        match fs::DirBuilder::new().mode(self.dir_mode()).create(path) {
            Ok(()) => {
                if self.gid.is_some() {
                    // umask may have cleared the group bits.
                    fs::set_permissions(path, fs::Permissions::from_mode(self.dir_mode()))
                        .map_err(io_at("set the mode of", path))?;
                }
                self.adopt(path)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
            Err(e) => Err(io_at("create", path)(e)),
        }
    }

    /// Opens a new file for writing with `mode`, the group bits kept whatever the umask.
    pub fn create_file(&self, path: &Path, mode: u32) -> Result<File> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)
            .map_err(io_at("create", path))?;
        if self.gid.is_some() {
            file.set_permissions(fs::Permissions::from_mode(mode))
                .map_err(io_at("set the mode of", path))?;
        }
        self.adopt(path)?;
        Ok(file)
    }

    /// Writes a file that must not exist yet, durably.
    fn write_new(&self, path: &Path, bytes: &[u8], read_only: bool) -> Result<()> {
        let mode = if read_only {
            self.read_only_mode(false)
        } else {
            self.file_mode()
        };
        let mut f = self.create_file(path, mode)?;
        f.write_all(bytes).map_err(io_at("write", path))?;
        f.sync_all().map_err(io_at("sync", path))
    }

    /// Replaces (or creates) `path` with `bytes` atomically and durably: a
    /// reader sees the old content or the new, a crash leaves one of them.
    pub fn write_atomic(&self, path: &Path, bytes: &[u8], read_only: bool) -> Result<()> {
        let tmp = self.temp_path("write");
        let mode = if read_only {
            self.read_only_mode(false)
        } else {
            self.file_mode()
        };
        let result = (|| {
            let mut f = self.create_file(&tmp, mode)?;
            f.write_all(bytes).map_err(io_at("write", &tmp))?;
            f.sync_all().map_err(io_at("sync", &tmp))?;
            fs::rename(&tmp, path).map_err(io_at("replace", path))?;
            sync_parent(path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Makes the store's `format` say [`FORMAT`] if it says [`FORMAT_1`]:
    /// before the first pack is published, so that an older rel, which
    /// knows nothing of packs, refuses the store instead of missing objects.
    pub fn upgrade_format(&self) -> Result<()> {
        let path = self.dir.join("format");
        let format = fs::read_to_string(&path).map_err(io_at("read", &path))?;
        if format.trim_end() == FORMAT_1 {
            self.write_atomic(&path, format!("{FORMAT}\n").as_bytes(), false)?;
        }
        Ok(())
    }

    /// A fresh path in `tmp/`, `<what>-<pid>-<start>-<n>`: no other live
    /// process makes that name, and the next writer removes it once this
    /// process is gone (see [`tmp`]).
    pub fn temp_path(&self, what: &str) -> PathBuf {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = self.tmp_dir().join(tmp::name(what, n));
            // Taken only by a writer of an earlier boot with our pid and
            // start time, whose leftover is not removed yet: skip it.
            if fs::symlink_metadata(&path).is_err() {
                return path;
            }
        }
    }

    /// The problem that leftovers of writers that are gone in `tmp/` make,
    /// if there are any: how many, and one name as an example.
    pub fn tmp_leftovers(&self) -> Option<String> {
        let found = tmp::leftovers(&self.tmp_dir(), None);
        let first = found.iter().map(|l| l.name.to_string_lossy()).min()?;
        let n = found.len();
        Some(format!(
            "'{}' holds {n} temporary {} of writers that are gone (such as '{first}')",
            self.tmp_dir().display(),
            if n == 1 { "file" } else { "files" },
        ))
    }

    /// Removes the leftovers in `tmp/` of writers that are gone; never a
    /// live process's temporary file. Best effort: what stays is reported
    /// by `rel fsck`. Returns how many were removed.
    pub fn sweep_tmp(&self) -> usize {
        tmp::remove(&tmp::leftovers(&self.tmp_dir(), None))
    }

    /// Flushes everything written to the store's file system to disk, in
    /// one call: objects are written unsynced and made durable here, in a
    /// batch, before a manifest or CURRENT names them.
    pub fn sync_all(&self) -> Result<()> {
        self.publish_pack()?;
        let dir = File::open(&self.dir).map_err(io_at("open", &self.dir))?;
        // SAFETY: `dir` is an open descriptor for the duration of the call.
        let rc = unsafe { libc::syncfs(std::os::fd::AsRawFd::as_raw_fd(&dir)) };
        if rc != 0 {
            return Err(io_at("sync", &self.dir)(std::io::Error::last_os_error()));
        }
        self.all_synced();
        Ok(())
    }

    /// Gives `path` to the store's owner when root writes into a trusted store.
    pub fn adopt(&self, path: &Path) -> Result<()> {
        if let Some((uid, gid)) = self.adopt {
            std::os::unix::fs::lchown(path, Some(uid), Some(self.gid.unwrap_or(gid)))
                .map_err(io_at("change the owner of", path))?;
        }
        Ok(())
    }

    /// [`adopt`](Self::adopt) for `name` in the open directory `dir` (the
    /// entry at `path`), without following it if it is a link.
    pub fn adopt_at(&self, dir: impl std::os::fd::AsFd, name: &OsStr, path: &Path) -> Result<()> {
        use rustix::fs::{AtFlags, Gid, Uid, chownat};
        if let Some((uid, gid)) = self.adopt {
            let (uid, gid) = (Uid::from_raw(uid), Gid::from_raw(self.gid.unwrap_or(gid)));
            chownat(dir, name, Some(uid), Some(gid), AtFlags::SYMLINK_NOFOLLOW)
                .map_err(|e| io_at("change the owner of", path)(e.into()))?;
        }
        Ok(())
    }

    /// [`adopt`](Self::adopt) for an open file (one that may have no name
    /// yet), whose name is `path`.
    pub fn adopt_file(&self, file: &File, path: &Path) -> Result<()> {
        if let Some((uid, gid)) = self.adopt {
            std::os::unix::fs::fchown(file, Some(uid), Some(self.gid.unwrap_or(gid)))
                .map_err(io_at("change the owner of", path))?;
        }
        Ok(())
    }

    pub fn adopting(&self) -> bool {
        self.adopt.is_some()
    }
}

fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().any(|c| c.is_control()) {
        return Err(Error::refused(format!(
            "'{name}' is not a usable app name; pass --name NAME"
        )));
    }
    Ok(())
}

/// A shared path is relative and stays inside the checkout.
pub fn validate_shared_path(p: &str) -> std::result::Result<(), String> {
    let path = Path::new(p);
    let ok = !p.is_empty()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "shared path '{p}' must be relative, without '..'; write it as in 'log' or 'tmp/cache'"
        ))
    }
}

fn find_upward(start: &Path) -> Result<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(STORE_DIR);
        if candidate.join("format").exists() {
            return Ok(candidate);
        }
        dir = d.parent();
    }
    Err(Error::NotAStore(start.to_path_buf()))
}

/// As git's safe.directory: a store owned by someone else is refused, so that
/// root never runs another user's hooks by accident. Returns the owner to give
/// new files to, when root writes into a store it was allowed into.
fn check_trust(dir: &Path, app_dir: &Path, trusted: &[PathBuf]) -> Result<Option<(u32, u32)>> {
    let meta = fs::metadata(dir).map_err(io_at("read", dir))?;
    // SAFETY: geteuid has no failure modes and touches no memory.
    let euid = unsafe { libc::geteuid() };
    if meta.uid() == euid {
        return Ok(None);
    }
    let sudo_by_owner = euid == 0
        && std::env::var("SUDO_UID")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            == Some(meta.uid());
    let listed = trusted.iter().any(|t| {
        t.canonicalize()
            .map(|t| t == dir || t == app_dir)
            .unwrap_or(false)
    });
    if sudo_by_owner || listed {
        return Ok((euid == 0).then_some((meta.uid(), meta.gid())));
    }
    Err(Error::refused(format!(
        "'{}' is owned by uid {}, not by you (uid {euid}); if you trust it, add it to REL_TRUSTED_DIRS",
        dir.display(),
        meta.uid()
    )))
}

fn group_id(name: &str) -> Result<u32> {
    let c =
        CString::new(name).map_err(|_| Error::refused(format!("'{name}' is not a group name")))?;
    // SAFETY: getgrnam reads a NUL-terminated string and returns a pointer into
    // static storage, which is read at once, before any other call.
    let gr = unsafe { libc::getgrnam(c.as_ptr()) };
    if gr.is_null() {
        return Err(Error::refused(format!(
            "no group '{name}' on this host; create it or name another with --group"
        )));
    }
    // SAFETY: non-null pointer from getgrnam, read before any other libc call.
    Ok(unsafe { (*gr).gr_gid })
}

fn chown_tree(dir: &Path, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry
            .map_err(|e| Error::refused(format!("could not walk '{}': {e}", dir.display())))?;
        std::os::unix::fs::lchown(entry.path(), uid, gid)
            .map_err(io_at("change the group of", entry.path()))?;
        if entry.file_type().is_dir() {
            // chown clears set-group-id on some systems; put it back.
            fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o2750))
                .map_err(io_at("set the mode of", entry.path()))?;
        }
    }
    Ok(())
}

/// fsyncs a directory, making renames and creations in it durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_at("sync", dir))
}

pub fn sync_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => sync_dir(p),
        _ => sync_dir(Path::new(".")),
    }
}

/// Folds a multi-line message (toml's parse errors) into one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
