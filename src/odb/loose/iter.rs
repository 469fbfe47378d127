//! Listing the loose objects.

use std::fs;
use std::path::PathBuf;

use crate::error::{Result, io_at};
use crate::id::{Id, is_hex};
use crate::store::Store;

impl Store {
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
