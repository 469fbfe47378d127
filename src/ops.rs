//! The porcelain's decisions, as data: what new release a deploy, config
//! change, add-on change or rollback makes (or why it makes none). Commands
//! take the lock, call these, commit the result and render it; scripts get
//! the same releases from the plumbing.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::checkout::PreparedCheckout;
use crate::config::{Config, check_key, check_value};
use crate::error::{Error, Result};
use crate::history;
use crate::hooks::HookOutcome;
use crate::id::Id;
use crate::lock::LockGuard;
use crate::manifest::{Addon, Release};
use crate::progress::Progress;
use crate::release::{self, Activation, NewRelease};
use crate::store::Store;

/// What the next release starts from: the current release's slug, config and
/// add-ons, or nothing before the first release.
#[derive(Clone, Debug)]
pub struct Base {
    pub current: Option<Release>,
    pub slug: Option<Id>,
    pub config: Config,
    pub addons: Vec<Addon>,
}

pub fn base(store: &Store) -> Result<Base> {
    let current = history::current_release(store)?;
    let (slug, config, addons) = match &current {
        Some(r) => (r.slug, store.read_config(&r.config)?, r.addons.clone()),
        None => (None, Config::default(), Vec::new()),
    };
    Ok(Base {
        current,
        slug,
        config,
        addons,
    })
}

/// The outcome of a porcelain change.
pub enum Plan {
    /// Nothing would change; the reason, for people.
    NoChange(String),
    Release(NewRelease),
}

/// Who and when, for every new release.
#[derive(Clone, Debug)]
pub struct Author {
    pub by: String,
    pub at: Timestamp,
}

fn new_release(
    store: &Store,
    base: &Base,
    config: &Config,
    addons: Vec<Addon>,
    change: String,
    author: &Author,
) -> Result<NewRelease> {
    Ok(NewRelease {
        slug: base.slug,
        config: store.write_config(config)?,
        addons,
        change,
        by: author.by.clone(),
        created_at: author.at,
        commit: base.current.as_ref().and_then(|r| r.commit.clone()),
        dirty: base.current.as_ref().is_some_and(|r| r.dirty),
        rollback_of: None,
        run_hook: true,
    })
}

/// "A", "A and B"? Heroku writes "Set A, B config vars".
fn key_list(keys: &[String]) -> String {
    keys.join(", ")
}

pub fn config_set(store: &Store, pairs: &[(String, String)], author: &Author) -> Result<Plan> {
    for (k, v) in pairs {
        check_key(k)?;
        check_value(k, v)?;
    }
    let base = base(store)?;
    let mut config = base.config.clone();
    let mut changed = Vec::new();
    // The last assignment of a key wins, as in a shell.
    let wanted: BTreeMap<&String, &String> = pairs.iter().map(|(k, v)| (k, v)).collect();
    for (k, v) in pairs {
        if wanted.get(k) != Some(&v) {
            continue;
        }
        if config.vars.get(k) != Some(v) && !changed.contains(k) {
            changed.push(k.clone());
        }
        config.vars.insert(k.clone(), v.clone());
    }
    if changed.is_empty() {
        return Ok(Plan::NoChange(format!(
            "{} already set to {}; no new release",
            key_list(&pairs.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>()),
            if pairs.len() == 1 {
                "that value"
            } else {
                "those values"
            }
        )));
    }
    let change = format!("Set {} config vars", key_list(&changed));
    Ok(Plan::Release(new_release(
        store,
        &base,
        &config,
        base.addons.clone(),
        change,
        author,
    )?))
}

pub fn config_unset(store: &Store, keys: &[String], author: &Author) -> Result<Plan> {
    for k in keys {
        check_key(k)?;
    }
    let base = base(store)?;
    let mut config = base.config.clone();
    let mut removed = Vec::new();
    for k in keys {
        if config.vars.remove(k).is_some() {
            removed.push(k.clone());
        }
    }
    if removed.is_empty() {
        return Ok(Plan::NoChange(format!(
            "{} not set; no new release",
            key_list(keys)
        )));
    }
    let change = format!("Remove {} config vars", key_list(&removed));
    Ok(Plan::Release(new_release(
        store,
        &base,
        &config,
        base.addons.clone(),
        change,
        author,
    )?))
}

/// `SERVICE[:PLAN]` → (service, plan part).
pub fn split_plan(spec: &str) -> Result<(String, Option<String>)> {
    let (service, plan) = match spec.split_once(':') {
        Some((s, p)) => (s, Some(p)),
        None => (spec, None),
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    };
    if !ok(service) || plan.is_some_and(|p| !ok(p)) {
        return Err(Error::refused(format!(
            "'{spec}' is not SERVICE or SERVICE:PLAN (letters, digits, - _ .)"
        )));
    }
    Ok((service.to_string(), plan.map(str::to_string)))
}

pub fn addon_add(
    store: &Store,
    spec: &str,
    name: Option<&str>,
    vars: &[(String, String)],
    author: &Author,
) -> Result<(Plan, Addon)> {
    let (service, _) = split_plan(spec)?;
    let name = name.unwrap_or(&service).to_string();
    if name.contains(':') || split_plan(&name).is_err() {
        return Err(Error::refused(format!(
            "'{name}' is not a usable add-on name; use letters, digits, - _ and ."
        )));
    }
    for (k, v) in vars {
        check_key(k)?;
        check_value(k, v)?;
    }
    let base = base(store)?;
    if base.addons.iter().any(|a| a.name == name) {
        return Err(Error::refused(format!(
            "an add-on named '{name}' exists already; use 'rel addons:upgrade {name} PLAN', or --as ANOTHER_NAME"
        )));
    }
    let mut config = base.config.clone();
    for (k, v) in vars {
        if config.vars.contains_key(k) {
            return Err(Error::refused(format!(
                "config var {k} is set already; unset it first (rel config:unset {k}) or give the add-on another var"
            )));
        }
        config.vars.insert(k.clone(), v.clone());
    }
    let addon = Addon {
        name: name.clone(),
        service: service.clone(),
        plan: spec.to_string(),
        config_vars: vars.iter().map(|(k, _)| k.clone()).collect(),
    };
    let mut addons = base.addons.clone();
    addons.push(addon.clone());
    addons.sort_by(|a, b| a.name.cmp(&b.name));
    let change = if name == service {
        format!("Add {spec} add-on")
    } else {
        format!("Add {spec} add-on as {name}")
    };
    Ok((
        Plan::Release(new_release(store, &base, &config, addons, change, author)?),
        addon,
    ))
}

fn find_addon<'a>(base: &'a Base, name: &str) -> Result<&'a Addon> {
    base.addons.iter().find(|a| a.name == name).ok_or_else(|| {
        let names: Vec<&str> = base.addons.iter().map(|a| a.name.as_str()).collect();
        Error::refused(if names.is_empty() {
            format!("no add-on named '{name}': the app has none")
        } else {
            format!("no add-on named '{name}'; the app has {}", names.join(", "))
        })
    })
}

pub fn addon_remove(store: &Store, name: &str, author: &Author) -> Result<Plan> {
    let base = base(store)?;
    let addon = find_addon(&base, name)?.clone();
    let mut config = base.config.clone();
    for k in &addon.config_vars {
        config.vars.remove(k);
    }
    let addons = base
        .addons
        .iter()
        .filter(|a| a.name != name)
        .cloned()
        .collect();
    let change = format!("Remove {name} add-on");
    Ok(Plan::Release(new_release(
        store, &base, &config, addons, change, author,
    )?))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanChange {
    Upgrade,
    Downgrade,
}

pub fn addon_plan(
    store: &Store,
    name: &str,
    plan: &str,
    way: PlanChange,
    author: &Author,
) -> Result<(Plan, String)> {
    let base = base(store)?;
    let addon = find_addon(&base, name)?.clone();
    let new_plan = match plan.split_once(':') {
        Some((service, _)) if service != addon.service => {
            return Err(Error::refused(format!(
                "'{plan}' is a plan of {service}, but {name} is a {} add-on; give PLAN or {}:PLAN",
                addon.service, addon.service
            )));
        }
        Some(_) => plan.to_string(),
        None => format!("{}:{plan}", addon.service),
    };
    split_plan(&new_plan)?;
    if new_plan == addon.plan {
        return Ok((
            Plan::NoChange(format!("{name} is on {new_plan} already; no new release")),
            new_plan,
        ));
    }
    let addons = base
        .addons
        .iter()
        .map(|a| {
            let mut a = a.clone();
            if a.name == name {
                a.plan = new_plan.clone();
            }
            a
        })
        .collect();
    let verb = match way {
        PlanChange::Upgrade => "Upgrade",
        PlanChange::Downgrade => "Downgrade",
    };
    let change = format!("{verb} {name} to {new_plan}");
    Ok((
        Plan::Release(new_release(
            store,
            &base,
            &base.config,
            addons,
            change,
            author,
        )?),
        new_plan,
    ))
}

/// One add-on that differs between the current release and a rollback
/// target, with the command that would make the current one match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddonDifference {
    pub name: String,
    /// What differs, for people: "is not attached now".
    pub what: String,
    /// Commands that each remove the difference.
    pub fixes: Vec<String>,
}

/// The add-on differences that block a rollback to `target`, each with the
/// command that would remove it. Rolling back never changes add-ons (they
/// are external resources), so these must be fixed by hand first.
pub fn addon_differences(current: &[Addon], target: &[Addon]) -> Vec<AddonDifference> {
    let mut out = Vec::new();
    for t in target {
        match current.iter().find(|c| c.name == t.name) {
            None => out.push(AddonDifference {
                name: t.name.clone(),
                what: "is not attached now".to_string(),
                fixes: vec![if t.name == t.service {
                    format!("rel addons:add {}", t.plan)
                } else {
                    format!("rel addons:add {} --as {}", t.plan, t.name)
                }],
            }),
            Some(c) if c.plan != t.plan => out.push(AddonDifference {
                name: t.name.clone(),
                what: format!("is on {} now, not {}", c.plan, t.plan),
                // Plans have no order rel knows of: either verb sets the plan.
                fixes: ["downgrade", "upgrade"]
                    .map(|verb| format!("rel addons:{verb} {} {}", t.name, t.plan))
                    .to_vec(),
            }),
            Some(_) => {}
        }
    }
    for c in current {
        if !target.iter().any(|t| t.name == c.name) {
            out.push(AddonDifference {
                name: c.name.clone(),
                what: "was added since".to_string(),
                fixes: vec![format!("rel addons:remove {}", c.name)],
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Why a rollback to `target` is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RollbackBlock {
    /// The target failed its release phase.
    Failed,
    /// gc pruned the target's slug.
    Pruned,
    /// The target has no slug, but the current release has one: rolling
    /// back would leave nothing to run.
    NoSlug,
    AddonsDiffer(Vec<AddonDifference>),
}

impl RollbackBlock {
    /// The short reason `releases:info` gives after "no".
    pub fn short(&self) -> String {
        match self {
            RollbackBlock::Failed => "failed".into(),
            RollbackBlock::Pruned => "pruned".into(),
            RollbackBlock::NoSlug => "no slug".into(),
            RollbackBlock::AddonsDiffer(d) => format!(
                "add-ons differ: {}",
                d.iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The refusal, one line, naming what to do.
    pub fn message(&self, target: &Release) -> String {
        let name = target.name();
        match self {
            RollbackBlock::Failed => format!(
                "cannot roll back to {name}: it failed its release phase (see 'rel releases:output {name}'); nothing changed"
            ),
            RollbackBlock::Pruned => format!(
                "cannot roll back to {name}: gc pruned its slug; deploy that code again instead; nothing changed"
            ),
            RollbackBlock::NoSlug => format!(
                "cannot roll back to {name}: it was made before the first deploy and has no slug to run; nothing changed"
            ),
            RollbackBlock::AddonsDiffer(diffs) => format!(
                "cannot roll back to {name}: its add-ons differ from the current ones: {}; nothing changed",
                diffs
                    .iter()
                    .map(|d| {
                        let run: Vec<String> = d.fixes.iter().map(|f| format!("'{f}'")).collect();
                        format!("{} {} (run {})", d.name, d.what, run.join(" or "))
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
}

/// What would block a rollback from `current` to `target`, if anything.
/// `rollback` refuses with it; `releases:info` shows it.
pub fn rollback_block(
    store: &Store,
    current: Option<&Release>,
    target: &Release,
) -> Option<RollbackBlock> {
    if !target.succeeded() {
        return Some(RollbackBlock::Failed);
    }
    match target.slug {
        Some(s) if !store.slug_present(&s) => return Some(RollbackBlock::Pruned),
        None if current.is_some_and(|c| c.slug.is_some()) => return Some(RollbackBlock::NoSlug),
        _ => {}
    }
    let diffs = addon_differences(current.map_or(&[][..], |c| &c.addons), &target.addons);
    (!diffs.is_empty()).then_some(RollbackBlock::AddonsDiffer(diffs))
}

/// A rollback to `rev` (default: the newest succeeded, unpruned release
/// before current), or the reason it is refused.
pub fn rollback(
    store: &Store,
    rev: Option<&str>,
    author: &Author,
) -> Result<(Plan, Release, Release)> {
    let current = history::current_release(store)?.ok_or_else(|| {
        Error::refused("there is no release to roll back from; deploy first (rel deploy DIR)")
    })?;
    let target = match rev {
        Some(text) => history::resolve_text(store, text)?,
        None => history::default_rollback_target(store)?.ok_or_else(|| {
            Error::refused(format!(
                "there is no succeeded, unpruned release before {} to roll back to; nothing changed",
                current.name()
            ))
        })?,
    };
    if let Some(block) = rollback_block(store, Some(&current), &target) {
        return Err(Error::refused(block.message(&target)));
    }
    if let Some(why) = rollback_changes_nothing(&current, &target) {
        return Ok((Plan::NoChange(why), target, current));
    }
    let new = NewRelease::copy_of(
        &target,
        format!("Rollback to {}", target.name()),
        author.by.clone(),
        author.at,
    );
    Ok((Plan::Release(new), target, current))
}

/// Why a rollback from `current` to `target` would change nothing: the
/// target is the current release. (A rollback to an older release that
/// happens to run the same slug and config still makes a release, as
/// Heroku's does: the history says a rollback was asked for.)
pub fn rollback_changes_nothing(current: &Release, target: &Release) -> Option<String> {
    (target.version == current.version).then(|| format!("{} is the current release", target.name()))
}

/// A retry of the newest release's release phase (Heroku's
/// `releases:retry`): a new release with its slug, config, add-ons and
/// commit, whose change names it. Returns the release it retries.
pub fn retry(store: &Store, author: &Author) -> Result<(NewRelease, Release)> {
    let latest = history::latest_version(store);
    if latest == 0 {
        return Err(Error::refused(
            "there is no release to retry; deploy first (rel deploy DIR)",
        ));
    }
    let newest = store.read_release(latest)?;
    let name = newest.name();
    match newest.slug {
        None => {
            return Err(Error::refused(format!(
                "{name} has no slug, so it has no release phase to retry; deploy first (rel deploy DIR)"
            )));
        }
        Some(slug) if !store.slug_present(&slug) => {
            return Err(Error::refused(format!(
                "cannot retry {name}: gc pruned its slug; deploy that code again instead; nothing changed"
            )));
        }
        Some(_) => {}
    }
    let new = NewRelease {
        slug: newest.slug,
        config: newest.config,
        addons: newest.addons.clone(),
        change: format!("Retry {name}"),
        by: author.by.clone(),
        created_at: author.at,
        commit: newest.commit.clone(),
        dirty: newest.dirty,
        rollback_of: None,
        run_hook: true,
    };
    Ok((new, newest))
}

/// A deploy of `slug`, unless it equals the current slug (and not `force`).
/// A `dirty` slug came from a work tree of `commit` with changes to tracked
/// files: its change reads `Deploy 1a2b3c4-dirty`, as `git describe --dirty`.
pub fn deploy(
    store: &Store,
    slug: Id,
    commit: Option<String>,
    dirty: bool,
    force: bool,
    author: &Author,
) -> Result<Plan> {
    let base = base(store)?;
    if base.slug == Some(slug) && !force {
        return Ok(Plan::NoChange(format!(
            "{} already runs slug {}; no new release (use --force to make one)",
            base.current.as_ref().map(|r| r.name()).unwrap_or_default(),
            slug.short()
        )));
    }
    let short = match &commit {
        Some(c) if dirty => format!("{}-dirty", c.chars().take(7).collect::<String>()),
        Some(c) => c.chars().take(7).collect(),
        None => slug.short(),
    };
    let dirty = dirty && commit.is_some();
    Ok(Plan::Release(NewRelease {
        slug: Some(slug),
        config: store.write_config(&base.config)?,
        addons: base.addons.clone(),
        change: format!("Deploy {short}"),
        by: author.by.clone(),
        created_at: author.at,
        commit,
        dirty,
        rollback_of: None,
        run_hook: true,
    }))
}

/// A committed release: written, and activated when it succeeded.
pub struct Committed {
    pub release: Release,
    pub activation: Option<Activation>,
}

impl Committed {
    pub fn restart(&self) -> Option<&HookOutcome> {
        self.activation.as_ref().and_then(|a| a.restart.as_ref())
    }
}

/// Writes the release (release phase included) and activates it if it
/// succeeded; see [`release::write_release`] for `prepared`.
pub fn commit(
    store: &Store,
    lock: &LockGuard,
    new: NewRelease,
    prepared: Option<PreparedCheckout<'_>>,
    restart: bool,
    progress: &dyn Progress,
    hook_out: &mut dyn std::io::Write,
) -> Result<Committed> {
    let release = release::write_release(store, lock, new, prepared, progress, hook_out)?;
    let activation = if release.succeeded() {
        Some(release::activate(
            store,
            lock,
            release.version,
            restart,
            progress,
            hook_out,
        )?)
    } else {
        None
    };
    Ok(Committed {
        release,
        activation,
    })
}
