//! Listing the loose objects.

use std::fs;

use crate::error::{Result, io_at};
use crate::id::{Id, is_hex};
use crate::odb::{Location, Stored};
use crate::store::Store;

impl Store {
    /// Every loose object in the store, in no particular order, with its
    /// file's size and time. One removed while it is listed is left out.
    pub fn loose_objects(&self) -> Result<Vec<Stored>> {
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
                let Ok(id) = full.parse::<Id>() else {
                    continue;
                };
                // Not followed if it is a link, as `symlink_metadata`.
                let Ok(meta) = entry.metadata() else {
                    continue;
                };
                out.push(Stored {
                    id,
                    location: Location::Loose(entry.path()),
                    disk_size: meta.len(),
                    modified: meta.modified().ok(),
                });
            }
        }
        Ok(out)
    }
}
