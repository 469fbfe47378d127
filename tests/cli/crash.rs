//! Writers killed (SIGKILL) at random moments: after each, fsck finds no
//! problem, CURRENT names a complete release, the history has no gap, and
//! the next writer repairs what the killed one left half-done.

use std::process::Stdio;
use std::time::Duration;

use crate::common::Env;
use crate::fixtures::{current, current_link, manifests};

/// xorshift: random enough for kill times, and the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[track_caller]
fn assert_whole(env: &Env, what: &str) {
    let fsck = env.rel(["fsck"]);
    assert_eq!(fsck.code, 0, "after {what}: {fsck:#?}");
    let versions = manifests(env);
    let n = versions.len() as u64;
    assert_eq!(versions, (1..=n).collect::<Vec<_>>(), "after {what}: a gap");
    let cur = current(env).expect("CURRENT exists");
    let json = env.rel(["show-release", &cur, "--json"]).ok().stdout;
    let release: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(release["status"], "succeeded", "after {what}: {json}");
    assert_eq!(release["pruned"], false, "after {what}: {json}");
    // Its slug is complete: every file of it can be read back.
    let slug = release["slug"].as_str().expect("slug");
    let export = env.rel(["export-slug", slug]);
    assert_eq!(export.code, 0, "after {what}: {export:#?}");
    env.rel(["releases", "--all"]).ok();
    env.rel(["config"]).ok();
}

#[test]
fn writers_killed_at_random_moments_leave_a_whole_store() {
    let env = Env::new();
    env.init();
    env.source("src", "start");
    env.rel(["deploy", "../src"]).ok();
    // Hooks that take a little while, so kills land inside them too.
    env.hook("release", "#!/bin/sh\nsleep \"$DELAY\"\n");
    env.hook("restart", "#!/bin/sh\nsleep \"$DELAY\"\n");
    let seed = std::env::var("REL_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_0042);
    let mut rng = Rng(seed);
    let mut killed = 0;
    for i in 0..40 {
        let args: Vec<String> = match i % 5 {
            0 | 3 => {
                env.write("src/index.html", &format!("version {i}"));
                env.write(&format!("src/data/{i}.txt"), &"x".repeat(2000 + i * 100));
                vec!["deploy".into(), "../src".into()]
            }
            1 => vec!["config:set".into(), format!("K{i}={i}")],
            2 => vec!["rollback".into()],
            _ => vec![
                "gc".into(),
                "--keep".into(),
                "2".into(),
                "--grace".into(),
                "0s".into(),
            ],
        };
        let delay = format!("0.0{:02}", rng.below(20));
        let mut child = env
            .cmd_in("app")
            .args(&args)
            .env("DELAY", &delay)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn rel");
        std::thread::sleep(Duration::from_millis(rng.below(60)));
        if child.kill().is_ok() {
            killed += 1;
        }
        let _ = child.wait();
        assert_whole(&env, &format!("iteration {i}: {args:?} killed"));
    }
    assert!(killed > 0, "no writer was killed");
    // The next writer succeeds and leaves `current` where CURRENT says.
    std::fs::remove_file(env.path("app/.releases/hooks/release")).unwrap();
    std::fs::remove_file(env.path("app/.releases/hooks/restart")).unwrap();
    env.rel(["config:set", "FINAL=1"]).ok();
    let slug = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    assert_eq!(
        current_link(&env).unwrap(),
        format!(".releases/checkouts/{slug}")
    );
    let fsck = env.rel(["fsck"]).ok();
    assert!(!fsck.stderr.contains("warning"), "{fsck:#?}");
    assert_whole(&env, "the last writer");
    // Nothing half-written is left in the app directory.
    let mut names: Vec<String> = std::fs::read_dir(env.path("app"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".releases", "current"]);
}
