//! Helpers for the porcelain tests: snapshots of the store (to prove that a
//! refused command wrote nothing), JSON, and runs with a changed environment.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;

use crate::common::{Env, Run, run};

/// Every file of the app's store (but the lock, whose content is a courtesy
/// note of the last writer) with its bytes, every symlink with its target,
/// and the `current` link: what a refused command must leave as it was.
pub fn store_state(env: &Env) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let app = env.path("app");
    walk(&app.join(".releases"), &app, &mut out);
    if let Ok(target) = std::fs::read_link(app.join("current")) {
        out.insert(
            "current ->".to_string(),
            target.to_string_lossy().into_owned().into_bytes(),
        );
    }
    out
}

fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.expect("dir entry");
        let path = entry.path();
        let name = path
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        let kind = entry.file_type().expect("file type");
        // The lock, and the stat cache (only a cache: a redeploy may refresh it).
        if name == ".releases/lock" || name == ".releases/index" {
            continue;
        }
        if kind.is_dir() {
            out.insert(format!("{name}/"), Vec::new());
            walk(&path, root, out);
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&path).expect("readlink");
            out.insert(
                format!("{name} ->"),
                target.to_string_lossy().into_owned().into_bytes(),
            );
        } else {
            out.insert(name, std::fs::read(&path).expect("read store file"));
        }
    }
}

/// The names in `.releases/releases`, sorted.
pub fn manifests(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.path("app/.releases/releases"))
        .expect("releases dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// What CURRENT says, trimmed.
pub fn current(env: &Env) -> String {
    std::fs::read_to_string(env.path("app/.releases/CURRENT"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Parses stdout as JSON.
#[track_caller]
pub fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {run:#?}"))
}

/// Runs rel in `app` with extra environment variables (a value of None
/// removes the variable).
pub fn rel_env<I, S>(env: &Env, vars: &[(&str, Option<&str>)], args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = env.cmd_in("app");
    for (k, v) in vars {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    run(cmd.args(args), None)
}

/// `init`, then deploy a source tree with `marker`: v1.
pub fn deployed(env: &Env) -> &Env {
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env
}

/// The slug id `write-slug -n` gives for a directory (relative to the scratch dir).
pub fn slug_of(env: &Env, dir: &str) -> String {
    env.rel_in(".", ["write-slug", "-n", dir]).ok().line()
}

/// Replaces the scratch dir's path with `[ROOT]`, for snapshots.
pub fn redact(env: &Env, text: &str) -> String {
    let root = env.dir.path().to_string_lossy().into_owned();
    text.replace(&root, "[ROOT]")
}

/// Asserts that `text` is `n` lowercase hex digits.
#[track_caller]
pub fn assert_hex(text: &str, n: usize) {
    assert!(
        text.len() == n
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "not {n} lowercase hex digits: {text:?}"
    );
}

/// An RFC 3339 UTC time `secs` seconds before now.
pub fn ago(secs: i64) -> String {
    let now = jiff::Timestamp::now().as_second();
    jiff::Timestamp::from_second(now - secs)
        .expect("a valid time")
        .to_string()
}

/// Runs a shell script with `sh -c`, returning stdout; panics on failure.
#[track_caller]
pub fn sh(script: &str, cwd: &Path) -> String {
    let out = std::process::Command::new("sh")
        .args(["-c", script])
        .current_dir(cwd)
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "sh failed: {script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A fixed time long past, so `When` is absolute whatever the clock says
/// (`common::DATE` may be within 24 hours of the machine's clock).
pub const OLD_DATE: &str = "2010-09-12T22:32:17Z";

/// Runs rel in `app` with `REL_DATE` set to `date`.
pub fn rel_at<I, S>(env: &Env, date: &str, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    rel_env(env, &[("REL_DATE", Some(date))], args)
}

/// Config values that shells mangle unless they are quoted exactly.
pub const AWKWARD: [(&str, &str); 10] = [
    ("SPACES", "hello   world"),
    ("QUOTES", "it's \"quoted\" ''"),
    ("DOLLAR", "$HOME ${PATH} `id` $(id)"),
    ("BACKSLASH", "back\\slash \\n \\' \\\\"),
    ("NEWLINES", "line1\nline2\n"),
    ("EMPTY", ""),
    ("TAB", "a\tb"),
    ("UNICODE", "ünïcödé ✓"),
    ("TRAILING", "x\n\n"),
    ("_UNDER", "-n -e *"),
];

/// Sets the AWKWARD values (one release).
pub fn set_awkward(env: &Env) {
    let mut args = vec!["config:set".to_string()];
    args.extend(AWKWARD.iter().map(|(k, v)| format!("{k}={v}")));
    env.rel(&args).ok();
}

/// Runs `rel ARGS` (which prints `--shell` output) from sh and reads it
/// back both ways the contract names: `eval "$(rel …)"`, and `rel … >
/// FILE; set -a; . FILE` (checked in a child process, so the vars must
/// have been exported). Asserts every AWKWARD value came back exactly.
#[track_caller]
pub fn assert_shell_round_trip(env: &Env, args: &[&str]) {
    let rel = format!(
        "'{}' {}",
        env!("CARGO_BIN_EXE_rel"),
        args.iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    // NUL-separated, so newlines in values survive the trip back.
    let vars: String = AWKWARD.iter().map(|(k, _)| format!(" \"${k}\"")).collect();
    let child_vars: String = AWKWARD
        .iter()
        .map(|(k, _)| format!(" \\\"\\${k}\\\""))
        .collect();
    let app = env.path("app");
    let eval = sh(&format!("eval \"$({rel})\"; printf '%s\\0'{vars}"), &app);
    let sourced = sh(
        &format!(
            "{rel} > ../vars.sh; set -a; . ../vars.sh; set +a; sh -c \"printf '%s\\\\0'{child_vars}\""
        ),
        &app,
    );
    let want: String = AWKWARD.iter().map(|(_, v)| format!("{v}\0")).collect();
    let shown = std::fs::read_to_string(env.path("vars.sh")).unwrap_or_default();
    assert_eq!(eval, want, "eval read back other values from:\n{shown}");
    assert_eq!(
        sourced, want,
        "set -a; . FILE read back other values from:\n{shown}"
    );
}

/// Runs a shell script in `app` with the pinned environment of
/// `Env::cmd_in` and the rel binary first on PATH, for pipelines.
pub fn sh_rel(env: &Env, script: &str) -> Run {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_rel"))
        .parent()
        .expect("binary dir")
        .to_path_buf();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin_dir];
    paths.extend(std::env::split_paths(&path));
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-ec", script])
        .current_dir(env.path("app"))
        .env("PATH", std::env::join_paths(paths).expect("PATH"))
        .env_remove("REL_DIR")
        .env_remove("REL_TRUSTED_DIRS")
        .env_remove("SUDO_USER")
        .env_remove("SUDO_UID")
        .env("REL_BY", "tester@example.com")
        .env("REL_DATE", crate::common::DATE)
        .env("TZ", "UTC")
        .env("USER", "tester");
    run(&mut cmd, None)
}
