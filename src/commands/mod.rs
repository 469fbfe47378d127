//! One thin module per command: parse arguments, call the core, render.
//! Data goes to stdout; status lines, progress and warnings go to stderr.

pub mod activate;
pub mod addons;
pub mod cat_object;
pub mod checkout_slug;
pub mod config;
pub mod deploy;
pub mod diff;
pub mod exec;
pub mod export_slug;
pub mod fsck;
pub mod gc;
pub mod generate;
pub mod init;
pub mod list_objects;
pub mod ls_slug;
pub mod missing_objects;
pub mod pack_objects;
pub mod progress;
pub mod push;
pub mod receive_pack;
pub mod releases;
pub mod releases_info;
pub mod releases_output;
pub mod releases_retry;
pub mod rev_parse;
pub mod rollback;
pub mod serve;
pub mod show_release;
pub mod status;
pub mod write_config;
pub mod write_release;
pub mod write_slug;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command};
use crate::lock::LockGuard;
pub use crate::quote::quote_name;
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
    pub fn progress(&self) -> progress::TermProgress {
        progress::TermProgress::new(self.quiet)
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
    let user = std::env::var("SUDO_USER")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .or_else(passwd_name)
        .unwrap_or_else(|| {
            // SAFETY: getuid cannot fail.
            format!("uid{}", unsafe { libc::getuid() })
        });
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().split('.').next().unwrap_or("").to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    format!("{user}@{host}")
}

/// The login name of the real uid, from the password database (what `id -un`
/// prints), for when neither `SUDO_USER` nor `USER` is set (cron, systemd).
fn passwd_name() -> Option<String> {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: passwd is plain data; getpwuid_r fills it and points its
        // strings into buf, which outlives every read of them below.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success pw_name is a NUL-terminated string inside buf.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        return Some(name.to_string_lossy().into_owned()).filter(|n| !n.is_empty());
    }
}

/// The time for a new release: now, or `REL_DATE`.
pub fn release_time() -> Result<jiff::Timestamp> {
    let date = std::env::var("REL_DATE").ok().filter(|d| !d.is_empty());
    Ok(crate::time::now(date.as_deref())?)
}

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    let lock_timeout = match cli.lock_timeout {
        Some(s) if !(s.is_finite() && s >= 0.0) => {
            anyhow::bail!("--lock-timeout {s}: give a number of seconds, 0 or more")
        }
        s => s.map(Duration::from_secs_f64),
    };
    let ctx = Ctx {
        chdir: cli.chdir,
        quiet: cli.quiet,
        lock_timeout,
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
    };
    match cli.command {
        Command::Init(a) => init::run(&ctx, a),
        Command::Deploy(a) => deploy::run(&ctx, a),
        Command::Releases(a) => releases::run(&ctx, a),
        Command::ReleasesInfo(a) => releases_info::run(&ctx, a),
        Command::ReleasesOutput(a) => releases_output::run(&ctx, a),
        Command::ReleasesRetry(a) => releases_retry::run(&ctx, a),
        Command::Rollback(a) => rollback::run(&ctx, a),
        Command::Config(a) => config::run(&ctx, a),
        Command::ConfigGet(a) => config::run_get(&ctx, a),
        Command::ConfigSet(a) => config::run_set(&ctx, a),
        Command::ConfigUnset(a) => config::run_unset(&ctx, a),
        Command::Addons(a) => addons::run(&ctx, a),
        Command::AddonsAdd(a) => addons::run_add(&ctx, a),
        Command::AddonsRemove(a) => addons::run_remove(&ctx, a),
        Command::AddonsUpgrade(a) => addons::run_plan(&ctx, a, addons::PlanChange::Upgrade),
        Command::AddonsDowngrade(a) => addons::run_plan(&ctx, a, addons::PlanChange::Downgrade),
        Command::Exec(a) => exec::run(&ctx, a),
        Command::Diff(a) => diff::run(&ctx, a),
        Command::Status(a) => status::run(&ctx, a),
        Command::WriteSlug(a) => write_slug::run(&ctx, a),
        Command::LsSlug(a) => ls_slug::run(&ctx, a),
        Command::CheckoutSlug(a) => checkout_slug::run(&ctx, a),
        Command::ExportSlug(a) => export_slug::run(&ctx, a),
        Command::CatObject(a) => cat_object::run(&ctx, a),
        Command::WriteConfig(a) => write_config::run(&ctx, a),
        Command::ReadConfig(a) => write_config::run_read(&ctx, a),
        Command::WriteRelease(a) => write_release::run(&ctx, a),
        Command::ShowRelease(a) => show_release::run(&ctx, a),
        Command::RevParse(a) => rev_parse::run(&ctx, a),
        Command::Activate(a) => activate::run(&ctx, a),
        Command::Fsck(a) => fsck::run(&ctx, a),
        Command::Gc(a) => gc::run(&ctx, a),
        Command::Push(a) => push::run(&ctx, a),
        Command::Serve(a) => serve::run(&ctx, a),
        Command::ListObjects(a) => list_objects::run(&ctx, a),
        Command::MissingObjects(a) => missing_objects::run(&ctx, a),
        Command::PackObjects(a) => pack_objects::run(&ctx, a),
        Command::ReceivePack(a) => receive_pack::run(&ctx, a),
        Command::Generate(a) => generate::run(&ctx, a),
    }
}

/// Whether the error is only a closed stdout (`rel releases | head -1`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<crate::error::Error>().is_some_and(|e| {
                matches!(e, crate::error::Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
            })
    })
}

/// The error and its causes on one line, each cause said once.
pub fn one_line_error(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    crate::store::one_line(&parts.join(": "))
}

/// A locked, buffered stdout; write errors (a closed pipe) propagate.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::new(io::stdout().lock())
}

/// Writes records separated by newlines, or NULs with `-z`.
pub fn write_record(out: &mut dyn Write, record: &[u8], nul: bool) -> Result<()> {
    out.write_all(record)
        .context("could not write to standard output")?;
    out.write_all(if nul { b"\0" } else { b"\n" })
        .context("could not write to standard output")?;
    Ok(())
}

/// The author of a new release, from `--by` and the environment.
pub fn author(by: Option<&str>) -> Result<crate::ops::Author> {
    Ok(crate::ops::Author {
        by: who(by),
        at: release_time()?,
    })
}

/// Exit code and messages for a committed release: a failed release phase
/// or a failed restart exits 1 (the release stays as the manifest says).
pub fn settle(committed: &crate::ops::Committed) -> ExitCode {
    if !committed.release.succeeded() {
        eprintln!("{}", release_failed(&committed.release));
        return ExitCode::from(1);
    }
    if let Some(outcome) = committed.restart()
        && !outcome.success
    {
        eprintln!("{}", restart_failed(&committed.release, &outcome.how));
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// The error line for a release whose release phase failed: every command
/// that makes a release says it in these words.
pub fn release_failed(release: &crate::manifest::Release) -> String {
    let name = release.name();
    format!(
        "rel: error: {name} failed: the release hook failed, so {name} was not activated; its output: 'rel releases:output {name}'"
    )
}

/// The error line for a restart hook that failed after `release` became current.
pub fn restart_failed(release: &crate::manifest::Release, how: &str) -> String {
    format!(
        "rel: error: the restart hook failed ({how}); {} is current, restart the app by hand",
        release.name()
    )
}

/// "done, v11", or "failed, v11" when the release phase failed.
pub fn done(release: &crate::manifest::Release) -> String {
    if release.succeeded() {
        format!("done, {}", release.name())
    } else {
        format!("failed, {}", release.name())
    }
}

/// The options of every porcelain command that makes a release.
#[derive(Debug, clap::Args)]
pub struct ReleaseOpts {
    /// Who makes the change (default: REL_BY, else user@host)
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    /// Do not run the restart hook
    #[arg(long)]
    pub no_restart: bool,
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
    pub fn begin_change(&self, opts: &ReleaseOpts) -> Result<Change> {
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

/// Streams an object's verified content to `out`; a corrupt object fails
/// (naming it) instead of ending early.
pub fn copy_object(
    _store: &Store,
    reader: &mut crate::odb::ObjectReader,
    out: &mut dyn Write,
) -> Result<()> {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = io::Read::read(reader, &mut buf)
            .map_err(|e| crate::odb::format::read_error(e, "read", &reader.path))?;
        if n == 0 {
            return Ok(());
        }
        out.write_all(&buf[..n])?;
    }
}
