//! CURRENT and the `current` link.
//!
//! CURRENT names the active release; replacing it is the commit point of an
//! activation. The `current` symlink in the app directory follows it: it is
//! replaced after CURRENT (a new link renamed over the old), so a crash
//! between the two leaves a link that lags CURRENT, which every writer
//! repairs when it takes the lock (`release::lock_for_write`).

use std::fs;
use std::path::PathBuf;

use crate::error::{Result, io_at};
use crate::history;
use crate::id::Id;
use crate::lock::LockGuard;
use crate::store::{Store, sync_dir};

/// What `current` should point to, relative to the app directory.
fn link_target(slug: &Id) -> PathBuf {
    PathBuf::from(crate::store::STORE_DIR)
        .join("checkouts")
        .join(slug.to_hex())
}

/// What is wrong when CURRENT cannot say which release is current although
/// one was activated: CURRENT missing while the `current` link exists, or
/// CURRENT naming a release without a readable manifest. The message names
/// the `rel activate` that repairs it (the newest succeeded release of the
/// slug the link leads to, else the newest succeeded release).
pub fn unknown(store: &Store) -> Result<Option<String>> {
    let link = store.current_link();
    let problem = match history::current_version(store) {
        Ok(Some(v)) if store.read_release(v).is_ok() => return Ok(None),
        Ok(Some(v)) => format!(
            "CURRENT names v{v}, which has no readable manifest (the newest release is v{})",
            history::latest_version(store)
        ),
        Ok(None) if fs::symlink_metadata(&link).is_err() => return Ok(None),
        Ok(None) => format!("CURRENT is missing, but '{}' exists", link.display()),
        Err(e) => e.to_string(),
    };
    let linked = fs::read_link(&link)
        .ok()
        .and_then(|t| t.file_name()?.to_str()?.parse::<Id>().ok());
    let mut newest_succeeded = None;
    let mut of_linked_slug = None;
    for v in (1..=history::latest_version(store)).rev() {
        let Ok(r) = store.read_release(v) else {
            continue;
        };
        if !r.succeeded() {
            continue;
        }
        newest_succeeded.get_or_insert(v);
        if linked.is_some() && r.slug == linked {
            of_linked_slug = Some(v);
            break;
        }
        if linked.is_none() {
            break;
        }
    }
    Ok(Some(match of_linked_slug.or(newest_succeeded) {
        Some(v) => format!("{problem}; make a release current again with 'rel activate v{v}'"),
        None => format!("{problem}; make a release current again with 'rel activate REV'"),
    }))
}

/// Whether the `current` link disagrees with CURRENT; the fix is to relink.
pub fn link_lags(store: &Store) -> Result<Option<String>> {
    let Some(release) = history::current_release(store)? else {
        return Ok(None);
    };
    let Some(slug) = release.slug else {
        return Ok(None);
    };
    let want = link_target(&slug);
    match fs::read_link(store.current_link()) {
        Ok(have) if have == want => Ok(None),
        Ok(have) => Ok(Some(format!(
            "'{}' points to '{}', but CURRENT is {} (slug {})",
            store.current_link().display(),
            have.display(),
            release.name(),
            slug.short()
        ))),
        Err(_) => Ok(Some(format!(
            "'{}' is missing, but CURRENT is {}",
            store.current_link().display(),
            release.name()
        ))),
    }
}

/// As [`link_lags`], and also when the link is right but the
/// checkout it leads to is gone (removed by hand): `current` leads nowhere,
/// and the repair checks the slug out again.
pub fn link_broken(store: &Store) -> Result<Option<String>> {
    if let Some(lag) = link_lags(store)? {
        return Ok(Some(lag));
    }
    let Some(release) = history::current_release(store)? else {
        return Ok(None);
    };
    Ok(release
        .slug
        .filter(|slug| !store.checkout_path(slug).is_dir())
        .map(|slug| {
            format!(
                "'{}' leads to the checkout of slug {}, which is missing (CURRENT is {})",
                store.current_link().display(),
                slug.short(),
                release.name()
            )
        }))
}

/// Relinks `current` to CURRENT's checkout (materialising it if needed).
pub fn repair_link(store: &Store, _lock: &LockGuard) -> Result<bool> {
    if link_broken(store)?.is_none() {
        return Ok(false);
    }
    let Some(release) = history::current_release(store)? else {
        return Ok(false);
    };
    let Some(slug) = release.slug else {
        return Ok(false);
    };
    if !store.slug_present(&slug) {
        // Nothing to link to; fsck reports it.
        return Ok(false);
    }
    store.ensure_checkout(&slug, None, None, &crate::progress::Silent)?;
    store.sync_all()?;
    replace_link(store, &slug)?;
    Ok(true)
}

pub(crate) fn replace_link(store: &Store, slug: &Id) -> Result<()> {
    let link = store.current_link();
    // Made in the store's tmp/ (same file system, so the rename is atomic):
    // a writer killed before the rename leaves nothing in the app directory,
    // and the next writer sweeps tmp/.
    let tmp = store.temp_path("current-link");
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(link_target(slug), &tmp).map_err(io_at("create", &tmp))?;
    store.adopt(&tmp)?;
    if let Err(e) = fs::rename(&tmp, &link) {
        let _ = fs::remove_file(&tmp);
        return Err(io_at("replace", &link)(e));
    }
    sync_dir(&store.app_dir)
}
