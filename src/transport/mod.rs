//! Promotion of a release's slug to other stores (`rel push`), built from
//! plumbing commands that run on each destination ([`ssh`]): which objects
//! it lacks (`missing-objects`), those objects as one pack
//! (`receive-pack`, verified whole in a quarantine), a release of the slug
//! with the destination's own config and add-ons (`write-release --base
//! current`), and its activation.
//!
//! Two phases, so that a fleet never runs mixed versions: every destination
//! is prepared (objects sent, release written, nothing activated) before
//! any is activated; a failure while preparing activates none; a failed
//! activation gives every destination this push switched a rollback
//! release to what it ran before.

pub mod pack;
pub mod ssh;

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::manifest::Release;
use crate::store::Store;

pub use ssh::{Dest, Place, Runner};

/// What to promote, and how.
pub struct Push<'a> {
    pub store: &'a Store,
    pub release: Release,
    /// The source release's config, sent along (`--with-config`).
    pub config: Option<Config>,
    /// Who makes the destinations' releases.
    pub by: String,
    /// Destinations prepared at once.
    pub jobs: usize,
    pub restart: bool,
}

/// What became of one destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It runs the slug already: no objects sent, no release made.
    Unchanged { runs: u64 },
    /// The new release is current.
    Activated { runs: u64, sent: pack::PackStats },
    /// Prepared, but not activated because of another destination; it
    /// still runs what it ran (None: no release yet).
    NotActivated { made: u64, runs: Option<u64> },
    /// Switched, then switched back with a rollback release.
    RolledBack { made: u64, runs: u64 },
    /// It failed: the one-line reason, and the release it runs, if known.
    Failed { error: String, runs: Option<u64> },
}

impl Outcome {
    /// The release the destination runs now, if known.
    pub fn runs(&self) -> Option<u64> {
        match self {
            Outcome::Unchanged { runs }
            | Outcome::Activated { runs, .. }
            | Outcome::RolledBack { runs, .. } => Some(*runs),
            Outcome::NotActivated { runs, .. } | Outcome::Failed { runs, .. } => *runs,
        }
    }

    pub fn ok(&self) -> bool {
        matches!(self, Outcome::Unchanged { .. } | Outcome::Activated { .. })
    }
}

/// What a push did.
#[derive(Clone, Debug)]
pub struct Pushed {
    /// One per destination, in their order.
    pub outcomes: Vec<Outcome>,
    /// Whether an activation failed (then what was switched was rolled
    /// back); false when the push stopped before activating anything.
    pub activation_failed: bool,
}

/// A destination after the first phase.
struct Prepared {
    /// What it ran before: version and slug.
    before: Option<(u64, Option<Id>)>,
    /// The release made there; None when it runs the slug already.
    made: Option<u64>,
    sent: pack::PackStats,
}

/// Progress for people, per destination: `(destination, what happens)`.
pub type Note<'a> = dyn Fn(&Dest, &str) + Sync + 'a;

/// Pushes `push.release`'s slug to every destination, in two phases.
pub fn push(runner: &Runner, dests: &[Dest], push: &Push, note: &Note) -> Result<Pushed> {
    let slug = push.release.slug.ok_or_else(|| {
        Error::refused(format!(
            "{} has no slug: nothing was deployed before it; push a release that has one",
            push.release.name()
        ))
    })?;
    let objects = pack::slug_objects(push.store, &slug)?;
    let change = format!(
        "Promote {} from {} {}",
        match &push.release.commit {
            Some(c) if push.release.dirty => format!("{}-dirty", &c[..c.len().min(7)]),
            Some(c) => c.chars().take(7).collect(),
            None => slug.short(),
        },
        push.store.settings.name,
        push.release.name()
    );
    let step = Step {
        runner,
        push,
        slug,
        objects: &objects,
        change,
        note,
    };

    // Phase 1: prepare every destination, `jobs` at a time.
    let results: Vec<Mutex<Option<Result<Prepared>>>> =
        dests.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..push.jobs.clamp(1, dests.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(dest) = dests.get(i) else { break };
                    let r = step.prepare(dest);
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                }
            });
        }
    });
    let prepared: Vec<Result<Prepared>> = results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Err(Error::refused("not prepared")))
        })
        .collect();

    let prepared: Vec<Prepared> = if prepared.iter().all(Result::is_ok) {
        prepared.into_iter().flatten().collect()
    } else {
        let outcomes = prepared
            .into_iter()
            .map(|p| match p {
                Err(e) => Outcome::Failed {
                    error: e.to_string(),
                    runs: None,
                },
                Ok(p) => match p.made {
                    None => Outcome::Unchanged {
                        runs: p.before.map_or(0, |b| b.0),
                    },
                    Some(made) => Outcome::NotActivated {
                        made,
                        runs: p.before.map(|b| b.0),
                    },
                },
            })
            .collect();
        return Ok(Pushed {
            outcomes,
            activation_failed: false,
        });
    };

    // Phase 2: activate, one destination after another.
    // One outcome per destination, in order: each turn of the loop pushes one.
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(dests.len());
    let mut failed = false;
    for (dest, p) in dests.iter().zip(&prepared) {
        let Some(made) = p.made else {
            outcomes.push(Outcome::Unchanged {
                runs: p.before.map_or(0, |b| b.0),
            });
            continue;
        };
        if failed {
            outcomes.push(Outcome::NotActivated {
                made,
                runs: p.before.map(|b| b.0),
            });
            continue;
        }
        note(dest, &format!("activating v{made}"));
        match step.activate(dest, made) {
            Ok(()) => outcomes.push(Outcome::Activated {
                runs: made,
                sent: p.sent,
            }),
            Err(e) => {
                failed = true;
                outcomes.push(Outcome::Failed {
                    error: e.to_string(),
                    runs: Some(made),
                });
            }
        }
    }
    if failed {
        // Switch back every destination this push switched, the one that
        // failed included when it did switch (its restart hook failed).
        for (i, (dest, p)) in dests.iter().zip(&prepared).enumerate() {
            let Some(made) = p.made else {
                continue;
            };
            let error = match outcomes[i].clone() {
                Outcome::NotActivated { .. } => continue,
                Outcome::Failed { error, .. } => {
                    if !step.runs(dest, made) {
                        outcomes[i] = Outcome::Failed {
                            error,
                            runs: p.before.map(|b| b.0),
                        };
                        continue;
                    }
                    Some(error)
                }
                _ => None,
            };
            let Some((before, _)) = p.before else {
                outcomes[i] = Outcome::Failed {
                    error: format!(
                        "{}{}: v{made} stays current: there was no release before it to roll back to",
                        error.map(|e| format!("{e}; ")).unwrap_or_default(),
                        dest.text
                    ),
                    runs: Some(made),
                };
                continue;
            };
            note(dest, &format!("rolling back to v{before}"));
            outcomes[i] = match (step.roll_back(dest, before), error) {
                (Ok((runs, None)), None) => Outcome::RolledBack { made, runs },
                (Ok((runs, restart)), error) => Outcome::Failed {
                    error: [error, restart.map(|e| format!("after the rollback: {e}"))]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join("; "),
                    runs: Some(runs),
                },
                (Err(e), error) => Outcome::Failed {
                    error: format!(
                        "{}could not roll back to v{before}: {e}",
                        error.map(|e| format!("{e}; ")).unwrap_or_default()
                    ),
                    runs: None,
                },
            };
        }
    }
    Ok(Pushed {
        outcomes,
        activation_failed: failed,
    })
}

/// What every destination's steps share.
struct Step<'a> {
    runner: &'a Runner,
    push: &'a Push<'a>,
    slug: Id,
    objects: &'a [Id],
    change: String,
    note: &'a Note<'a>,
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

impl Step<'_> {
    fn prepare(&self, dest: &Dest) -> Result<Prepared> {
        let (before, config) = match self.current(dest)? {
            Some((v, slug, config)) => (Some((v, slug)), Some(config)),
            None => (None, None),
        };
        let same_config = match &self.push.config {
            Some(wanted) => {
                config == Some(self.push.release.config)
                    || config.is_none() && wanted.vars.is_empty()
            }
            None => true,
        };
        if let Some((v, Some(slug))) = before
            && slug == self.slug
            && same_config
        {
            (self.note)(dest, &format!("runs {} already (v{v})", slug.short()));
            return Ok(Prepared {
                before,
                made: None,
                sent: pack::PackStats::default(),
            });
        }
        let asked = self.not_in_current(before.and_then(|(_, slug)| slug));
        let missing = if asked.is_empty() {
            Vec::new()
        } else {
            let mut list = Vec::with_capacity(asked.len() * 65);
            for id in &asked {
                list.extend_from_slice(id.to_string().as_bytes());
                list.push(b'\n');
            }
            let reply = self.runner.call(
                dest,
                &args(&["missing-objects"]),
                Some(&mut ssh::feed_bytes(&list)),
            )?;
            parse_ids(dest, &reply.stdout, &asked)?
        };
        let mut sent = pack::PackStats::default();
        if !missing.is_empty() {
            (self.note)(dest, &format!("sending {} objects", missing.len()));
            let store = self.push.store;
            let sent_cell = Mutex::new(None);
            let mut feed = |stdin: &mut std::process::ChildStdin| -> Result<()> {
                let mut out = std::io::BufWriter::with_capacity(1 << 17, stdin);
                let stats = pack::write_pack(store, &missing, &mut out)?;
                *sent_cell.lock().unwrap_or_else(|e| e.into_inner()) = Some(stats);
                Ok(())
            };
            self.runner.call(
                dest,
                &args(&["receive-pack", "--slug", &self.slug.to_hex()]),
                Some(&mut feed),
            )?;
            sent = sent_cell
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_default();
        }
        let mut words = args(&[
            "write-release",
            "--slug",
            &self.slug.to_hex(),
            "--base",
            "current",
            "--change",
            &self.change,
            "--by",
            &self.push.by,
        ]);
        if let Some(commit) = &self.push.release.commit {
            words.extend(args(&["--commit", commit]));
            if self.push.release.dirty {
                words.push("--dirty".into());
            }
        }
        if let Some(config) = &self.push.config {
            let mut records = Vec::new();
            for (k, v) in &config.vars {
                records.extend_from_slice(format!("{k}={v}\0").as_bytes());
            }
            let reply = self.runner.call(
                dest,
                &args(&["write-config", "-z"]),
                Some(&mut ssh::feed_bytes(&records)),
            )?;
            let id = String::from_utf8_lossy(&reply.stdout).trim().to_string();
            words.extend(args(&["--config", &id]));
        }
        (self.note)(dest, "writing the release");
        let reply = self.runner.call(dest, &words, None)?;
        let made = parse_version(dest, &reply.stdout)?;
        Ok(Prepared {
            before,
            made: Some(made),
            sent,
        })
    }

    /// The slug's objects that the destination may lack: all of them,
    /// less those of the slug it runs when this store holds that slug
    /// too. The slug a destination runs is whole there (its release
    /// could not have been written otherwise, and fsck checks it), so
    /// only the rest is asked about, as git sends the commits it has:
    /// a one-file change asks about a few ids, not every id of the
    /// tree. Should the assumption fail, receive-pack still refuses a
    /// slug left incomplete.
    fn not_in_current(&self, current: Option<Id>) -> Vec<Id> {
        let held = match current {
            Some(slug) => pack::slug_objects(self.push.store, &slug).ok(),
            None => None,
        };
        match held {
            Some(held) => {
                let held: HashSet<Id> = held.into_iter().collect();
                self.objects
                    .iter()
                    .filter(|id| !held.contains(id))
                    .copied()
                    .collect()
            }
            None => self.objects.to_vec(),
        }
    }

    /// The destination's current release: version, slug and config, or
    /// None when no release is current there yet.
    fn current(&self, dest: &Dest) -> Result<Option<(u64, Option<Id>, Id)>> {
        let reply =
            match self
                .runner
                .call(dest, &args(&["show-release", "current", "--json"]), None)
            {
                Ok(reply) => reply,
                Err(Error::Refused(msg)) if msg.contains("no release is current yet") => {
                    return Ok(None);
                }
                Err(e) => return Err(e),
            };
        /// What push reads of `show-release --json` (a newer rel may say more).
        #[derive(serde::Deserialize)]
        struct Current {
            version: u64,
            slug: Option<Id>,
            config: Id,
        }
        let release: Current = serde_json::from_slice(&reply.stdout).map_err(|e| {
            Error::refused(format!(
                "{}: its current release is unreadable ({e}); is its rel the same version as this one?",
                dest.text
            ))
        })?;
        Ok(Some((release.version, release.slug, release.config)))
    }

    fn activate(&self, dest: &Dest, version: u64) -> Result<()> {
        let v = format!("v{version}");
        let mut words = args(&["activate", &v]);
        if !self.push.restart {
            words.push("--no-restart".into());
        }
        self.runner.call(dest, &words, None)?;
        Ok(())
    }

    /// Whether release `version` is current on `dest`.
    fn runs(&self, dest: &Dest, version: u64) -> bool {
        matches!(self.current(dest), Ok(Some((v, _, _))) if v == version)
    }

    /// A rollback release to `version`, activated: its version, and the
    /// error of an activation that switched but whose restart failed.
    fn roll_back(&self, dest: &Dest, version: u64) -> Result<(u64, Option<String>)> {
        let v = format!("v{version}");
        let reply = self.runner.call(
            dest,
            &args(&[
                "write-release",
                "--copy-of",
                &v,
                "--change",
                &format!("Rollback to {v}"),
                "--by",
                &self.push.by,
            ]),
            None,
        )?;
        let made = parse_version(dest, &reply.stdout)?;
        match self.activate(dest, made) {
            Ok(()) => Ok((made, None)),
            Err(e) if self.runs(dest, made) => Ok((made, Some(e.to_string()))),
            Err(e) => Err(e),
        }
    }
}

/// The ids a destination says it lacks; each must be one we asked about.
fn parse_ids(dest: &Dest, out: &[u8], asked: &[Id]) -> Result<Vec<Id>> {
    let asked: HashSet<&Id> = asked.iter().collect();
    let text = String::from_utf8_lossy(out);
    let mut ids = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        match line.parse::<Id>() {
            Ok(id) if asked.contains(&id) => ids.push(id),
            _ => {
                return Err(Error::refused(format!(
                    "{}: missing-objects answered '{line}', which is not an id it was asked about",
                    dest.text
                )));
            }
        }
    }
    Ok(ids)
}

/// `vN` from a write-release.
fn parse_version(dest: &Dest, out: &[u8]) -> Result<u64> {
    let text = String::from_utf8_lossy(out);
    text.trim()
        .strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            Error::refused(format!(
                "{}: write-release answered '{}', not a release",
                dest.text,
                text.trim()
            ))
        })
}
