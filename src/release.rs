//! Making releases and activating them.
//!
//! Order of a release, all under the lock: objects stored → slug checked
//! out → release hook run → objects and checkout made durable (one syncfs)
//! → manifest renamed into place. Order of activation: CURRENT replaced (the
//! commit point) → `current` symlink replaced (new link, renamed over) →
//! restart hook. A crash between any two steps leaves the previous release
//! whole: CURRENT still names it, and a `current` link that lags CURRENT is
//! repaired by the next writer.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;

use crate::checkout::PreparedCheckout;
use crate::error::{Error, Result, io_at};
use crate::history;
use crate::hooks::{self, HookOutcome};
use crate::id::{Id, Kind};
use crate::lock::{self, LockGuard};
use crate::manifest::{Addon, Release, Status};
use crate::progress::Progress;
use crate::store::{Store, sync_dir};

/// Everything a new release needs but its version.
#[derive(Clone, Debug)]
pub struct NewRelease {
    pub slug: Option<Id>,
    pub config: Id,
    pub addons: Vec<Addon>,
    pub change: String,
    pub by: String,
    pub created_at: Timestamp,
    pub commit: Option<String>,
    /// See [`Release::dirty`].
    pub dirty: bool,
    pub rollback_of: Option<u64>,
    /// Run the release hook (`--no-hook` turns it off).
    pub run_hook: bool,
}

impl NewRelease {
    /// A new release copying the slug, config and add-ons of `of`.
    pub fn copy_of(of: &Release, change: String, by: String, created_at: Timestamp) -> NewRelease {
        NewRelease {
            slug: of.slug,
            config: of.config,
            addons: of.addons.clone(),
            change,
            by,
            created_at,
            commit: of.commit.clone(),
            dirty: of.dirty,
            rollback_of: Some(of.version),
            run_hook: true,
        }
    }
}

/// Takes the writers' lock, removes the temporary files of writers that
/// are gone, then repairs a `current` link that lags CURRENT.
pub fn lock_for_write(
    store: &Store,
    command: &str,
    timeout: Option<Duration>,
    on_wait: &mut dyn FnMut(&str),
) -> Result<LockGuard> {
    let guard = lock::acquire(store, command, timeout, on_wait)?;
    store.sweep_tmp();
    // With CURRENT unreadable there is nothing to relink to; `rel activate`,
    // a writer too, is what repairs that.
    if current_unknown(store)?.is_none() {
        repair_current_link(store, &guard)?;
    }
    Ok(guard)
}

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
pub fn current_unknown(store: &Store) -> Result<Option<String>> {
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

/// The current release's slug, as a hint of which checkout to hard-link
/// from: a CURRENT that cannot be read (the state `rel activate` repairs)
/// gives none.
fn current_slug_hint(store: &Store) -> Option<Id> {
    history::current_release(store).ok().flatten()?.slug
}

/// Whether the `current` link disagrees with CURRENT; the fix is to relink.
pub fn current_link_lags(store: &Store) -> Result<Option<String>> {
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

/// As [`current_link_lags`], and also when the link is right but the
/// checkout it leads to is gone (removed by hand): `current` leads nowhere,
/// and the repair checks the slug out again.
pub fn current_link_broken(store: &Store) -> Result<Option<String>> {
    if let Some(lag) = current_link_lags(store)? {
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
pub fn repair_current_link(store: &Store, _lock: &LockGuard) -> Result<bool> {
    if current_link_broken(store)?.is_none() {
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

fn replace_link(store: &Store, slug: &Id) -> Result<()> {
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

/// Runs the release phase and writes the manifest (succeeded or failed).
/// Does not activate. `hook_out` receives the release hook's output. The
/// slug's checkout is a deploy's `prepared` one when that is of the slug.
pub fn write_release(
    store: &Store,
    _lock: &LockGuard,
    new: NewRelease,
    prepared: Option<PreparedCheckout<'_>>,
    progress: &dyn Progress,
    hook_out: &mut dyn Write,
) -> Result<Release> {
    if let Some(slug) = &new.slug {
        let header = store.object_header(slug)?;
        if header.kind != Kind::Tree {
            return Err(Error::refused(format!(
                "object {slug} is a {}, not a slug",
                header.kind
            )));
        }
    }
    let config = store.read_config(&new.config)?;
    let mut names: Vec<&str> = new.addons.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::refused(format!(
            "two add-ons are named '{}'; give each add-on its own NAME",
            w[0]
        )));
    }
    let version = history::latest_version(store) + 1;
    let mut release = Release {
        version,
        change: new.change,
        by: new.by,
        created_at: new.created_at,
        slug: new.slug,
        config: new.config,
        status: Status::Succeeded,
        commit: new.commit,
        dirty: new.dirty,
        rollback_of: new.rollback_of,
        output: None,
        addons: new.addons,
    };
    if let Some(slug) = &release.slug {
        let like = current_slug_hint(store);
        let checkout = store.ensure_checkout(slug, like.as_ref(), prepared, progress)?;
        if new.run_hook {
            let env = hooks::release_env(store, &release, &config);
            if let Some(outcome) = hooks::run(store, "release", &checkout, &env, hook_out, true)? {
                release.output = outcome.output;
                if !outcome.success {
                    release.status = Status::Failed;
                }
            }
        }
    }
    // Durable before the manifest names them: what this process wrote is
    // synced file by file (a config:set writes one config) or with one
    // syncfs (a deploy); objects an existing manifest names are durable
    // already; anything else (a write-slug run before this write-release)
    // takes a syncfs, which flushes other processes' writes too.
    let copied = match new.rollback_of {
        Some(v) => Some(store.read_release(v)?),
        None => None,
    };
    // Unreadable, it vouches for nothing: everything is synced.
    let current = history::current_release(store).ok().flatten();
    let named_before = |id: &Id| {
        [&current, &copied]
            .into_iter()
            .flatten()
            .any(|r| r.slug == Some(*id) || r.config == *id)
    };
    let all_known = [release.slug, Some(release.config), release.output]
        .into_iter()
        .flatten()
        .all(|id| store.wrote(&id) || named_before(&id));
    if all_known {
        store.sync_written()?;
    } else {
        store.sync_all()?;
    }
    store.write_manifest(&release)?;
    Ok(release)
}

#[derive(Debug)]
pub struct Activation {
    pub release: Release,
    /// The restart hook's outcome, when it ran.
    pub restart: Option<HookOutcome>,
}

/// Makes `version` current: checkout, CURRENT, `current` link, restart hook.
pub fn activate(
    store: &Store,
    _lock: &LockGuard,
    version: u64,
    restart: bool,
    progress: &dyn Progress,
    hook_out: &mut dyn Write,
) -> Result<Activation> {
    let release = store.read_release(version)?;
    if !release.succeeded() {
        return Err(Error::refused(format!(
            "{} failed its release phase and cannot be activated; see 'rel releases:output {}'",
            release.name(),
            release.name()
        )));
    }
    let checkout = match &release.slug {
        Some(slug) => {
            if !store.slug_present(slug) {
                return Err(Error::refused(format!(
                    "{} was pruned by gc (its slug is gone) and cannot be activated; deploy its code again",
                    release.name()
                )));
            }
            let like = current_slug_hint(store);
            Some(store.ensure_checkout(slug, like.as_ref(), None, progress)?)
        }
        None => None,
    };
    // A manifest names the release's objects, so they are durable; a
    // checkout made just now is not yet.
    store.sync_written()?;
    store.write_atomic(
        &store.current_file(),
        format!("{}\n", release.name()).as_bytes(),
        false,
    )?;
    if let Some(slug) = &release.slug {
        replace_link(store, slug)?;
    }
    let mut outcome = None;
    if restart {
        let config = store.read_config(&release.config)?;
        let env = hooks::release_env(store, &release, &config);
        let cwd = checkout.unwrap_or_else(|| store.app_dir.clone());
        outcome = hooks::run(store, "restart", &cwd, &env, hook_out, false)?;
    }
    Ok(Activation {
        release,
        restart: outcome,
    })
}
