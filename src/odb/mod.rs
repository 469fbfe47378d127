//! The object database: one lookup over the store's objects, wherever they
//! live, loose (`objects/ab/cdef…`, see [`loose`]) or packed
//! (`objects/pack/`, see [`pack`]), each in the encoding of [`format`](mod@format).
//!
//! A lookup checks the packs' indexes, then the loose objects; one that
//! finds nothing lists `objects/pack/` again once before saying the object
//! is missing, since a concurrent gc may have replaced a pack or packed a
//! loose object. A command that writes many objects (a deploy) opens a
//! pending pack with [`Store::begin_pack`]: its small objects go there, and
//! the pack is published before anything names them ([`Store::end_pack`],
//! or at the latest the sync before a manifest).
//!
//! The rest of rel uses only this module's API, never an object's path:
//! look up ([`Store::locate`], [`Store::has_object`]), read verified
//! ([`Store::open_object`], [`Store::read_whole`], [`Store::verify`]),
//! list ([`Store::all_objects`]), write ([`write`](mod@write), [`staging`]), delete
//! ([`Store::delete_loose`], [`repack`]) and measure
//! ([`Store::object_usage`]). Layout:
//! - [`format`](mod@format): the encoding of one object, pure; [`reader`]: its
//!   verifying streaming read;
//! - [`loose`], [`pack`]: the two back ends; [`repack`]: rewriting packs;
//! - [`write`](mod@write): storing bytes, streams and files; [`staging`]: objects held
//!   until their input is accepted;
//! - [`durable`]: what to sync before a manifest names it; [`known`]: the
//!   existence cache and freshening for gc's grace period.

pub mod durable;
pub mod format;
pub mod known;
pub mod loose;
pub mod pack;
pub mod reader;
pub mod repack;
pub mod staging;
pub mod write;

pub use format::{Header, WHOLE_LIMIT};
pub use reader::ObjectReader;
pub use staging::Staging;
pub use write::{CopyTo, LARGE_FILE, SMALL_FILE};

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::id::{Id, Kind, is_hex};
use crate::store::Store;
use pack::{Entry, Pack, PackSet, PackWriter};

/// The per-store state of the object database.
#[derive(Debug, Default)]
pub struct Odb {
    /// The packs as last listed; loaded on first use.
    set: RwLock<Option<Arc<PackSet>>>,
    /// The pack this process is writing, not yet published.
    pending: Mutex<Option<PackWriter>>,
    /// Whether new small objects go to the pending pack.
    packing: AtomicBool,
    /// Packs this process touched (see `packed_fresh`): their times
    /// before, and the time set.
    touched: Mutex<std::collections::HashMap<PathBuf, (SystemTime, SystemTime)>>,
    /// `objects/`, opened once, so an object's path resolves in two steps
    /// (see `loose`).
    pub(crate) objects_fd: std::sync::OnceLock<std::os::fd::OwnedFd>,
    /// What this process wrote that is not durable yet.
    pub(crate) unsynced: durable::Unsynced,
    /// Objects and fan directories this process knows about.
    pub(crate) known: known::Known,
}

/// Where a copy of an object is.
#[derive(Clone, Debug)]
pub enum Location {
    /// Its own file.
    Loose(PathBuf),
    /// An entry of a pack.
    Packed { pack: Arc<Pack>, entry: Entry },
}

impl Location {
    /// The file holding the object (its own, or its pack).
    pub fn path(&self) -> &std::path::Path {
        match self {
            Location::Loose(p) => p,
            Location::Packed { pack, .. } => &pack.path,
        }
    }

    /// Bytes the copy takes in its file.
    pub fn disk_size(&self) -> u64 {
        match self {
            Location::Loose(p) => std::fs::symlink_metadata(p).map_or(0, |m| m.len()),
            Location::Packed { entry, .. } => entry.length,
        }
    }
}

/// One stored copy of an object, as [`Store::all_objects`] lists it.
#[derive(Clone, Debug)]
pub struct Stored {
    pub id: Id,
    pub location: Location,
    /// Bytes the copy takes in its file.
    pub disk_size: u64,
    /// When a loose copy was written or last freshened (a packed one: see
    /// [`Store::pack_modified`]).
    pub modified: Option<SystemTime>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Store {
    /// `objects/pack/`.
    pub fn pack_dir(&self) -> PathBuf {
        self.objects_dir().join("pack")
    }

    /// The packs, listed once per process (and again after a miss).
    pub fn packs(&self) -> Result<Arc<PackSet>> {
        if let Some(set) = &*self.odb.set.read().unwrap_or_else(|e| e.into_inner()) {
            return Ok(Arc::clone(set));
        }
        let mut slot = self.odb.set.write().unwrap_or_else(|e| e.into_inner());
        if let Some(set) = &*slot {
            return Ok(Arc::clone(set));
        }
        let set = Arc::new(PackSet::load(&self.pack_dir())?);
        *slot = Some(Arc::clone(&set));
        Ok(set)
    }

    /// The packs listed again, if `objects/pack/` changed since.
    fn relist_packs(&self) -> Result<Arc<PackSet>> {
        let set = self.packs()?;
        if !set.stale(&self.pack_dir()) {
            return Ok(set);
        }
        let fresh = Arc::new(PackSet::load(&self.pack_dir())?);
        *self.odb.set.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&fresh));
        Ok(fresh)
    }

    /// The packs as `objects/pack/` lists them now.
    pub fn packs_now(&self) -> Result<Arc<PackSet>> {
        self.relist_packs()
    }

    /// Forgets the listed packs (some were removed): the next lookup lists
    /// them again.
    pub fn forget_packs(&self) {
        *self.odb.set.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Where `id` is stored: in a pack, else loose.
    pub fn locate(&self, id: &Id) -> Result<Location> {
        if lock(&self.odb.pending)
            .as_ref()
            .is_some_and(|w| w.contains(id))
        {
            // Written by this process and not yet visible: publish it now.
            self.publish_pack()?;
        }
        let set = self.packs()?;
        if let Some((pack, entry)) = set.find(id) {
            return Ok(Location::Packed {
                pack: Arc::clone(pack),
                entry,
            });
        }
        if self.has_loose(id) {
            return Ok(Location::Loose(self.object_path(id)));
        }
        let set = self.relist_packs()?;
        if let Some((pack, entry)) = set.find(id) {
            return Ok(Location::Packed {
                pack: Arc::clone(pack),
                entry,
            });
        }
        Err(set.broken_error().unwrap_or(Error::Missing { id: *id }))
    }

    pub fn has_object(&self, id: &Id) -> bool {
        self.locate(id).is_ok()
    }

    /// Whether `id` is packed; touches its pack if old (see
    /// `has_object_fresh`). Lists no directory again: a miss is cheap.
    pub(crate) fn packed_fresh(&self, id: &Id, after: std::time::Duration) -> bool {
        let Ok(set) = self.packs() else {
            return false;
        };
        match set.find(id) {
            Some((pack, _)) => {
                if let (Some(at), Some(before)) = (pack.freshen(after), pack.modified) {
                    lock(&self.odb.touched)
                        .entry(pack.path.clone())
                        .or_insert((before, at));
                }
                true
            }
            None => false,
        }
    }

    /// When a pack was last touched by another writer than this process:
    /// its modification time, or the time before this process touched it
    /// itself (a deploy's own gc must not take the deploy's touches, which
    /// protect nothing once its release is written, for a concurrent
    /// writer's). None when the pack is gone.
    pub fn pack_modified(&self, pack: &Pack) -> Option<SystemTime> {
        let now = std::fs::metadata(&pack.path).ok()?.modified().ok()?;
        match lock(&self.odb.touched).get(&pack.path) {
            Some((before, at)) if now <= *at => Some(*before),
            _ => Some(now),
        }
    }

    /// Opens the copy of `id` at `at` for a verifying, streaming read.
    pub fn open_at(&self, id: &Id, at: &Location) -> Result<ObjectReader> {
        match at {
            Location::Packed { pack, entry } => pack.open(entry),
            Location::Loose(_) => self.open_loose(id),
        }
    }

    /// The encoding of the copy of `id` at `at` (header frame and data
    /// frame), unverified: for sending it as it is stored.
    pub fn open_encoded(&self, id: &Id, at: &Location) -> Result<Box<dyn std::io::Read + Send>> {
        match at {
            Location::Packed { pack, entry } => Ok(Box::new(pack.raw(entry))),
            Location::Loose(path) => match std::fs::File::open(path) {
                Ok(f) => Ok(Box::new(f)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(Error::Missing { id: *id })
                }
                Err(e) => Err(crate::error::io_at("read", path)(e)),
            },
        }
    }

    /// Runs `packed` on the pack entry of `id`, else `loose`. A loose
    /// object that is gone meanwhile (packed by a concurrent gc) is looked
    /// for once more in a fresh list of packs.
    fn in_pack_or_loose<T>(
        &self,
        id: &Id,
        packed: impl Fn(&Arc<Pack>, Entry) -> Result<T>,
        loose: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        match self.locate(id)? {
            Location::Packed { pack, entry } => packed(&pack, entry),
            Location::Loose(_) => match loose() {
                Err(Error::Missing { .. }) => match self.relist_packs()?.find(id) {
                    Some((pack, entry)) => packed(pack, entry),
                    None => Err(Error::Missing { id: *id }),
                },
                r => r,
            },
        }
    }

    /// Opens an object for a verifying, streaming read.
    pub fn open_object(&self, id: &Id) -> Result<ObjectReader> {
        self.in_pack_or_loose(id, |pack, entry| pack.open(&entry), || self.open_loose(id))
    }

    /// An object's kind and size: for a packed object, from its pack's index.
    pub fn object_header(&self, id: &Id) -> Result<Header> {
        self.in_pack_or_loose(
            id,
            |_, entry| {
                Ok(Header {
                    kind: entry.kind,
                    size: entry.size,
                })
            },
            || self.loose_header(id),
        )
    }

    /// Reads, decompresses and verifies a whole object in memory: for
    /// objects known to be small (trees, configs, blobs whose tree entry
    /// says so). Objects larger than
    /// [`WHOLE_LIMIT`] are refused as
    /// corrupt: nothing rel writes is read so.
    pub fn read_whole(&self, id: &Id) -> Result<(Header, Vec<u8>)> {
        self.in_pack_or_loose(
            id,
            |pack, entry| pack.read_whole(&entry),
            || self.read_whole_loose(id),
        )
    }

    /// The bytes the object occupies in the store: its compressed file (or
    /// its bytes in a pack), as `du --apparent-size` counts it. The one place that knows where an
    /// object's bytes live, for sizes that sum objects.
    pub fn object_disk_size(&self, id: &Id) -> Result<u64> {
        // A packed object occupies its entry's bytes in the pack.
        match self.locate(id) {
            Ok(at) => Ok(at.disk_size()),
            Err(Error::Missing { .. }) => Err(Error::refused(format!(
                "object {id} is missing from the store; run 'rel fsck' to list what else is"
            ))),
            Err(e) => Err(e),
        }
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

    /// Resolves a full id or a unique prefix of at least 6 hex digits,
    /// among loose and packed objects.
    pub fn resolve_id(&self, text: &str) -> Result<Id> {
        let text = text.to_ascii_lowercase();
        if text.len() == 64 && is_hex(&text) {
            let id: Id = text.parse().map_err(|_| not_an_id(&text))?;
            self.locate(&id)?;
            return Ok(id);
        }
        if text.len() < 6 || text.len() > 64 || !is_hex(&text) {
            return Err(not_an_id(&text));
        }
        let mut found = self.loose_with_prefix(&text)?;
        for pack in &self.relist_packs()?.packs {
            found.extend(pack.index.with_prefix(&text));
        }
        found.sort_unstable();
        found.dedup();
        match found[..] {
            [] => Err(no_match(&text)),
            [id] => Ok(id),
            _ => Err(Error::refused(format!(
                "'{text}' names more than one object; give more hex digits"
            ))),
        }
    }

    /// Every stored copy of every object, loose and packed, in no
    /// particular order: an object may have more than one.
    pub fn all_objects(&self) -> Result<Vec<Stored>> {
        let mut out = self.loose_objects()?;
        for pack in &self.relist_packs()?.packs {
            out.extend(pack.index.entries().map(|entry| Stored {
                id: entry.id,
                disk_size: entry.length,
                modified: None,
                location: Location::Packed {
                    pack: Arc::clone(pack),
                    entry,
                },
            }));
        }
        Ok(out)
    }

    /// The number of distinct objects and the bytes they take: a loose
    /// object's file, a packed object's bytes in its pack (the indexes and
    /// packs' first frames are not counted).
    pub fn object_usage(&self) -> Result<(u64, u64)> {
        let loose = self.loose_objects()?;
        let mut bytes: u64 = loose.iter().map(|o| o.disk_size).sum();
        let mut ids: std::collections::HashSet<Id> = loose.into_iter().map(|o| o.id).collect();
        for pack in &self.relist_packs()?.packs {
            for e in pack.index.entries() {
                if ids.insert(e.id) {
                    bytes += e.length;
                }
            }
        }
        Ok((ids.len() as u64, bytes))
    }

    /// Reads the copy of `id` at `at` through, verifying its size and
    /// hash: its header when it is whole.
    pub fn verify_at(&self, id: &Id, at: &Location) -> Result<Header> {
        let mut reader = self.open_at(id, at)?;
        reader.verify_rest()?;
        Ok(reader.header)
    }

    /// [`verify_at`](Self::verify_at) the copy a lookup finds.
    pub fn verify(&self, id: &Id) -> Result<Header> {
        let at = self.locate(id)?;
        self.verify_at(id, &at)
    }

    /// From now on, new small objects this process writes go to one pack,
    /// published by [`end_pack`](Self::end_pack) (or any sync before).
    pub fn begin_pack(&self) {
        self.odb.packing.store(true, Ordering::Relaxed);
    }

    /// Publishes the pending pack, if any, and writes loose objects again.
    pub fn end_pack(&self) -> Result<()> {
        self.odb.packing.store(false, Ordering::Relaxed);
        self.publish_pack()
    }

    /// Whether new small objects go to a pack (see [`begin_pack`](Self::begin_pack)).
    pub(crate) fn packing(&self) -> bool {
        self.odb.packing.load(Ordering::Relaxed)
    }

    /// Drops the pending pack unpublished (its objects were refused).
    pub fn discard_pack(&self) {
        self.odb.packing.store(false, Ordering::Relaxed);
        lock(&self.odb.pending).take();
    }

    /// Appends an encoded object to the pending pack, when one is open;
    /// false when the object must be written loose.
    pub(crate) fn pack_put(&self, id: &Id, kind: Kind, size: u64, encoded: &[u8]) -> Result<bool> {
        if !self.odb.packing.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let mut pending = lock(&self.odb.pending);
        if pending.is_none() {
            *pending = Some(PackWriter::create(self)?);
        }
        pending
            .as_mut()
            .expect("made just above")
            .add(id, kind, size, encoded)?;
        Ok(true)
    }

    /// Publishes the pending pack (durably), if it holds anything.
    pub fn publish_pack(&self) -> Result<()> {
        let Some(writer) = lock(&self.odb.pending).take() else {
            return Ok(());
        };
        if let Some(finished) = writer.finish(self)? {
            finished.publish(self)?;
            *self.odb.set.write().unwrap_or_else(|e| e.into_inner()) = None;
        }
        Ok(())
    }
}

fn no_match(text: &str) -> Error {
    Error::refused(format!(
        "no object matches '{text}'; check the id (rel ls-slug and rel rev-parse print ids)"
    ))
}

fn not_an_id(text: &str) -> Error {
    Error::refused(format!(
        "'{text}' is not an object id; give 6 to 64 hex digits"
    ))
}
