//! What every command may need from the global options and the
//! environment: the store (`-C`), the writers' lock (saying who holds it
//! while we wait), status lines (`-q`), the hook sink, progress, and who
//! makes a release and when.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use super::progress::TermProgress;
use crate::checkout::PreparedCheckout;
use crate::ingest::{self, Ingested};
use crate::lock::LockGuard;
use crate::store::{Locate, Store};

/// What every command may need from the global options and environment.
pub struct Ctx {
    pub chdir: Option<PathBuf>,
    pub quiet: bool,
    pub lock_timeout: Option<Duration>,
    /// The command line, shown to writers that wait for our lock.
    pub command_line: String,
}

impl Ctx {
    /// The directory rel runs as if started in (`-C`).
    pub fn start_dir(&self) -> Result<PathBuf> {
        let cwd = std::env::current_dir().context("could not read the working directory")?;
        match &self.chdir {
            Some(dir) => {
                let dir = cwd.join(dir);
                if !dir.is_dir() {
                    anyhow::bail!("-C '{}': no such directory", dir.display());
                }
                Ok(dir)
            }
            None => Ok(cwd),
        }
    }

    pub fn locate(&self) -> Result<Locate> {
        Ok(Locate::from_env(self.start_dir()?)?)
    }

    pub fn open(&self) -> Result<Store> {
        Ok(Store::open(&self.locate()?)?)
    }

    /// Takes the writers' lock, saying on stderr who holds it if we wait.
    pub fn lock(&self, store: &Store) -> Result<LockGuard> {
        // With --lock-timeout the wait is bounded, and a timeout's error
        // names the holder: one line, for the scripts that set it.
        let quiet = self.quiet || self.lock_timeout.is_some();
        let mut on_wait = |holder: &str| {
            if !quiet {
                eprintln!(
                    "rel: waiting for the lock on {}: held by {holder}",
                    store.dir.display()
                );
            }
        };
        Ok(crate::release::lock_for_write(
            store,
            &self.command_line,
            self.lock_timeout,
            &mut on_wait,
        )?)
    }

    /// A status line on stderr, unless `-q`.
    pub fn status(&self, line: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", line.as_ref());
        }
    }

    /// Where hook output goes: stderr (even with -q: it is the app's voice).
    pub fn hook_sink(&self) -> io::Stderr {
        io::stderr()
    }

    /// Progress on stderr when it is a terminal (and not with -q); else nothing.
    pub fn progress(&self) -> TermProgress {
        TermProgress::new(self.quiet)
    }

    /// Stores (or, without a store, hashes) SOURCE: a directory, or `-` for
    /// a tar stream on standard input; what `deploy` and `write-slug` read.
    /// `deploy` gives the checkout it `prepared`.
    pub fn ingest(
        &self,
        store: Option<&Store>,
        prepared: Option<&PreparedCheckout>,
        source: &Path,
    ) -> Result<Ingested> {
        let progress = self.progress();
        if source.as_os_str() == "-" {
            let stdin = std::io::stdin();
            // A person at a terminal would wait for nothing: say what `-` wants.
            if std::io::IsTerminal::is_terminal(&stdin) {
                anyhow::bail!(
                    "standard input is a terminal, not a tar stream; pipe one into rel (tar -C DIR -c . | rel deploy -), or name a directory instead of -"
                );
            }
            let mut lock = stdin.lock();
            Ok(ingest::ingest_tar(store, &mut lock, &progress)?)
        } else {
            let dir = self.start_dir()?.join(source);
            Ok(ingest::ingest_dir(store, prepared, &dir, &progress)?)
        }
    }
}

/// Who makes a release: `--by`, `REL_BY`, else `$SUDO_USER` or `$USER` @ host.
pub fn who(by: Option<&str>) -> String {
    if let Some(by) = by {
        return by.to_string();
    }
    if let Ok(by) = std::env::var("REL_BY")
        && !by.is_empty()
    {
        return by;
    }
    format!("{}@{}", crate::sys::user_name(), crate::sys::host_name())
}

/// The time for a new release: now, or `REL_DATE`.
pub fn release_time() -> Result<jiff::Timestamp> {
    let date = std::env::var("REL_DATE").ok().filter(|d| !d.is_empty());
    Ok(crate::time::now(date.as_deref())?)
}

/// The author of a new release, from `--by` and the environment.
pub fn author(by: Option<&str>) -> Result<crate::ops::Author> {
    Ok(crate::ops::Author {
        by: who(by),
        at: release_time()?,
    })
}

/// A porcelain change in progress: the store, locked, and who makes it.
pub struct Change {
    pub store: Store,
    pub author: crate::ops::Author,
    pub lock: LockGuard,
    restart: bool,
}

impl Ctx {
    /// Opens the store and takes the lock for a change that makes a release.
    pub fn begin_change(&self, opts: &super::args::ReleaseOpts) -> Result<Change> {
        let store = self.open()?;
        let author = author(opts.by.as_deref())?;
        let lock = self.lock(&store)?;
        Ok(Change {
            store,
            author,
            lock,
            restart: !opts.no_restart,
        })
    }

    /// The release a plan makes, or None after saying why there is none.
    pub fn planned(&self, plan: crate::ops::Plan) -> Option<crate::release::NewRelease> {
        match plan {
            crate::ops::Plan::NoChange(why) => {
                self.status(format!("No changes: {why}"));
                None
            }
            crate::ops::Plan::Release(new) => Some(new),
        }
    }

    /// Writes and (if it succeeded) activates the new release.
    pub fn commit(
        &self,
        change: &Change,
        new: crate::release::NewRelease,
    ) -> Result<crate::ops::Committed> {
        Ok(crate::ops::commit(
            &change.store,
            &change.lock,
            new,
            None,
            change.restart,
            &self.progress(),
            &mut self.hook_sink(),
        )?)
    }
}
