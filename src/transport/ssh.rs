//! Running a rel plumbing command on a destination: over OpenSSH for
//! `[USER@]HOST:PATH` (`ssh HOST rel -C PATH/.releases COMMAND …`, talking
//! over its standard input and output, as git does), or as a child process
//! for a local app directory, so a local push speaks exactly the protocol a
//! remote one does.
//!
//! `-C` names the destination's `.releases` itself: a directory without a
//! store is then an error, never a store found further up.
//!
//! The remote command line passes through the remote user's shell, so every
//! word is quoted; `rel serve` parses the same quoting back.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{ChildStdin, Command, Stdio};

use crate::error::{Error, Result};

/// Where a push goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dest {
    /// As the user wrote it.
    pub text: String,
    pub place: Place,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// An app directory on this host.
    Local(PathBuf),
    /// `[USER@]HOST` and the app directory there.
    Remote { host: String, path: String },
}

impl Dest {
    /// scp's rule: a colon before any slash makes it remote.
    pub fn parse(text: &str) -> Result<Dest> {
        let colon = text.find(':');
        let slash = text.find('/');
        let place = match colon {
            Some(c) if slash.is_none_or(|s| c < s) => {
                let (host, path) = (&text[..c], &text[c + 1..]);
                if host.is_empty() || host.starts_with('-') {
                    return Err(Error::refused(format!(
                        "'{text}' names no host; write a destination as HOST:PATH or [USER@]HOST:PATH"
                    )));
                }
                if path.is_empty() {
                    return Err(Error::refused(format!(
                        "'{text}' names no app directory; write it as HOST:PATH, as in {host}:/srv/app"
                    )));
                }
                Place::Remote {
                    host: host.to_string(),
                    path: path.to_string(),
                }
            }
            _ => Place::Local(PathBuf::from(text)),
        };
        Ok(Dest {
            text: text.to_string(),
            place,
        })
    }

    /// The command that makes a store there, for error messages.
    pub fn init_hint(&self) -> String {
        match &self.place {
            Place::Local(path) => format!("rel init {}", quote(&path.to_string_lossy())),
            Place::Remote { host, path } => format!("ssh {host} rel init {}", quote(path)),
        }
    }
}

/// How to reach destinations: the ssh command and the remote rel.
#[derive(Clone, Debug)]
pub struct Runner {
    /// `--ssh` or `REL_SSH`: a command line run by `sh -c` in place of `ssh`
    /// (as git runs `GIT_SSH_COMMAND`).
    pub ssh: Option<String>,
    /// The rel binary on remote hosts.
    pub rel: String,
    /// This rel, for local destinations.
    pub local: PathBuf,
}

/// Writes a command's standard input, on a thread of its own.
pub type Feed<'a> = dyn FnMut(&mut ChildStdin) -> Result<()> + Send + 'a;

/// The output of a command that succeeded.
pub struct Reply {
    pub stdout: Vec<u8>,
}

impl Runner {
    /// The process that runs `rel -C DEST/.releases ARGS…` for `dest`.
    pub fn command(&self, dest: &Dest, args: &[String]) -> Command {
        match &dest.place {
            Place::Local(path) => {
                let mut c = Command::new(&self.local);
                c.arg("-C")
                    .arg(path.join(crate::store::STORE_DIR))
                    .args(args);
                c
            }
            Place::Remote { host, path } => {
                let mut words = vec![
                    quote(&self.rel),
                    "-C".to_string(),
                    quote(&format!(
                        "{}/{}",
                        path.trim_end_matches('/'),
                        crate::store::STORE_DIR
                    )),
                ];
                words.extend(args.iter().map(|a| quote(a)));
                let remote = words.join(" ");
                match &self.ssh {
                    Some(cmd) => {
                        let mut c = Command::new("sh");
                        c.arg("-c")
                            .arg(format!("{cmd} \"$@\""))
                            .arg("rel-ssh")
                            .arg(host)
                            .arg(remote);
                        c
                    }
                    None => {
                        let mut c = Command::new("ssh");
                        c.arg("--").arg(host).arg(remote);
                        c
                    }
                }
            }
        }
    }

    /// Runs a command on `dest`, feeding its standard input from `feed`
    /// (on another thread, while its output is read). A failure is one
    /// line naming the destination and what to do.
    pub fn call(&self, dest: &Dest, args: &[String], feed: Option<&mut Feed>) -> Result<Reply> {
        let mut cmd = self.command(dest, args);
        cmd.stdin(if feed.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let program: OsString = cmd.get_program().to_owned();
        let mut child = cmd.spawn().map_err(|e| {
            Error::refused(format!(
                "{}: could not run '{}': {e}; {}",
                dest.text,
                program.to_string_lossy(),
                match dest.place {
                    Place::Local(_) => "check that rel is installed",
                    Place::Remote { .. } => "install OpenSSH's client, or name one with --ssh",
                }
            ))
        })?;
        let stdin = child.stdin.take();
        let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take())
        else {
            // Both were asked for as pipes: only a broken spawn lacks one.
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::refused(format!(
                "{}: could not read the output of '{}'",
                dest.text,
                program.to_string_lossy()
            )));
        };
        let (fed, out, err) = std::thread::scope(|s| {
            let feeder = s.spawn(move || match (feed, stdin) {
                (Some(feed), Some(mut stdin)) => {
                    let r = feed(&mut stdin);
                    drop(stdin);
                    r
                }
                _ => Ok(()),
            });
            let errs = s.spawn(move || {
                let mut text = Vec::new();
                let _ = stderr.read_to_end(&mut text);
                text
            });
            let mut out = Vec::new();
            let read = stdout.read_to_end(&mut out);
            let fed = feeder
                .join()
                .unwrap_or_else(|_| Err(Error::refused("the sending thread failed")));
            let err = errs.join().unwrap_or_default();
            (fed, read.map(|_| out), err)
        });
        let status = child.wait().map_err(|e| {
            Error::refused(format!(
                "{}: could not wait for '{}': {e}",
                dest.text,
                program.to_string_lossy()
            ))
        })?;
        let err = String::from_utf8_lossy(&err);
        if !status.success() {
            return Err(Error::refused(self.failure(dest, status.code(), &err)));
        }
        fed?;
        let stdout = out
            .map_err(|e| Error::refused(format!("{}: could not read the reply: {e}", dest.text)))?;
        Ok(Reply { stdout })
    }

    /// One line saying why a command on `dest` failed, from its exit code
    /// and what it wrote on stderr.
    fn failure(&self, dest: &Dest, code: Option<i32>, stderr: &str) -> String {
        let last = stderr
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("");
        let error = stderr
            .lines()
            .find_map(|l| l.strip_prefix("rel: error: "))
            .map(str::trim);
        let name = &dest.text;
        if let Some(error) = error {
            if error.contains("not in a rel store")
                || (error.starts_with("-C ") && error.ends_with("no such directory"))
            {
                return format!(
                    "{name} has no rel store; make one with '{}' and push again",
                    dest.init_hint()
                );
            }
            return format!("{name}: {error}");
        }
        match (&dest.place, code) {
            (Place::Remote { host, .. }, Some(255)) => format!(
                "could not reach {host} for {name}: {}; check that 'ssh {host}' works",
                if last.is_empty() { "ssh failed" } else { last }
            ),
            (Place::Remote { host, .. }, Some(126 | 127)) => format!(
                "{host} has no '{}' to run for {name} ({}); install rel there, or name it with --rel PATH",
                self.rel,
                if last.is_empty() {
                    "command not found"
                } else {
                    last
                }
            ),
            (_, Some(code)) if last.is_empty() => format!("{name}: rel exited with status {code}"),
            (_, None) => format!("{name}: rel was killed by a signal"),
            _ => format!("{name}: {last}"),
        }
    }
}

/// Writes all of `bytes` to a child's stdin, as a [`Runner::call`] feed.
pub fn feed_bytes(bytes: &[u8]) -> impl FnMut(&mut ChildStdin) -> Result<()> + Send + '_ {
    move |stdin| {
        stdin
            .write_all(bytes)
            .map_err(|e| Error::refused(format!("could not send the request: {e}")))
    }
}

/// Quotes a word for a POSIX shell: as it is when that is safe, else in
/// single quotes.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%^".contains(&b));
    if plain {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Splits a command line as a POSIX shell would split plain words:
/// whitespace separates, single quotes keep everything, double quotes keep
/// everything but `\"`, `\\`, `\$` and `` \` `` escapes, a backslash
/// outside quotes escapes the next character. Anything else a shell would
/// act on (`;`, `|`, `&`, `$`, redirections, globs, …) is refused: the
/// words are run without a shell, so they must mean only themselves.
pub fn split_words(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err("a single quote is not closed".into()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => w.push(c),
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err("a double quote is not closed".into()),
                        },
                        Some(c @ ('$' | '`')) => {
                            return Err(format!("'{c}' inside double quotes is shell syntax"));
                        }
                        Some(c) => w.push(c),
                        None => return Err("a double quote is not closed".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') | None => return Err("a backslash ends the line".into()),
                Some(c) => word.get_or_insert_with(String::new).push(c),
            },
            c if "\n;&|<>()$`*?[]{}~#!".contains(c) && !(c == '#' && word.is_some()) => {
                return Err(format!("'{c}' is shell syntax"));
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(w) = word {
        words.push(w);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_follow_scps_rule() {
        let remote = |h: &str, p: &str| Place::Remote {
            host: h.into(),
            path: p.into(),
        };
        assert_eq!(
            Dest::parse("web1:/srv/app").unwrap().place,
            remote("web1", "/srv/app")
        );
        assert_eq!(
            Dest::parse("deploy@web1:srv/app").unwrap().place,
            remote("deploy@web1", "srv/app")
        );
        assert_eq!(
            Dest::parse("./a:b").unwrap().place,
            Place::Local("./a:b".into())
        );
        assert_eq!(
            Dest::parse("/srv/app").unwrap().place,
            Place::Local("/srv/app".into())
        );
        assert!(Dest::parse("web1:").is_err());
        assert!(Dest::parse(":x").is_err());
    }

    #[test]
    fn quoted_words_split_back_to_themselves() {
        let words = [
            "rel",
            "-C",
            "/srv/my app/.releases",
            "--change",
            "Promote 1a2b3c4 from it's v3",
            "",
            "a\"b\\c$d`e;f|g",
        ];
        let line = words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
        assert_eq!(split_words(&line).unwrap(), words);
    }

    #[test]
    fn shell_syntax_is_refused() {
        for line in [
            "rel -C /srv/app status; rm -rf /",
            "rel -C /srv/app status | sh",
            "rel -C $HOME status",
            "rel -C /srv/app status > /etc/x",
            "rel -C \"$(id)\" status",
            "rel -C /srv/* status",
            "rel -C 'open",
        ] {
            assert!(split_words(line).is_err(), "{line}");
        }
        assert_eq!(
            split_words("rel  -C \"/srv/a b\" releases:info v2").unwrap(),
            ["rel", "-C", "/srv/a b", "releases:info", "v2"]
        );
    }
}
