//! Differences between two releases: config keys, add-ons and files. Files
//! are found by walking both slugs' trees together and skipping every
//! subtree whose id is the same on both sides, so the cost grows with the
//! change, not with the slug.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::error::Result;
use crate::id::Id;
use crate::manifest::{Addon, Release};
use crate::store::Store;
use crate::tree::{Entry, EntryKind, Tree};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Modified,
    Deleted,
}

impl Change {
    pub fn letter(self) -> char {
        match self {
            Change::Added => 'A',
            Change::Modified => 'M',
            Change::Deleted => 'D',
        }
    }
    pub fn sign(self) -> char {
        match self {
            Change::Added => '+',
            Change::Modified => '~',
            Change::Deleted => '-',
        }
    }
}

/// What changed from one release to another: `rel diff`'s report.
#[derive(Debug, serde::Serialize)]
pub struct ReleaseDiff {
    pub from: u64,
    pub to: u64,
    pub config: Vec<ConfigChange>,
    pub addons: Vec<AddonChange>,
    /// None when a slug is missing (pruned): files were not compared.
    pub files: Option<Vec<FileChange>>,
}

#[derive(Debug, serde::Serialize)]
pub struct ConfigChange {
    pub key: String,
    pub change: Change,
    /// The values; None when deleted/added, or when values are hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct AddonChange {
    pub name: String,
    pub change: Change,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_plan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_plan: Option<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct FileChange {
    /// The path in the slug; bytes that are not UTF-8 read as U+FFFD in JSON.
    #[serde(serialize_with = "lossy")]
    pub path: Vec<u8>,
    pub change: Change,
}

fn lossy<S: serde::Serializer>(path: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(path))
}

impl ReleaseDiff {
    /// The same diff without config values (config vars often hold secrets).
    pub fn without_values(mut self) -> ReleaseDiff {
        for c in &mut self.config {
            c.old = None;
            c.new = None;
        }
        self
    }
}

pub fn diff_config(a: &Config, b: &Config) -> Vec<ConfigChange> {
    let keys: BTreeSet<&String> = a.vars.keys().chain(b.vars.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (old, new) = (a.vars.get(k), b.vars.get(k));
            let change = match (old, new) {
                (None, Some(_)) => Change::Added,
                (Some(_), None) => Change::Deleted,
                (Some(x), Some(y)) if x != y => Change::Modified,
                _ => return None,
            };
            Some(ConfigChange {
                key: k.clone(),
                change,
                old: old.cloned(),
                new: new.cloned(),
            })
        })
        .collect()
}

pub fn diff_addons(a: &[Addon], b: &[Addon]) -> Vec<AddonChange> {
    let names: BTreeSet<&String> = a.iter().chain(b.iter()).map(|x| &x.name).collect();
    names
        .into_iter()
        .filter_map(|n| {
            let old = a.iter().find(|x| &x.name == n).map(|x| x.plan.clone());
            let new = b.iter().find(|x| &x.name == n).map(|x| x.plan.clone());
            let change = match (&old, &new) {
                (None, Some(_)) => Change::Added,
                (Some(_), None) => Change::Deleted,
                (Some(x), Some(y)) if x != y => Change::Modified,
                _ => return None,
            };
            Some(AddonChange {
                name: n.clone(),
                change,
                old_plan: old,
                new_plan: new,
            })
        })
        .collect()
}

/// Files that differ between two slugs (either may be absent: no files).
pub fn diff_slugs(store: &Store, a: Option<&Id>, b: Option<&Id>) -> Result<Vec<FileChange>> {
    let mut out = Vec::new();
    walk(store, a, b, b"", &mut out)?;
    Ok(out)
}

fn read(store: &Store, id: Option<&Id>) -> Result<Tree> {
    match id {
        Some(id) => store.read_tree(id),
        None => Ok(Tree::default()),
    }
}

fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    if prefix.is_empty() {
        name.to_vec()
    } else {
        [prefix, b"/", name].concat()
    }
}

fn walk(
    store: &Store,
    a: Option<&Id>,
    b: Option<&Id>,
    prefix: &[u8],
    out: &mut Vec<FileChange>,
) -> Result<()> {
    if a == b {
        return Ok(());
    }
    let (ta, tb) = (read(store, a)?, read(store, b)?);
    let names: BTreeSet<&Vec<u8>> = ta
        .entries
        .iter()
        .chain(tb.entries.iter())
        .map(|e| &e.name)
        .collect();
    for name in names {
        let path = join(prefix, name);
        let (ea, eb): (Option<&Entry>, Option<&Entry>) = (ta.find(name), tb.find(name));
        let is_dir = |e: Option<&Entry>| e.is_some_and(|e| e.kind == EntryKind::Dir);
        match (ea, eb) {
            (Some(x), Some(y)) if x.kind == y.kind && x.id == y.id => {}
            _ if is_dir(ea) && is_dir(eb) => {
                walk(store, ea.map(|e| &e.id), eb.map(|e| &e.id), &path, out)?;
            }
            _ => {
                // Anything else: a file side and/or a directory side.
                match ea {
                    Some(x) if x.kind == EntryKind::Dir => {
                        walk(store, Some(&x.id), None, &path, out)?
                    }
                    Some(_) if eb.is_some_and(|y| y.kind != EntryKind::Dir) => {
                        out.push(FileChange {
                            path: path.clone(),
                            change: Change::Modified,
                        });
                        continue;
                    }
                    Some(_) => out.push(FileChange {
                        path: path.clone(),
                        change: Change::Deleted,
                    }),
                    None => {}
                }
                match eb {
                    Some(y) if y.kind == EntryKind::Dir => {
                        walk(store, None, Some(&y.id), &path, out)?
                    }
                    Some(_) => out.push(FileChange {
                        path: path.clone(),
                        change: Change::Added,
                    }),
                    None => {}
                }
            }
        }
    }
    Ok(())
}

pub fn diff_releases(store: &Store, a: &Release, b: &Release) -> Result<ReleaseDiff> {
    let ca = store.read_config(&a.config)?;
    let cb = store.read_config(&b.config)?;
    let present = |r: &Release| r.slug.is_none_or(|s| store.slug_present(&s));
    let files = if present(a) && present(b) {
        Some(diff_slugs(store, a.slug.as_ref(), b.slug.as_ref())?)
    } else {
        None
    };
    Ok(ReleaseDiff {
        from: a.version,
        to: b.version,
        config: diff_config(&ca, &cb),
        addons: diff_addons(&a.addons, &b.addons),
        files,
    })
}
