//! fsck: verify every object's hash, every manifest, every reference, and
//! CURRENT. Problems are returned as data; the command decides the exit code.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;

use rayon::prelude::*;

use crate::current;
use crate::error::{Error, Result, io_at};
use crate::history;
use crate::id::{Id, Kind};
use crate::progress::Progress;
use crate::store::Store;
use crate::tree::EntryKind;

#[derive(Debug, Default, serde::Serialize)]
pub struct FsckReport {
    pub objects: u64,
    pub releases: u64,
    pub problems: Vec<FsckProblem>,
    pub warnings: Vec<String>,
}

/// One thing wrong with the store: what kind of damage, the object and
/// release it concerns (when it concerns one), the line fsck prints, and
/// what to do about it.
#[derive(Debug, serde::Serialize)]
pub struct FsckProblem {
    pub kind: ProblemKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Id>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<u64>,
    pub message: String,
    pub repair: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A pack or its index fails its checks.
    DamagedPack,
    /// An object's content does not match its id, or cannot be read.
    CorruptObject,
    /// A release file is missing between v1 and the newest.
    HistoryGap,
    /// A manifest, or the prune record, cannot be read.
    UnreadableFile,
    /// A release or tree names an object of the wrong kind.
    WrongKind,
    /// A release or tree names an object that is not in the store.
    MissingObject,
    /// A release's slug is missing and gc did not prune it.
    MissingSlug,
    /// A manifest's rollback_of names no earlier release.
    BadRollbackOf,
    /// CURRENT names no usable release.
    BadCurrent,
}

impl ProblemKind {
    /// What to do, in the words of the man page.
    pub fn repair(self) -> &'static str {
        match self {
            ProblemKind::DamagedPack
            | ProblemKind::CorruptObject
            | ProblemKind::MissingObject
            | ProblemKind::WrongKind
            | ProblemKind::MissingSlug => {
                "restore the store from a backup, or deploy the release again"
            }
            ProblemKind::HistoryGap | ProblemKind::UnreadableFile | ProblemKind::BadRollbackOf => {
                "restore the file from a backup"
            }
            ProblemKind::BadCurrent => "activate a release that succeeded with 'rel activate vN'",
        }
    }
}

impl FsckReport {
    fn problem(
        &mut self,
        kind: ProblemKind,
        object: Option<Id>,
        release: Option<u64>,
        message: String,
    ) {
        self.problems.push(FsckProblem {
            kind,
            object,
            release,
            message,
            repair: kind.repair(),
        });
    }
}

impl std::fmt::Display for FsckProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub fn fsck(store: &Store, progress: &dyn Progress) -> Result<FsckReport> {
    let mut report = FsckReport::default();
    // Packs as wholes (hash, bounds), and indexes that do not load.
    let packs = store.packs()?;
    for (path, detail) in &packs.broken {
        report.problem(
            ProblemKind::DamagedPack,
            None,
            None,
            format!("'{}' is damaged: {detail}", path.display()),
        );
    }
    for pack in &packs.packs {
        if let Err(e) = pack.verify() {
            report.problem(ProblemKind::DamagedPack, None, None, e.to_string());
        }
    }
    // Then every copy of every object, loose or packed.
    let objects = store.all_objects()?;
    let distinct: HashSet<Id> = objects.iter().map(|o| o.id).collect();
    report.objects = distinct.len() as u64;
    progress.start("Verifying objects", Some(objects.len() as u64));
    let checked: Vec<(Id, std::result::Result<Kind, String>)> = objects
        .par_iter()
        .map(|o| {
            let r = store
                .verify_at(&o.id, &o.location)
                .map(|h| h.kind)
                .map_err(|e| describe(&o.id, e));
            progress.add(1, o.disk_size);
            (o.id, r)
        })
        .collect();
    progress.finish();
    let mut kinds: HashMap<Id, Kind> = HashMap::new();
    let mut bad: HashSet<Id> = HashSet::new();
    for (id, r) in checked {
        match r {
            Ok(kind) => {
                kinds.insert(id, kind);
            }
            Err(msg) => {
                bad.insert(id);
                report.problem(ProblemKind::CorruptObject, Some(id), None, msg);
            }
        }
    }

    // Manifests: contiguous from v1, each readable.
    let dir = store.releases_dir();
    let mut versions = BTreeSet::new();
    for entry in fs::read_dir(&dir).map_err(io_at("read", &dir))? {
        let entry = entry.map_err(io_at("read", &dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name
            .strip_prefix('v')
            .and_then(|n| n.strip_suffix(".toml"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            versions.insert(n);
        }
    }
    let max = versions.last().copied().unwrap_or(0);
    for v in 1..=max {
        if !versions.contains(&v) {
            report.problem(
                ProblemKind::HistoryGap,
                None,
                Some(v),
                format!("release v{v} is missing: the history has a gap"),
            );
        }
    }
    report.releases = versions.len() as u64;
    // What gc pruned; without a record (a store made before rel kept one),
    // a missing slug is taken as pruned.
    let record = store.read_pruned().unwrap_or_else(|e| {
        report.problem(ProblemKind::UnreadableFile, None, None, e.to_string());
        None
    });
    let mut unjudged = Vec::new();
    let mut walked: HashSet<Id> = HashSet::new();
    for &v in &versions {
        let release = match store.read_release(v) {
            Ok(r) => r,
            Err(e) => {
                report.problem(ProblemKind::UnreadableFile, None, Some(v), e.to_string());
                continue;
            }
        };
        let name = release.name();
        let need = |id: &Id, kind: Kind, what: &str, report: &mut FsckReport| match kinds.get(id) {
            Some(k) if *k == kind => {}
            Some(k) => report.problem(
                ProblemKind::WrongKind,
                Some(*id),
                Some(v),
                format!("{name}: {what} {id} is a {k}, not a {kind}"),
            ),
            None if bad.contains(id) => report.problem(
                ProblemKind::CorruptObject,
                Some(*id),
                Some(v),
                format!("{name}: {what} {id} is corrupt"),
            ),
            None => report.problem(
                ProblemKind::MissingObject,
                Some(*id),
                Some(v),
                format!("{name}: {what} {id} is missing"),
            ),
        };
        need(&release.config, Kind::Config, "config", &mut report);
        if let Some(of) = release.rollback_of
            && (of >= v || !versions.contains(&of))
        {
            report.problem(
                ProblemKind::BadRollbackOf,
                None,
                Some(v),
                format!("{name}: rollback_of names v{of}, which is not an earlier release"),
            );
        }
        if let Some(out) = &release.output {
            need(out, Kind::Blob, "release output", &mut report);
        }
        if let Some(slug) = &release.slug {
            if kinds.contains_key(slug) || bad.contains(slug) {
                walk_slug(store, slug, &kinds, &bad, &mut walked, v, &mut report);
            } else {
                match record.as_ref().map(|r| r.releases.get(&v)) {
                    None => unjudged.push(v),
                    Some(Some(pruned)) if pruned == slug => {}
                    Some(Some(pruned)) => report.problem(ProblemKind::MissingSlug, Some(*slug), Some(v), format!(
                        "{name}: slug {slug} is missing, and gc pruned another slug for {name} ({pruned}): '{}' was changed; restore it from a backup",
                        store.manifest_path(v).display()
                    )),
                    Some(None) => report.problem(ProblemKind::MissingSlug, Some(*slug), Some(v), format!(
                        "{name}: slug {slug} is missing and gc did not prune it: its root tree (object {slug}) was deleted, or '{}' was changed; restore it from a backup",
                        store.manifest_path(v).display()
                    )),
                }
            }
        }
    }

    // CURRENT.
    match history::current_version(store) {
        Ok(Some(v)) => match store.read_release(v) {
            Ok(r) if !r.succeeded() => report.problem(
                ProblemKind::BadCurrent,
                None,
                Some(v),
                format!("CURRENT names v{v}, which failed its release phase"),
            ),
            Ok(r) => {
                if let Some(slug) = r.slug
                    && !kinds.contains_key(&slug)
                {
                    report.problem(
                        ProblemKind::BadCurrent,
                        Some(slug),
                        Some(v),
                        format!("CURRENT names v{v}, whose slug {slug} is not in the store"),
                    );
                }
            }
            Err(_) => {
                if let Some(p) = current::unknown(store)? {
                    report.problem(ProblemKind::BadCurrent, None, Some(v), p);
                }
            }
        },
        Ok(None) | Err(_) => {
            if let Some(p) = current::unknown(store)? {
                report.problem(ProblemKind::BadCurrent, None, None, p);
            }
        }
    }
    if !unjudged.is_empty() {
        let names = history::version_list(&unjudged);
        report.warnings.push(format!(
            "the slugs of {names} are missing; taken as pruned, since this store has no prune record (made by an older rel): the next 'rel gc' starts one"
        ));
    }
    // A warning, not a problem: a writer killed at any instant leaves a
    // store that fsck passes, and the next writer removes these.
    if let Some(leftovers) = store.tmp_leftovers() {
        report.warnings.push(format!(
            "{leftovers}; the next command that takes the lock, or 'rel fsck --repair', removes them"
        ));
    }
    if let Ok(Some(lag)) = current::link_broken(store) {
        report.warnings.push(format!(
            "{lag}; repair with 'rel fsck --repair' or 'rel activate current'"
        ));
    }
    Ok(report)
}

fn describe(id: &Id, e: Error) -> String {
    match e {
        Error::Corrupt { .. } => e.to_string(),
        e => format!("object {id}: {e}"),
    }
}

fn walk_slug(
    store: &Store,
    slug: &Id,
    kinds: &HashMap<Id, Kind>,
    bad: &HashSet<Id>,
    walked: &mut HashSet<Id>,
    version: u64,
    report: &mut FsckReport,
) {
    let name = format!("v{version}");
    let mut stack = vec![*slug];
    while let Some(tree_id) = stack.pop() {
        if !walked.insert(tree_id) || bad.contains(&tree_id) {
            continue;
        }
        let tree = match store.read_tree(&tree_id) {
            Ok(t) => t,
            Err(e) => {
                report.problem(
                    ProblemKind::CorruptObject,
                    Some(tree_id),
                    Some(version),
                    format!("{name}: {e}"),
                );
                continue;
            }
        };
        for e in tree.entries {
            let want = e.kind.object_kind();
            match kinds.get(&e.id) {
                Some(k) if *k == want => {
                    if e.kind == EntryKind::Dir {
                        stack.push(e.id);
                    }
                }
                Some(k) => report.problem(
                    ProblemKind::WrongKind,
                    Some(e.id),
                    Some(version),
                    format!(
                        "{name}: tree {tree_id} names {} {}, which is a {k}",
                        want, e.id
                    ),
                ),
                None if bad.contains(&e.id) => {}
                None => report.problem(
                    ProblemKind::MissingObject,
                    Some(e.id),
                    Some(version),
                    format!(
                        "{name}: slug {} needs {} {} ('{}'), which is missing",
                        slug.short(),
                        want,
                        e.id,
                        String::from_utf8_lossy(&e.name)
                    ),
                ),
            }
        }
    }
}
