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

#[derive(Debug, Default)]
pub struct ReleaseDiff {
    /// Key, change, old value, new value.
    pub config: Vec<(String, Change, Option<String>, Option<String>)>,
    /// Name, change, old plan, new plan.
    pub addons: Vec<(String, Change, Option<String>, Option<String>)>,
    /// Path, change. None when a slug is missing (pruned).
    pub files: Option<Vec<(Vec<u8>, Change)>>,
}

pub fn diff_config(
    a: &Config,
    b: &Config,
) -> Vec<(String, Change, Option<String>, Option<String>)> {
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
            Some((k.clone(), change, old.cloned(), new.cloned()))
        })
        .collect()
}

pub fn diff_addons(
    a: &[Addon],
    b: &[Addon],
) -> Vec<(String, Change, Option<String>, Option<String>)> {
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
            Some((n.clone(), change, old, new))
        })
        .collect()
}

/// Files that differ between two slugs (either may be absent: no files).
pub fn diff_slugs(store: &Store, a: Option<&Id>, b: Option<&Id>) -> Result<Vec<(Vec<u8>, Change)>> {
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
    out: &mut Vec<(Vec<u8>, Change)>,
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
                        out.push((path.clone(), Change::Modified));
                        continue;
                    }
                    Some(_) => out.push((path.clone(), Change::Deleted)),
                    None => {}
                }
                match eb {
                    Some(y) if y.kind == EntryKind::Dir => {
                        walk(store, None, Some(&y.id), &path, out)?
                    }
                    Some(_) => out.push((path.clone(), Change::Added)),
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
        config: diff_config(&ca, &cb),
        addons: diff_addons(&a.addons, &b.addons),
        files,
    })
}
