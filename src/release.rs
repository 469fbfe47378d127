//! Making releases and activating them.
//!
//! Order of a release, all under the lock: objects stored → slug checked
//! out → release hook run → objects and checkout made durable (one syncfs)
//! → manifest renamed into place. Order of activation: CURRENT replaced (the
//! commit point) → `current` symlink replaced (new link, renamed over) →
//! restart hook. A crash between any two steps leaves the previous release
//! whole: CURRENT still names it, and a `current` link that lags CURRENT is
//! repaired by the next writer.

use std::io::Write;
use std::time::Duration;

use jiff::Timestamp;

use crate::checkout::PreparedCheckout;
use crate::current;
use crate::error::{Error, Result};
use crate::history;
use crate::hooks::{self, HookOutcome};
use crate::id::{Id, Kind};
use crate::lock::{self, LockGuard};
use crate::manifest::{Addon, Release, Status};
use crate::progress::Progress;
use crate::store::Store;

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
    if current::unknown(store)?.is_none() {
        current::repair_link(store, &guard)?;
    }
    Ok(guard)
}

/// The current release's slug, as a hint of which checkout to hard-link
/// from: a CURRENT that cannot be read (the state `rel activate` repairs)
/// gives none.
fn current_slug_hint(store: &Store) -> Option<Id> {
    history::current_release(store).ok().flatten()?.slug
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
        current::replace_link(store, slug)?;
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
