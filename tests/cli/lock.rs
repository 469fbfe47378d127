//! The writers' lock: waiting writers say who holds it, --lock-timeout,
//! killed holders leave no stale lock, and parallel writers lose nothing.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::Env;
use crate::fixtures::{current, manifests, rel_env, store};

/// A release hook that says it started, then waits for `$OUT/go`.
const WAITING_HOOK: &str = "#!/bin/sh\n\
    touch \"$OUT/started\"\n\
    i=0\n\
    while [ ! -e \"$OUT/go\" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\n";

/// Waits (up to a minute: a bound against hangs, not a timing assertion)
/// until `path` exists.
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn(env: &Env, args: &[&str], out: &Path) -> Child {
    env.cmd_in("app")
        .args(args)
        .env("OUT", out)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rel")
}

fn finish(child: Child) -> (i32, String) {
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn setup() -> (Env, std::path::PathBuf) {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    let out = env.path("out");
    std::fs::create_dir(&out).unwrap();
    env.hook("release", WAITING_HOOK);
    (env, out)
}

#[test]
fn a_waiting_writer_says_who_holds_the_lock() {
    let (env, out) = setup();
    let holder = spawn(&env, &["config:set", "A=1"], &out);
    let pid = holder.id();
    wait_for(&out.join("started"));
    let out_s = out.to_string_lossy().into_owned();
    // --lock-timeout, before or after the command: a clear failure.
    for args in [
        vec!["--lock-timeout", "0.5", "config:set", "B=2"],
        vec!["config:set", "B=2", "--lock-timeout", "0.5"],
    ] {
        let run = rel_env(&env, "app", &args, &[("OUT", &out_s)], None);
        let run = run.code(1).fails_with("timed out after 0.5s");
        for want in [
            format!("pid {pid} "),
            "user tester".to_string(),
            "config:set A=1".to_string(),
            " since ".to_string(),
        ] {
            assert!(run.stderr.contains(&want), "{want} missing: {run:#?}");
        }
    }
    // A writer without a timeout waits, and says for whom.
    let mut waiter = spawn(&env, &["config:set", "C=3"], &out);
    let stderr = waiter.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.expect("line");
            let _ = tx.send(line.clone());
            lines.push(line);
        }
        lines
    });
    let waiting = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the waiting writer said nothing");
        if line.contains("waiting for the lock") {
            break line;
        }
    };
    assert!(waiting.contains(&format!("pid {pid} ")), "{waiting}");
    assert!(waiting.contains("config:set A=1"), "{waiting}");
    assert!(waiting.contains(".releases"), "{waiting}");
    // Let the holder go: both writers finish, in order, nothing lost.
    std::fs::write(out.join("go"), "").unwrap();
    let (code, err) = finish(holder);
    assert_eq!(code, 0, "{err}");
    assert_eq!(waiter.wait().expect("wait").code(), Some(0));
    reader.join().expect("reader");
    assert_eq!(manifests(&env), vec![1, 2, 3]);
    assert_eq!(current(&env).as_deref(), Some("v3"));
    let config = env.rel(["config", "--json"]).ok().stdout;
    let vars: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(vars["A"], "1");
    assert_eq!(vars["C"], "3");
    assert!(vars.get("B").is_none(), "{config}");
}

#[test]
fn a_lock_held_by_flock_blocks_writers_not_readers() {
    if !crate::common::have("flock") {
        return;
    }
    let (env, out) = setup();
    std::fs::remove_file(store(&env).join("hooks/release")).unwrap();
    let lock = store(&env).join("lock");
    let mut flock = Command::new("flock")
        .arg("-o")
        .arg(&lock)
        .arg("-c")
        .arg("touch \"$OUT/started\"; i=0; while [ ! -e \"$OUT/go\" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done")
        .env("OUT", &out)
        .spawn()
        .expect("spawn flock");
    wait_for(&out.join("started"));
    for args in [
        vec!["--lock-timeout", "0", "config:set", "B=2"],
        vec!["-q", "--lock-timeout", "0.3", "deploy", "../src", "--force"],
        vec!["--lock-timeout", "0.3", "activate", "v1"],
        vec!["--lock-timeout", "0.3", "gc"],
        vec!["--lock-timeout", "0.3", "fsck", "--repair"],
    ] {
        env.rel(&args).code(1).fails_with("timed out");
    }
    // The last rel writer (the deploy of v1) is not named as the holder.
    let run = env.rel(["--lock-timeout", "0", "config:set", "B=2"]);
    assert!(run.stderr.contains("another process"), "{run:#?}");
    assert!(!run.stderr.contains("deploy"), "{run:#?}");
    assert_eq!(manifests(&env), vec![1]);
    // Readers, and writers of objects alone, do not wait.
    env.rel(["releases"]).ok();
    env.rel(["rev-parse", "current"]).ok();
    env.rel(["fsck"]).ok();
    env.rel(["write-slug", "../src"]).ok();
    env.rel_stdin(["write-config"], b"X=1\n").ok();
    std::fs::write(out.join("go"), "").unwrap();
    assert!(flock.wait().expect("wait flock").success());
    env.rel(["--lock-timeout", "5", "config:set", "B=2"]).ok();
    assert_eq!(manifests(&env), vec![1, 2]);
}

#[test]
fn a_killed_writer_leaves_no_stale_lock() {
    let (env, out) = setup();
    let mut holder = spawn(&env, &["config:set", "A=1"], &out);
    wait_for(&out.join("started"));
    holder.kill().expect("kill");
    holder.wait().expect("wait");
    // The hook may still run, orphaned, but the lock died with rel.
    std::fs::remove_file(store(&env).join("hooks/release")).unwrap();
    env.rel(["--lock-timeout", "10", "config:set", "B=2"]).ok();
    std::fs::write(out.join("go"), "").unwrap();
    assert_eq!(manifests(&env), vec![1, 2]);
    env.rel(["fsck"]).ok();
}

#[test]
fn bad_lock_timeouts_are_refused() {
    let env = Env::new();
    env.init();
    for bad in ["soon", "nan", "inf"] {
        let run = env
            .rel(["--lock-timeout", bad, "config:set", "A=1"])
            .code(2);
        assert!(run.stderr.contains("lock-timeout"), "{run:#?}");
    }
    assert!(manifests(&env).is_empty());
}

#[test]
fn sixteen_parallel_config_sets_lose_nothing() {
    let env = Env::new();
    env.init();
    let children: Vec<Child> = (0..16)
        .map(|i| {
            env.cmd_in("app")
                .args(["config:set", &format!("K{i}={i}")])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let (code, err) = finish(child);
        assert_eq!(code, 0, "{err}");
    }
    assert_eq!(manifests(&env), (1..=16).collect::<Vec<_>>());
    let config = env.rel(["config", "--json"]).ok().stdout;
    let vars: serde_json::Value = serde_json::from_str(&config).unwrap();
    for i in 0..16 {
        assert_eq!(vars[format!("K{i}")], i.to_string(), "{config}");
    }
    assert_eq!(vars.as_object().unwrap().len(), 16);
    // Each release added exactly one key to the one before.
    let mut changes: Vec<String> = (1..=16)
        .map(|v| {
            let json = env
                .rel(["show-release", &v.to_string(), "--json"])
                .ok()
                .stdout;
            let r: serde_json::Value = serde_json::from_str(&json).unwrap();
            r["change"].as_str().unwrap().to_string()
        })
        .collect();
    changes.sort();
    let mut want: Vec<String> = (0..16).map(|i| format!("Set K{i} config vars")).collect();
    want.sort();
    assert_eq!(changes, want);
    for v in 1..=16 {
        let keys = env.rel(["read-config", &format!("v{v}")]).ok().stdout;
        assert_eq!(keys.lines().count(), v, "v{v}: {keys}");
    }
    assert_eq!(current(&env).as_deref(), Some("v16"));
    env.rel(["fsck"]).ok();
}
