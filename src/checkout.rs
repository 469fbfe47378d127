//! Checkout: materialising a slug as files.
//!
//! A store checkout (`checkouts/<slug-id>/`) is built in `tmp/` and renamed
//! into place, so a checkout that exists is complete. Its files are
//! read-only; a file whose blob is already checked out in the current
//! release's checkout is hard-linked from there instead of decompressed, so
//! switching to a slug that shares most files costs little. Every file
//! written from an object is verified against its id as it streams: a
//! corrupt object fails the checkout.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result, io_at};
use crate::id::{Id, Kind};
use crate::progress::Progress;
use crate::store::Store;
use crate::store::direct::DirectWriter;
use crate::store::objects::{LARGE_FILE, SMALL_FILE, read_error};
use crate::tree::EntryKind;

struct FileJob {
    path: PathBuf,
    id: Id,
    size: u64,
    exec: bool,
}

/// Files of an existing checkout, by (blob, executable), to hard-link from.
pub struct LinkSource {
    files: HashMap<(Id, bool), PathBuf>,
}

impl LinkSource {
    /// Indexes the checkout of `slug` at `dir`.
    pub fn new(store: &Store, slug: &Id, dir: &Path) -> Result<LinkSource> {
        let mut files = HashMap::new();
        let mut stack = vec![(*slug, dir.to_path_buf())];
        while let Some((tree_id, path)) = stack.pop() {
            for e in store.read_tree(&tree_id)?.entries {
                let p = path.join(std::ffi::OsStr::from_bytes(&e.name));
                match e.kind {
                    EntryKind::Dir => stack.push((e.id, p)),
                    EntryKind::File | EntryKind::Executable => {
                        files.insert((e.id, e.kind == EntryKind::Executable), p);
                    }
                    EntryKind::Symlink => {}
                }
            }
        }
        Ok(LinkSource { files })
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
}

impl Modes {
    /// Plain files for people: 0755/0644/0755, less the umask.
    pub const PLAIN: Modes = Modes {
        dir: 0o755,
        file: 0o644,
        exec: 0o755,
        exact: false,
    };

    pub fn store(store: &Store) -> Modes {
        Modes {
            dir: store.dir_mode(),
            file: store.read_only_mode(false),
            exec: store.read_only_mode(true),
            exact: store.group_readable(),
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
    let mut files = Vec::new();
    let mut symlinks = Vec::new();
    let mut stack = vec![(*slug, dest.to_path_buf())];
    while let Some((tree_id, dir)) = stack.pop() {
        for e in store.read_tree(&tree_id)?.entries {
            let path = dir.join(std::ffi::OsStr::from_bytes(&e.name));
            match e.kind {
                EntryKind::Dir => {
                    fs::DirBuilder::new()
                        .mode(modes.dir)
                        .create(&path)
                        .map_err(io_at("create", &path))?;
                    if modes.exact {
                        set_mode(&path, modes.dir)?;
                    }
                    if adopt {
                        store.adopt(&path)?;
                    }
                    stack.push((e.id, path));
                }
                EntryKind::File | EntryKind::Executable => files.push(FileJob {
                    path,
                    id: e.id,
                    size: e.size,
                    exec: e.kind == EntryKind::Executable,
                }),
                EntryKind::Symlink => symlinks.push((path, e.id)),
            }
        }
    }
    progress.start("Checking out", Some(files.len() as u64));
    files.par_iter().try_for_each(|job| -> Result<()> {
        // A large blob this process just stored has a plain copy; others
        // may be in the previous checkout.
        let linked = store
            .plain_copy(&job.id, job.exec)
            .is_some_and(|src| fs::hard_link(src, &job.path).is_ok())
            || links
                .and_then(|l| l.files.get(&(job.id, job.exec)))
                .is_some_and(|src| fs::hard_link(src, &job.path).is_ok());
        if !linked {
            write_file(store, job, modes)?;
            if adopt {
                store.adopt(&job.path)?;
            }
        }
        progress.add(1, job.size);
        Ok(())
    })?;
    progress.finish();
    for (path, id) in symlinks {
        let target = store.read_small(&id, Kind::Blob)?;
        std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&target), &path)
            .map_err(io_at("create", &path))?;
        if adopt {
            store.adopt(&path)?;
        }
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(io_at("set the mode of", path))
}

fn write_file(store: &Store, job: &FileJob, modes: Modes) -> Result<()> {
    let mode = if job.exec { modes.exec } else { modes.file };
    let create = || {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&job.path)
            .map_err(io_at("create", &job.path))
    };
    if job.size <= SMALL_FILE {
        // Whole in memory with the thread's zstd context: one read, one write.
        let (header, bytes) = store.read_whole(&job.id)?;
        if header.kind != Kind::Blob {
            return Err(Error::Corrupt(
                job.id,
                format!("a {}, not a blob", header.kind),
            ));
        }
        let mut out = create()?;
        out.write_all(&bytes).map_err(io_at("write", &job.path))?;
    } else {
        let mut reader = store.open_object(&job.id)?;
        let out = create()?;
        let mut buf = vec![0u8; 1 << 20];
        if job.size >= LARGE_FILE {
            copy(&mut reader, DirectWriter::new(out), &mut buf, &job.path)?
                .finish()
                .map_err(io_at("write", &job.path))?;
        } else {
            copy(&mut reader, out, &mut buf, &job.path)?;
        }
    }
    if modes.exact {
        set_mode(&job.path, mode)?;
    }
    Ok(())
}

/// Copies a verifying object reader to `out`.
fn copy<W: Write>(reader: &mut dyn Read, mut out: W, buf: &mut [u8], path: &Path) -> Result<W> {
    loop {
        let n = reader.read(buf).map_err(|e| read_error(e, "write", path))?;
        if n == 0 {
            return Ok(out);
        }
        out.write_all(&buf[..n]).map_err(io_at("write", path))?;
    }
}

impl Store {
    pub fn checkout_path(&self, slug: &Id) -> PathBuf {
        self.checkouts_dir().join(slug.to_hex())
    }

    /// Whether the slug is still complete in the store: gc removes a slug's
    /// root tree first, so a slug without one has been pruned.
    pub fn slug_present(&self, slug: &Id) -> bool {
        self.has_object(slug)
    }

    /// The store checkout of `slug`, materialised if it is not there yet,
    /// hard-linking what it can from the checkout of `like`.
    pub fn ensure_checkout(
        &self,
        slug: &Id,
        like: Option<&Id>,
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
        let links = match like {
            Some(prev) if prev != slug && self.checkout_path(prev).is_dir() => {
                Some(LinkSource::new(self, prev, &self.checkout_path(prev))?)
            }
            _ => None,
        };
        let tmp = self.temp_path("checkout");
        self.create_dir(&tmp)?;
        let result = (|| {
            materialize(
                self,
                slug,
                &tmp,
                Modes::store(self),
                links.as_ref(),
                self.adopting(),
                progress,
            )?;
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
    fn link_shared(&self, checkout: &Path) -> Result<()> {
        for shared in &self.settings.shared {
            let inside = checkout.join(shared);
            let target_dir = self.shared_dir().join(shared);
            if !target_dir.exists() {
                self.create_dirs_adopted(&self.app_dir, &target_dir)?;
            }
            match fs::symlink_metadata(&inside) {
                Ok(m) if m.is_dir() => {
                    fs::remove_dir_all(&inside).map_err(io_at("replace", &inside))?
                }
                Ok(_) => fs::remove_file(&inside).map_err(io_at("replace", &inside))?,
                Err(_) => {}
            }
            if let Some(parent) = inside.parent() {
                self.create_dirs_adopted(checkout, parent)?;
            }
            // checkouts/<id>/a/b → ../../../../shared/a/b: up through the
            // path's own directories, the checkout, checkouts/ and .releases/.
            let depth = Path::new(shared).components().count() - 1 + 3;
            let mut target = PathBuf::new();
            for _ in 0..depth {
                target.push("..");
            }
            target.push("shared");
            target.push(shared);
            std::os::unix::fs::symlink(&target, &inside).map_err(io_at("create", &inside))?;
            self.adopt(&inside)?;
        }
        Ok(())
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
