//! Loose objects by a prefix of their id.

use std::fs;
use std::io;

use crate::error::{Result, io_at};
use crate::id::Id;
use crate::store::Store;

impl Store {
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
}
