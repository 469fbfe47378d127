//! Reports built once and rendered twice: the commands print each value
//! either for people or as JSON (`--json`), so the two views cannot drift.
//! Nothing here prints.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::error::Result;
use crate::history;
use crate::manifest::Release;
use crate::pruned::{SlugState, slug_state};
use crate::store::Store;

/// A release as reports show it: the manifest's fields, whether it is
/// current and whether gc has pruned its slug; with `releases:info`'s
/// details, its config vars and whether `rel rollback` to it is accepted.
#[derive(Serialize)]
pub struct ReleaseView<'a> {
    #[serde(flatten)]
    pub release: &'a Release,
    pub current: bool,
    pub pruned: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_vars: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackVerdict>,
}

impl<'a> ReleaseView<'a> {
    pub fn new(store: &Store, release: &'a Release, current: Option<u64>) -> ReleaseView<'a> {
        ReleaseView {
            release,
            current: current == Some(release.version),
            pruned: release.slug.is_some_and(|s| !store.slug_present(&s)),
            config_vars: None,
            rollback: None,
        }
    }

    /// The view with the release's config vars and rollback verdict.
    pub fn detailed(store: &Store, release: &'a Release) -> Result<ReleaseView<'a>> {
        let current = history::current_version(store)?;
        let mut view = ReleaseView::new(store, release, current);
        view.config_vars = Some(store.read_config(&release.config)?.vars);
        view.rollback = Some(RollbackVerdict::of(store, release)?);
        Ok(view)
    }
}

/// Whether `rel rollback REV` would be accepted, and if not, why.
#[derive(Debug, Serialize)]
pub struct RollbackVerdict {
    pub possible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl RollbackVerdict {
    pub fn of(store: &Store, r: &Release) -> Result<RollbackVerdict> {
        let current = history::current_release(store)?;
        let reason = if let Some(block) = crate::ops::rollback_block(store, current.as_ref(), r) {
            Some(block.short())
        } else {
            match &current {
                Some(c) if crate::ops::rollback_changes_nothing(c, r).is_some() => {
                    Some("it is the current release".to_string())
                }
                _ => None,
            }
        };
        Ok(RollbackVerdict {
            possible: reason.is_none(),
            reason,
        })
    }
}

/// "yes", or "no (reason)".
impl fmt::Display for RollbackVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            None => f.write_str("yes"),
            Some(reason) => write!(f, "no ({reason})"),
        }
    }
}

/// What `rel status` reports: the current release, the store's size, and
/// every way the store is out of sync, each with what to run.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub app: String,
    pub current: Option<CurrentRelease>,
    /// The newest version (0 when there is none).
    pub releases: u64,
    /// The current release's checkout directory, when it has a slug.
    pub checkout: Option<String>,
    pub store: StoreUsage,
    pub in_sync: bool,
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct CurrentRelease {
    pub version: u64,
    pub change: String,
}

#[derive(Debug, Serialize)]
pub struct StoreUsage {
    pub objects: u64,
    pub bytes: u64,
}

impl StatusReport {
    pub fn build(store: &Store) -> Result<StatusReport> {
        let mut problems = Vec::new();
        // A CURRENT that cannot be read is reported, not fatal: status is
        // where one looks when the store is out of sync.
        let unknown = crate::current::unknown(store)?;
        let current = match &unknown {
            Some(problem) => {
                problems.push(problem.clone());
                None
            }
            None => history::current_release(store)?,
        };
        let latest = history::latest_version(store);
        let mut checkout = None;
        if let Some(slug) = current.as_ref().and_then(|r| r.slug) {
            let path = store.checkout_path(&slug);
            checkout = Some(path.display().to_string());
            if !path.is_dir() {
                problems.push(
                    "the current checkout is missing; run 'rel activate current'".to_string(),
                );
            }
        }
        let (objects, bytes) = store.object_usage()?;
        if unknown.is_none()
            && let Some(lag) = crate::current::link_lags(store)?
        {
            problems.push(format!(
                "{lag}; run 'rel activate current' (or 'rel fsck --repair')"
            ));
        }
        // Every manifest, oldest first.
        let mut all = history::newest(store, None);
        all.reverse();
        let unreadable: Vec<u64> = all
            .iter()
            .filter_map(|(v, r)| r.is_err().then_some(*v))
            .collect();
        if !unreadable.is_empty() {
            let manifests = if unreadable.len() == 1 {
                "the manifest"
            } else {
                "the manifests"
            };
            problems.push(format!(
                "{manifests} of {} cannot be read; run 'rel fsck'",
                history::version_list(&unreadable)
            ));
        }
        let record = store.read_pruned().ok().flatten();
        let missing: Vec<u64> = all
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .filter(|r| slug_state(store, record.as_ref(), r) == SlugState::Missing)
            .map(|r| r.version)
            .collect();
        if !missing.is_empty() {
            let (slugs, are, them) = if missing.len() == 1 {
                ("the slug", "is", "it")
            } else {
                ("the slugs", "are", "them")
            };
            problems.push(format!(
                "{slugs} of {} {are} missing, and gc did not prune {them}; run 'rel fsck'",
                history::version_list(&missing)
            ));
        }
        if let Some(cur) = current.as_ref()
            && cur.version < latest
            && let Ok(newer) = store.read_release(latest)
            && newer.succeeded()
        {
            problems.push(format!(
                "{} is newer than the current {} but not active; activate it with 'rel activate {}'",
                newer.name(),
                cur.name(),
                newer.name()
            ));
        }
        if let Some(leftovers) = store.tmp_leftovers() {
            problems.push(format!("{leftovers}; remove them with 'rel fsck --repair'"));
        }
        Ok(StatusReport {
            app: store.settings.name.clone(),
            current: current.map(|r| CurrentRelease {
                version: r.version,
                change: r.change,
            }),
            releases: latest,
            checkout,
            store: StoreUsage { objects, bytes },
            in_sync: problems.is_empty(),
            problems,
        })
    }
}
