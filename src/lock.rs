//! The writers' lock: an flock on `.releases/lock`, so a killed writer never
//! leaves a stale lock. The holder writes who it is into the file, for a
//! waiting writer to show; the file's content is a courtesy, the flock is
//! the lock.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};

use crate::error::{Error, Result, io_at};
use crate::store::Store;

/// Proof that the lock is held; released on drop (or when the process dies).
#[derive(Debug)]
pub struct LockGuard {
    file: File,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Still held here: clear our description, so that whoever takes the
        // lock next without writing one (flock(1), a backup script) is not
        // shown as us. Best effort, as the description itself.
        let _ = self.file.set_len(0);
    }
}

/// Takes the lock. When another writer holds it, calls `on_wait` once with a
/// description of the holder, then waits: for ever, or up to `timeout`.
pub fn acquire(
    store: &Store,
    command: &str,
    timeout: Option<Duration>,
    on_wait: &mut dyn FnMut(&str),
) -> Result<LockGuard> {
    let path = store.lock_path();
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(store.file_mode())
        .open(&path)
        .map_err(io_at("open", &path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = describe_holder(&mut file);
            on_wait(&holder);
            match timeout {
                None => file.lock().map_err(io_at("lock", &path))?,
                Some(limit) => {
                    let start = Instant::now();
                    loop {
                        match file.try_lock() {
                            Ok(()) => break,
                            Err(std::fs::TryLockError::WouldBlock) => {
                                if start.elapsed() >= limit {
                                    return Err(Error::LockTimeout {
                                        secs: limit.as_secs_f64(),
                                        holder: describe_holder(&mut file),
                                    });
                                }
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            Err(std::fs::TryLockError::Error(e)) => {
                                return Err(io_at("lock", &path)(e));
                            }
                        }
                    }
                }
            }
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io_at("lock", &path)(e)),
    }
    let user = std::env::var("USER").unwrap_or_else(|_| {
        // SAFETY: getuid cannot fail.
        format!("uid {}", unsafe { libc::getuid() })
    });
    let since = jiff::Timestamp::now();
    let since = jiff::Timestamp::from_second(since.as_second()).unwrap_or(since);
    let info = format!(
        "pid {} (user {user}, '{}') since {since}\n",
        std::process::id(),
        command.replace('\n', " ")
    );
    // Best effort: the description only helps people who wait.
    let _ = file.set_len(0);
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.write_all(info.as_bytes());
    Ok(LockGuard { file })
}

fn describe_holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_string(&mut text);
    let text = text.trim();
    // A holder killed before it could clear its description left it behind;
    // the process that holds the lock now is someone else.
    let writer_gone = text
        .strip_prefix("pid ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|pid| pid.parse::<libc::pid_t>().ok())
        .is_some_and(|pid| !alive(pid));
    if text.is_empty() || writer_gone {
        "another process (not a rel writer that says who it is)".to_string()
    } else {
        text.to_string()
    }
}

fn alive(pid: libc::pid_t) -> bool {
    // SAFETY: kill with signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}
