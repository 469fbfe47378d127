//! The release history: versions, CURRENT, and revisions.
//!
//! Versions are contiguous from v1 (allocated under the lock, never skipped),
//! so the newest is found by probing manifest names, in O(log n) stats, and
//! `releases -n N` reads N manifests, whatever the length of the history.
//! CURRENT holds the active version; replacing it is the commit point.

use std::fs;
use std::io;

use crate::error::{Error, Result, io_at};
use crate::id::{Id, Kind};
use crate::manifest::Release;
use crate::store::Store;

/// A way of naming a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revision {
    /// `vN` or `N`.
    Version(u64),
    /// `current~K`.
    Current(u64),
    /// `vN~K`.
    Before(u64, u64),
}

impl Revision {
    pub fn parse(text: &str) -> Result<Revision> {
        Self::parse_release_name(text)
            .or_else(|| {
                // Digits only: u64's parser would also take "+5".
                text.bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| text.parse::<u64>().ok())
                    .flatten()
                    .filter(|&n| n > 0)
                    .map(Revision::Version)
            })
            .ok_or_else(|| Error::UnknownRevision(text.to_string()))
    }

    /// The forms that cannot be mistaken for an object id: `vN`, `vN~K`,
    /// `current`, `current~K`.
    pub fn parse_release_name(text: &str) -> Option<Revision> {
        let (base, back) = match text.split_once('~') {
            Some((b, k)) => (
                b,
                if k.is_empty() {
                    1
                } else if k.bytes().all(|b| b.is_ascii_digit()) {
                    k.parse::<u64>().ok()?
                } else {
                    return None;
                },
            ),
            None => (text, 0),
        };
        if base == "current" {
            return Some(Revision::Current(back));
        }
        let n = base.strip_prefix('v')?;
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n = n.parse::<u64>().ok().filter(|&n| n > 0)?;
        Some(if back == 0 {
            Revision::Version(n)
        } else {
            Revision::Before(n, back)
        })
    }
}

/// The newest version in the store, 0 when there is none.
pub fn latest_version(store: &Store) -> u64 {
    if !store.has_release(1) {
        return 0;
    }
    let mut lo = 1u64; // exists
    let mut hi = 2u64;
    while store.has_release(hi) {
        lo = hi;
        hi = hi.saturating_mul(2);
    }
    // lo exists, hi does not.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if store.has_release(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The version CURRENT names, if any.
pub fn current_version(store: &Store) -> Result<Option<u64>> {
    let path = store.current_file();
    match fs::read_to_string(&path) {
        Ok(text) => {
            let v = text
                .trim()
                .strip_prefix('v')
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| {
                    Error::refused(format!(
                        "'{}' does not name a release ('{}'); run 'rel fsck'",
                        path.display(),
                        text.trim()
                    ))
                })?;
            Ok(Some(v))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_at("read", &path)(e)),
    }
}

pub fn current_release(store: &Store) -> Result<Option<Release>> {
    let Some(v) = current_version(store)? else {
        return Ok(None);
    };
    if !store.has_release(v) {
        return Err(Error::refused(format!(
            "'{}' names v{v}, which has no manifest; 'rel status' says which release to activate",
            store.current_file().display()
        )));
    }
    store.read_release(v).map(Some)
}

/// Resolves a revision to a version number; `text` is what the user typed.
pub fn resolve_version(store: &Store, rev: &Revision, text: &str) -> Result<u64> {
    let unknown = || Error::UnknownRevision(text.to_string());
    let v = match *rev {
        Revision::Version(n) => n,
        Revision::Current(k) => {
            let cur = current_version(store)?.ok_or_else(|| {
                Error::refused(format!(
                    "'{text}' names nothing: no release is current yet; deploy first (rel deploy DIR)"
                ))
            })?;
            cur.checked_sub(k).ok_or_else(unknown)?
        }
        Revision::Before(n, k) => n.checked_sub(k).ok_or_else(unknown)?,
    };
    if !store.has_release(v) {
        return Err(unknown());
    }
    Ok(v)
}

pub fn resolve(store: &Store, rev: &Revision, text: &str) -> Result<Release> {
    store.read_release(resolve_version(store, rev, text)?)
}

/// Parses and resolves what the user typed.
pub fn resolve_text(store: &Store, text: &str) -> Result<Release> {
    resolve(store, &Revision::parse(text)?, text)
}

/// Resolves a slug argument: a revision (`v12`, `current`, `current~1`)
/// names that release's slug; anything else is an id or unique prefix,
/// which must name a tree.
pub fn resolve_slug_arg(store: &Store, text: &str) -> Result<Id> {
    if let Some(rev) = Revision::parse_release_name(text) {
        let release = resolve(store, &rev, text)?;
        return release.slug.ok_or_else(|| {
            Error::refused(format!(
                "release v{} has no slug: nothing was deployed before it; deploy first (rel deploy DIR)",
                release.version
            ))
        });
    }
    let id = store.resolve_id(text)?;
    let header = store.object_header(&id)?;
    if header.kind != Kind::Tree {
        return Err(Error::refused(format!(
            "object {id} is a {}, not a slug (tree)",
            header.kind
        )));
    }
    Ok(id)
}

/// Resolves a config argument: a revision (`v12`, `current`, `current~1`)
/// names that release's config; anything else is an id or unique prefix.
pub fn resolve_config_arg(store: &Store, text: &str) -> Result<Id> {
    match Revision::parse_release_name(text) {
        Some(rev) => Ok(resolve(store, &rev, text)?.config),
        None => store.resolve_id(text),
    }
}

/// Up to `limit` releases, newest first, reading only those manifests. A
/// manifest that cannot be read takes its place as its version and the
/// error, so one damaged manifest does not hide the rest of the history.
pub fn newest(store: &Store, limit: Option<usize>) -> Vec<(u64, Result<Release>)> {
    let latest = latest_version(store);
    let count = limit.map_or(latest, |l| (l as u64).min(latest));
    (0..count)
        .map(|i| (latest - i, store.read_release(latest - i)))
        .collect()
}

/// `v1, v2, v3` for a list of versions, at most five named.
pub fn version_list(versions: &[u64]) -> String {
    let mut s = versions
        .iter()
        .take(5)
        .map(|v| format!("v{v}"))
        .collect::<Vec<_>>()
        .join(", ");
    if versions.len() > 5 {
        s.push_str(&format!(" and {} more", versions.len() - 5));
    }
    s
}

/// The default rollback target: the newest succeeded, unpruned release
/// before current. Reads manifests back from current until it finds one.
pub fn default_rollback_target(store: &Store) -> Result<Option<Release>> {
    let Some(cur) = current_version(store)? else {
        return Ok(None);
    };
    for v in (1..cur).rev() {
        let r = store.read_release(v)?;
        if r.succeeded() && r.slug.is_none_or(|s| store.slug_present(&s)) {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_parse() {
        assert_eq!(Revision::parse("v12").unwrap(), Revision::Version(12));
        assert_eq!(Revision::parse("12").unwrap(), Revision::Version(12));
        assert_eq!(Revision::parse("current").unwrap(), Revision::Current(0));
        assert_eq!(Revision::parse("current~2").unwrap(), Revision::Current(2));
        assert_eq!(Revision::parse("v5~1").unwrap(), Revision::Before(5, 1));
        for bad in [
            "vabc",
            "v-1",
            "v0",
            "0",
            "",
            "v",
            "current~x",
            "head",
            "+5",
            "v+5",
            "current~+1",
        ] {
            assert!(Revision::parse(bad).is_err(), "{bad}");
        }
    }
}
