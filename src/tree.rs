//! Trees: the canonical encoding of a directory, whose id names a slug.
//!
//! A tree object is its entries sorted by name bytes, each written as
//! `MODE SIZE ID NAME\0`: MODE is 100644 (file), 100755 (executable file),
//! 120000 (symlink, whose target is a blob) or 040000 (directory, a tree);
//! SIZE is the size of the object ID names. Names are raw bytes (anything but
//! `/` and NUL), so non-UTF-8 names round-trip. Nothing else (mtime, owner,
//! inode, walk order, host) enters the encoding, so one tree has one id on
//! every machine.

use std::fmt;

use crate::error::{Error, Result};
use crate::id::{Id, Kind};
use crate::store::Store;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    File,
    Executable,
    Symlink,
    Dir,
}

impl EntryKind {
    pub fn mode(self) -> &'static str {
        match self {
            EntryKind::File => "100644",
            EntryKind::Executable => "100755",
            EntryKind::Symlink => "120000",
            EntryKind::Dir => "040000",
        }
    }

    fn from_mode(mode: &[u8]) -> Option<EntryKind> {
        Some(match mode {
            b"100644" => EntryKind::File,
            b"100755" => EntryKind::Executable,
            b"120000" => EntryKind::Symlink,
            b"040000" => EntryKind::Dir,
            _ => return None,
        })
    }

    /// The word `ls-slug` prints.
    pub fn word(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Executable => "exec",
            EntryKind::Symlink => "link",
            EntryKind::Dir => "dir",
        }
    }

    pub fn object_kind(self) -> Kind {
        match self {
            EntryKind::Dir => Kind::Tree,
            _ => Kind::Blob,
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    pub name: Vec<u8>,
    pub size: u64,
    pub id: Id,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    pub entries: Vec<Entry>,
}

/// Whether `name` may name a tree entry.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name != b"." && name != b".." && !name.contains(&b'/') && !name.contains(&0)
}

impl Tree {
    /// Builds a tree, sorting its entries; refuses duplicate or invalid names.
    pub fn new(mut entries: Vec<Entry>) -> Result<Tree> {
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        for pair in entries.windows(2) {
            if pair[0].name == pair[1].name {
                return Err(Error::refused(format!(
                    "two entries named '{}' in one directory",
                    String::from_utf8_lossy(&pair[0].name)
                )));
            }
        }
        if let Some(bad) = entries.iter().find(|e| !valid_name(&e.name)) {
            return Err(Error::refused(format!(
                "'{}' is not a valid file name",
                String::from_utf8_lossy(&bad.name)
            )));
        }
        Ok(Tree { entries })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * 100);
        for e in &self.entries {
            out.extend_from_slice(format!("{} {} {} ", e.kind.mode(), e.size, e.id).as_bytes());
            out.extend_from_slice(&e.name);
            out.push(0);
        }
        out
    }

    pub fn decode(bytes: &[u8], id: &Id) -> Result<Tree> {
        let bad = || Error::corrupt(*id, "not a valid tree");
        let mut entries = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let end = rest.iter().position(|&b| b == 0).ok_or_else(bad)?;
            let record = &rest[..end];
            rest = &rest[end + 1..];
            let mut parts = record.splitn(4, |&b| b == b' ');
            let (Some(mode), Some(size), Some(hex), Some(name)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            let kind = EntryKind::from_mode(mode).ok_or_else(bad)?;
            let size = std::str::from_utf8(size)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(bad)?;
            let child = std::str::from_utf8(hex)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(bad)?;
            if !valid_name(name) {
                return Err(bad());
            }
            entries.push(Entry {
                kind,
                name: name.to_vec(),
                size,
                id: child,
            });
        }
        if entries.windows(2).any(|w| w[0].name >= w[1].name) {
            return Err(bad());
        }
        Ok(Tree { entries })
    }

    pub fn find(&self, name: &[u8]) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.name.as_slice().cmp(name))
            .ok()
            .map(|i| &self.entries[i])
    }
}

impl Store {
    /// Stores a tree; returns its id and encoded size.
    pub fn write_tree(&self, tree: &Tree) -> Result<(Id, u64)> {
        let bytes = tree.encode();
        let id = self.write_bytes(Kind::Tree, &bytes)?;
        Ok((id, bytes.len() as u64))
    }

    pub fn read_tree(&self, id: &Id) -> Result<Tree> {
        let bytes = self.read_small(id, Kind::Tree)?;
        Tree::decode(&bytes, id)
    }

    /// What a slug occupies in the store (Heroku's slug size): the stored,
    /// compressed size of each of its objects, each counted once.
    pub fn slug_disk_size(&self, slug: &Id) -> Result<u64> {
        use rayon::prelude::*;
        let mut seen = std::collections::HashSet::from([*slug]);
        let mut trees = vec![*slug];
        let mut objects = vec![*slug];
        while let Some(id) = trees.pop() {
            for entry in self.read_tree(&id)?.entries {
                if seen.insert(entry.id) {
                    objects.push(entry.id);
                    if entry.kind == EntryKind::Dir {
                        trees.push(entry.id);
                    }
                }
            }
        }
        objects
            .par_iter()
            .map(|id| self.object_disk_size(id))
            .try_reduce(|| 0, |a, b| Ok(a + b))
    }

    /// Follows `path` (slash-separated, relative) from the root tree `slug`.
    /// Returns the entry it names, or None for the root itself.
    pub fn lookup_path(&self, slug: &Id, path: &[u8]) -> Result<Option<Entry>> {
        let mut tree_id = *slug;
        let mut found: Option<Entry> = None;
        let parts: Vec<&[u8]> = path
            .split(|&b| b == b'/')
            .filter(|p| !p.is_empty() && *p != b".")
            .collect();
        for (i, part) in parts.iter().enumerate() {
            let tree = self.read_tree(&tree_id)?;
            let entry = tree.find(part).cloned().ok_or_else(|| {
                Error::refused(format!(
                    "no path '{}' in slug {}; list its paths with 'rel ls-slug -r {}'",
                    String::from_utf8_lossy(path),
                    slug.short(),
                    slug.short()
                ))
            })?;
            if i + 1 < parts.len() && entry.kind != EntryKind::Dir {
                return Err(Error::refused(format!(
                    "'{}' in slug {} is not a directory",
                    String::from_utf8_lossy(&parts[..=i].join(&b'/')),
                    slug.short()
                )));
            }
            tree_id = entry.id;
            found = Some(entry);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_sorts() {
        let id = Kind::Blob.id_of(b"x");
        let t = Tree::new(vec![
            Entry {
                kind: EntryKind::File,
                name: b"b\n \xff".to_vec(),
                size: 1,
                id,
            },
            Entry {
                kind: EntryKind::Dir,
                name: b"a".to_vec(),
                size: 0,
                id,
            },
        ])
        .unwrap();
        assert_eq!(t.entries[0].name, b"a");
        let tid = Kind::Tree.id_of(&t.encode());
        assert_eq!(Tree::decode(&t.encode(), &tid).unwrap(), t);
    }

    #[test]
    fn duplicate_names_are_refused() {
        let id = Kind::Blob.id_of(b"x");
        let e = Entry {
            kind: EntryKind::File,
            name: b"a".to_vec(),
            size: 1,
            id,
        };
        assert!(Tree::new(vec![e.clone(), e]).is_err());
    }
}
