//! Staging: objects held apart until the input they come from is accepted.

use std::fs;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result, io_at};
use crate::id::{Id, Kind};
use crate::odb::format::encode;
use crate::odb::pack::PackWriter;
use crate::odb::write::{SMALL_FILE, read_input, stream_input};
use crate::store::Store;

impl Store {
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
            let buf = read_input(reader, size)?;
            let id = kind.id_of(&buf);
            if staging.has(&id) || self.has_object_fresh(&id) {
                return Ok(id);
            }
            self.write_staged(staging, kind, &id, &buf)?;
            return Ok(id);
        }
        let mut w = self.object_writer(kind, size)?;
        stream_input(reader, size, &mut w)?;
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
}

/// Objects written while input is still being checked: they reach the store
/// only on [`Staging::commit`], so refused input leaves nothing behind.
/// Laid out as `objects/` is (`ab/cdef…`), so that a fan directory the
/// store lacks moves in whole, with one rename.
pub struct Staging {
    pub(crate) dir: PathBuf,
    staged: std::sync::Mutex<std::collections::HashSet<Id>>,
    /// Small objects staged while the store writes a pack: in a pack of
    /// their own, not in `dir`.
    pub(crate) pack: std::sync::Mutex<Option<PackWriter>>,
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
    pub(crate) fn path_for(&self, store: &Store, id: &Id) -> Result<PathBuf> {
        let hex = id.to_hex();
        let fan = self.dir.join(&hex[..2]);
        let made = &self.fans[id.0[0] as usize];
        if !made.load(Ordering::Relaxed) {
            store.create_dir(&fan)?;
            made.store(true, Ordering::Relaxed);
        }
        Ok(fan.join(&hex[2..]))
    }

    pub(crate) fn packed(&self, id: Id) {
        self.in_pack
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id);
    }

    pub(crate) fn has(&self, id: &Id) -> bool {
        self.staged.lock().map(|s| s.contains(id)).unwrap_or(false)
    }

    pub(crate) fn add(&self, id: Id) {
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
        store.odb.unsynced.everything();
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
                    store.odb.known.fan_exists(byte);
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
