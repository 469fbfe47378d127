//! A pinned environment for running the rel binary: a scratch directory,
//! a fixed author, time and time zone, so output is reproducible.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const DATE: &str = "2026-11-22T08:00:00Z";

pub struct Env {
    pub dir: tempfile::TempDir,
}

/// What a run of rel gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub raw_stdout: Vec<u8>,
}

impl Run {
    /// Asserts exit 0 and returns self.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success, got {self:#?}");
        self
    }
    /// Asserts the exit code and returns self.
    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(self.code, code, "expected exit {code}, got {self:#?}");
        self
    }
    /// Asserts a failure with exactly one line on stderr containing `needle`.
    #[track_caller]
    pub fn fails_with(self, needle: &str) -> Run {
        assert_ne!(self.code, 0, "expected failure, got {self:#?}");
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}: {self:#?}"
        );
        assert_eq!(
            self.stderr.trim_end().lines().count(),
            1,
            "expected one line on stderr: {self:#?}"
        );
        self
    }
    pub fn line(&self) -> String {
        self.stdout.trim_end().to_string()
    }
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A command for the rel binary, run in `cwd` (relative to the scratch dir).
    pub fn cmd_in(&self, cwd: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rel"));
        c.current_dir(self.path(cwd))
            .env_remove("REL_DIR")
            .env_remove("REL_TRUSTED_DIRS")
            .env_remove("SUDO_USER")
            .env_remove("SUDO_UID")
            .env_remove("NO_COLOR")
            .env("REL_BY", "tester@example.com")
            .env("REL_DATE", DATE)
            .env("TZ", "UTC")
            .env("USER", "tester");
        c
    }

    /// Runs rel with `args` in `cwd`, stdin empty.
    pub fn rel_in<I, S>(&self, cwd: &str, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        run(self.cmd_in(cwd).args(args), None)
    }

    /// Runs rel in the scratch dir's `app` directory.
    pub fn rel<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.rel_in("app", args)
    }

    /// Runs rel in `app` with `input` on stdin.
    pub fn rel_stdin<I, S>(&self, args: I, input: &[u8]) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        run(self.cmd_in("app").args(args), Some(input))
    }

    /// `rel init app --name myapp`, from the scratch dir.
    pub fn init(&self) -> &Env {
        self.rel_in(".", ["init", "app", "--name", "myapp"]).ok();
        self
    }

    /// Writes a file (creating parents) under the scratch dir.
    pub fn write(&self, rel: &str, content: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write");
        p
    }

    /// A small source tree at `rel` with a file, an executable, a link and a subdir.
    pub fn source(&self, rel: &str, marker: &str) -> PathBuf {
        self.write(&format!("{rel}/index.html"), marker);
        let run = self.write(&format!("{rel}/bin/run"), "#!/bin/sh\necho running\n");
        set_mode(&run, 0o755);
        self.write(&format!("{rel}/lib/util.txt"), "shared util\n");
        let _ = std::os::unix::fs::symlink("index.html", self.path(&format!("{rel}/home.html")));
        self.path(rel)
    }

    /// Writes an executable hook script.
    pub fn hook(&self, name: &str, script: &str) {
        let p = self.write(&format!("app/.releases/hooks/{name}"), script);
        set_mode(&p, 0o755);
    }
}

pub fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

pub fn run(cmd: &mut Command, input: Option<&[u8]>) -> Run {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn rel");
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input).expect("write stdin");
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        raw_stdout: stdout,
    }
}

/// Whether a tool is on PATH; tests that need it skip with a message if not.
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !found {
        eprintln!("skipping: {tool} is not installed");
    }
    found
}
