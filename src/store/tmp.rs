//! Temporary files in `tmp/`, and the sweep that removes those of writers
//! that are gone.
//!
//! A temporary name is `<kind>-<pid>-<start>-<n>`: the writer's pid, the
//! time its process started (field 22 of `/proc/<pid>/stat`, in clock
//! ticks since boot) and a counter. A pid is reused, but never by two
//! processes that start in the same clock tick of one boot, so a live
//! writer's names are its own: a dead writer's leftovers cannot collide
//! with them, and a sweeper can tell a leftover whose writer is gone (no
//! process with that pid, or one that started at another time) from a
//! live writer's temporary file, which it never touches (`write-slug`
//! writes without the lock). [`Store::temp_path`] still skips a name that
//! exists: a writer of an earlier boot may have had the same pid and start.
//!
//! Names of the earlier form `<kind>-<pid>-<n>` (rel before the start time)
//! count as gone when no process has that pid, or when they were last
//! modified more than [`OLD_FORM_AGE`] ago.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use rayon::prelude::*;

/// How old an earlier-form leftover whose pid is alive must be to count as gone.
pub const OLD_FORM_AGE: Duration = Duration::from_secs(24 * 3600);

/// The name of this process's `n`th temporary file of `kind`.
pub fn name(kind: &str, n: u64) -> String {
    let pid = std::process::id();
    format!("{kind}-{pid}-{}-{n}", own_start())
}

/// This process's start time, 0 when `/proc` cannot say.
fn own_start() -> u64 {
    static START: OnceLock<u64> = OnceLock::new();
    *START.get_or_init(|| process_start(std::process::id() as libc::pid_t).unwrap_or(0))
}

/// Field 22 of `/proc/<pid>/stat`: when the process started.
fn process_start(pid: libc::pid_t) -> Option<u64> {
    let stat = fs::read(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count
    // fields after the last ')'. The first one there is field 3.
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&stat[close + 1..]).ok()?;
    rest.split_ascii_whitespace().nth(22 - 3)?.parse().ok()
}

/// Whose a temporary name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    /// `<kind>-<pid>-<start>-<n>`.
    Writer { pid: libc::pid_t, start: u64 },
    /// `<kind>-<pid>-<n>`, from rel before the start time.
    OldForm { pid: libc::pid_t },
}

/// A decimal number as rel writes it: digits, no leading zero.
fn number(s: &str) -> Option<u64> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    canonical.then(|| s.parse().ok()).flatten()
}

fn parse(name: &str) -> Option<Owner> {
    let kind_ok = |k: &str| {
        !k.is_empty()
            && !k.starts_with('-')
            && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
    };
    let pid = |s: &str| number(s).and_then(|p| libc::pid_t::try_from(p).ok());
    let fields: Vec<&str> = name.rsplitn(4, '-').collect();
    if let [n, start, p, kind] = fields[..]
        && kind_ok(kind)
        && number(n).is_some()
        && let (Some(start), Some(pid)) = (number(start), pid(p))
    {
        return Some(Owner::Writer { pid, start });
    }
    let fields: Vec<&str> = name.rsplitn(3, '-').collect();
    if let [n, p, kind] = fields[..]
        && kind_ok(kind)
        && number(n).is_some()
        && let Some(pid) = pid(p)
    {
        return Some(Owner::OldForm { pid });
    }
    None
}

/// What is known of a process.
#[derive(Clone, Copy)]
enum Process {
    Gone,
    Started(u64),
    /// It exists, but its start time cannot be read.
    Exists,
}

fn process(pid: libc::pid_t) -> Process {
    if pid <= 0 {
        return Process::Gone;
    }
    if let Some(start) = process_start(pid) {
        return Process::Started(start);
    }
    // SAFETY: kill with signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    if rc != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH) {
        Process::Gone
    } else {
        Process::Exists
    }
}

/// A leftover of a writer that is gone.
#[derive(Debug)]
pub struct Leftover {
    pub path: PathBuf,
    pub name: OsString,
    pub is_dir: bool,
}

/// The leftovers in `tmp/` of writers that are gone, in one read of the
/// directory and one look at each pid that names appear with. With
/// `unknown_older_than`, also the entries whose names are not rel's that
/// were last modified longer ago than that (gc's sweep). A missing `tmp/`
/// holds none.
pub fn leftovers(tmp: &Path, unknown_older_than: Option<Duration>) -> Vec<Leftover> {
    let Ok(entries) = fs::read_dir(tmp) else {
        return Vec::new();
    };
    let now = SystemTime::now();
    let modified_before = |path: &Path, age: Duration| {
        fs::symlink_metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|a| a > age)
    };
    let mut processes: HashMap<libc::pid_t, Process> = HashMap::new();
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let path = entry.path();
        let gone = match name.to_str().and_then(parse) {
            Some(Owner::Writer { pid, start }) => {
                match *processes.entry(pid).or_insert_with(|| process(pid)) {
                    Process::Gone => true,
                    // A name written where /proc could not say (start 0)
                    // belongs to whichever process has the pid.
                    Process::Started(s) => start != 0 && s != start,
                    Process::Exists => false,
                }
            }
            Some(Owner::OldForm { pid }) => {
                matches!(
                    *processes.entry(pid).or_insert_with(|| process(pid)),
                    Process::Gone
                ) || modified_before(&path, OLD_FORM_AGE)
            }
            None => unknown_older_than.is_some_and(|age| modified_before(&path, age)),
        };
        if gone {
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            found.push(Leftover { path, name, is_dir });
        }
    }
    found
}

/// Removes leftovers, directories with all they hold, never following a
/// symbolic link. Best effort: one that cannot be removed stays, for
/// `rel fsck` to report. Returns how many were removed.
pub fn remove(leftovers: &[Leftover]) -> usize {
    leftovers
        .par_iter()
        .filter(|l| {
            let removed = if l.is_dir {
                fs::remove_dir_all(&l.path)
            } else {
                fs::remove_file(&l.path)
            };
            match removed {
                Ok(()) => true,
                Err(e) => e.kind() == std::io::ErrorKind::NotFound,
            }
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_pid_and_start() {
        let pid = std::process::id() as libc::pid_t;
        let start = own_start();
        assert_ne!(start, 0, "/proc/self/stat gives a start time");
        assert_eq!(
            parse(&name("current-link", 7)),
            Some(Owner::Writer { pid, start })
        );
        assert_eq!(
            parse("write-12-345-0"),
            Some(Owner::Writer {
                pid: 12,
                start: 345
            })
        );
    }

    #[test]
    fn earlier_names_parse() {
        assert_eq!(parse("write-26081-0"), Some(Owner::OldForm { pid: 26081 }));
        assert_eq!(parse("hook-output-5-12"), Some(Owner::OldForm { pid: 5 }));
        assert_eq!(parse("staging-5-1"), Some(Owner::OldForm { pid: 5 }));
    }

    #[test]
    fn other_names_are_not_rel_temps() {
        for n in [
            "notes.txt",
            "write-",
            "write-1",
            "-1-2",
            "write-01-2",
            "Write-1-2",
            "write-1-x",
        ] {
            assert_eq!(parse(n), None, "{n}");
        }
    }

    #[test]
    fn this_process_is_alive_and_a_start_mismatch_is_gone() {
        let pid = std::process::id() as libc::pid_t;
        assert!(matches!(process(pid), Process::Started(s) if s == own_start()));
        let dir = tempfile::tempdir().expect("temp dir");
        let ours = name("write", 0);
        let reused = format!("write-{pid}-{}-0", own_start() + 1);
        fs::write(dir.path().join(&ours), "").expect("write");
        fs::write(dir.path().join(&reused), "").expect("write");
        let found = leftovers(dir.path(), None);
        let names: Vec<_> = found.iter().map(|l| l.name.clone()).collect();
        assert_eq!(names, vec![OsString::from(reused)]);
        assert_eq!(remove(&found), 1);
        assert!(dir.path().join(ours).exists());
    }
}
