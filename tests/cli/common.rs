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

/// Whether a tool is on PATH. A test whose tool is missing skips what
/// needs it, and says so (see [`skip`]); under CI it fails instead.
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !found {
        skip(&format!("{tool} is not installed"), true);
    }
    found
}

/// Whether this run is CI's: `CI` set to anything but empty, 0 or false
/// (CI services set CI=true, and so does `.ci/run`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// The skips of this run, reported when the test binary exits.
static SKIPPED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Records that the running test skips what it cannot run, because `why`.
/// A skip must not pass unseen: its line goes straight to stderr (past the
/// harness's capture, so plain `cargo test` shows it), and the count and the
/// list are printed once more after libtest's summary, when the process
/// exits. Under CI a missing tool (`tool`) fails the test instead: CI
/// installs every tool, so a skip there would hide a test that never ran.
pub fn skip(why: &str, tool: bool) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if tool && in_ci() {
        panic!("{test}: {why}, and CI must run every test: install it (.ci/run does)");
    }
    let line = format!("SKIPPED: {test}: {why}");
    let _ = writeln!(std::io::stderr(), "{line}");
    let mut skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    if skipped.is_empty() {
        // SAFETY: registers a plain function, run once at process exit.
        unsafe { libc::atexit(report_skips) };
    }
    skipped.push(line);
}

extern "C" fn report_skips() {
    let skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    let mut text = format!(
        "\nSKIPPED {} (part or all of a test did not run; CI=true makes a missing tool fail):\n",
        skipped.len()
    );
    for line in skipped.iter() {
        text.push_str(&format!("  {line}\n"));
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// The harness itself: a missing tool is a skip that is seen and counted,
/// and under CI a failure. Runs this test binary on a probe test that asks
/// for a tool no machine has.
#[test]
fn a_missing_tool_is_a_counted_skip_and_fails_under_ci() {
    let exe = std::env::current_exe().expect("the test binary");
    let probe = |ci: &str| {
        Command::new(&exe)
            .args(["--exact", "common::skip_probe"])
            .env("REL_TEST_PROBE", "1")
            .env("CI", ci)
            .output()
            .expect("run the probe")
    };
    let out = probe("");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stderr.contains("skip_probe: no-such-tool-for-rel is not installed\n"),
        "{stderr}"
    );
    // After libtest's own summary: the count and the list.
    assert!(
        stderr.contains("\nSKIPPED 1 (part or all of a test did not run"),
        "{stderr}"
    );
    let out = probe("true");
    assert!(!out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("no-such-tool-for-rel is not installed, and CI must run every test"),
        "{stdout}"
    );
}

#[test]
fn skip_probe() {
    if std::env::var_os("REL_TEST_PROBE").is_some() {
        have("no-such-tool-for-rel");
    }
}
