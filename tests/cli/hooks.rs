//! Hooks through the porcelain: the release phase for every release that
//! has a slug, the restart hook after every activation, their environment,
//! and what failures do.

use crate::common::Env;
use crate::porcelain::{current, json};

/// A hook that appends one line per run to `log` (in the scratch dir).
fn logging_hook(env: &Env, name: &str, log: &str, extra: &str) {
    let log = env.path(log);
    env.hook(
        name,
        &format!(
            "#!/bin/sh\necho \"{name} $REL_VERSION $REL_APP A=$A cwd=$(pwd) slug=$REL_SLUG\" >> '{}'\n{extra}",
            log.display()
        ),
    );
}

fn log_lines(env: &Env, log: &str) -> Vec<String> {
    std::fs::read_to_string(env.path(log))
        .unwrap_or_default()
        .lines()
        .map(|l| crate::porcelain::redact(env, l))
        .collect()
}

fn slug(env: &Env, rev: &str) -> String {
    env.rel(["rev-parse", "--slug", rev]).ok().line()
}

#[test]
fn every_release_with_a_slug_runs_the_release_phase() {
    let env = Env::new();
    env.init();
    logging_hook(&env, "release", "release.log", "");
    env.rel(["config:set", "A=0"]).ok(); // v1: no slug, no release phase
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok(); // v2
    env.rel(["config:set", "A=1"]).ok(); // v3
    env.rel(["addons:add", "memcachier:dev"]).ok(); // v4
    env.rel(["addons:upgrade", "memcachier", "100"]).ok(); // v5
    env.rel(["addons:remove", "memcachier"]).ok(); // v6
    env.rel(["rollback", "v3"]).ok(); // v7
    env.rel(["deploy", "../src", "--force"]).ok(); // v8
    let s = slug(&env, "v2");
    let cwd = format!("[ROOT]/app/.releases/checkouts/{s}");
    let line = |v: u32, a: u32| format!("release v{v} myapp A={a} cwd={cwd} slug={s}");
    assert_eq!(
        log_lines(&env, "release.log"),
        [
            line(2, 0),
            line(3, 1),
            line(4, 1),
            line(5, 1),
            line(6, 1),
            line(7, 1),
            line(8, 1)
        ]
    );
    let list = json(&env.rel(["releases", "--json"]).ok());
    assert!(list[7].get("output").is_none(), "{}", list[7]);
    for r in &list.as_array().unwrap()[..7] {
        crate::porcelain::assert_hex(r["output"].as_str().unwrap(), 64);
    }
}

#[test]
fn restart_runs_after_every_activation_unless_told_not_to() {
    let env = Env::new();
    env.init();
    logging_hook(&env, "restart", "restart.log", "");
    env.rel(["config:set", "A=0"]).ok(); // v1, no slug: runs in the app dir
    env.source("src", "one");
    env.source("src2", "two");
    env.rel(["deploy", "../src"]).ok(); // v2
    env.rel(["deploy", "../src2", "--no-restart"]).ok(); // v3
    env.rel(["config:set", "A=1"]).ok(); // v4
    env.rel(["config:set", "A=2", "--no-restart"]).ok(); // v5
    env.rel(["addons:add", "memcachier"]).ok(); // v6
    env.rel(["addons:remove", "memcachier", "--no-restart"])
        .ok(); // v7
    env.rel(["rollback", "v4"]).ok(); // v8
    env.rel(["rollback", "v5", "--no-restart"]).ok(); // v9
    env.rel(["activate", "v8"]).ok();
    let (s1, s2) = (slug(&env, "v2"), slug(&env, "v3"));
    let at = |s: &str| format!("[ROOT]/app/.releases/checkouts/{s} slug={s}");
    assert_eq!(
        log_lines(&env, "restart.log"),
        [
            "restart v1 myapp A=0 cwd=[ROOT]/app slug=".to_string(),
            format!("restart v2 myapp A=0 cwd={}", at(&s1)),
            format!("restart v4 myapp A=1 cwd={}", at(&s2)),
            format!("restart v6 myapp A=2 cwd={}", at(&s2)),
            format!("restart v8 myapp A=1 cwd={}", at(&s2)),
            format!("restart v8 myapp A=1 cwd={}", at(&s2)),
        ]
    );
}

#[test]
fn a_restart_failure_is_reported_and_the_release_stays_current() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.hook("restart", "#!/bin/sh\necho 'cannot restart' >&2\nexit 4\n");
    let run = env.rel(["deploy", "../src"]).code(1);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "-----> Compressing... done, 602B\n\
         cannot restart\n\
         -----> Launching... done, v1\n\
         rel: error: the restart hook failed (exit status 4); v1 is current, restart the app by hand\n"
    );
    assert_eq!(current(&env), "v1");
    let run = env.rel(["config:set", "A=1"]).code(1);
    assert!(
        run.stderr.ends_with(
            "Updating vars and restarting app... done, v2\n\
             rel: error: the restart hook failed (exit status 4); v2 is current, restart the app by hand\n"
        ),
        "{run:#?}"
    );
    assert_eq!(current(&env), "v2");
    let run = env.rel(["rollback"]).code(1);
    assert!(
        run.stderr.ends_with(
            "Rolled back to v1\nTo undo, run: rel rollback v2\n\
             rel: error: the restart hook failed (exit status 4); v3 is current, restart the app by hand\n"
        ),
        "{run:#?}"
    );
    assert_eq!(current(&env), "v3");
    // --no-restart skips it.
    env.rel(["config:set", "A=2", "--no-restart"]).ok();
    assert_eq!(current(&env), "v4");
}

#[test]
fn a_failed_release_phase_leaves_current_alone_for_every_kind() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok(); // v1
    env.rel(["config:set", "A=1"]).ok(); // v2
    env.hook("release", "#!/bin/sh\necho \"no $REL_VERSION\"\nexit 2\n");

    let run = env.rel(["config:set", "A=2"]).code(1);
    assert_eq!(
        run.stderr,
        "Adding config vars:\n  A => 2\nno v3\nUpdating vars and restarting app... failed, v3\n\
         rel: error: v3 failed: the release hook failed, so v3 was not activated; its output: 'rel releases:output v3'\n"
    );
    let run = env.rel(["addons:add", "memcachier:dev"]).code(1);
    assert_eq!(
        run.stderr,
        "no v4\nAdding memcachier to myapp... failed, v4 (dev)\n\
         rel: error: v4 failed: the release hook failed, so v4 was not activated; its output: 'rel releases:output v4'\n"
    );
    let run = env.rel(["rollback"]).code(1);
    assert_eq!(
        run.stderr,
        "no v5\n\
         rel: error: v5 failed: the release hook failed, so v5 was not activated; its output: 'rel releases:output v5'\n"
    );
    assert_eq!(current(&env), "v2");
    assert_eq!(env.rel(["config:get", "A"]).ok().stdout, "1\n");
    assert_eq!(env.rel(["addons", "--json"]).ok().stdout, "[]\n");
    for v in ["v3", "v4", "v5"] {
        let r = json(&env.rel(["releases:info", v, "--json"]).ok());
        assert_eq!(r["status"], "failed", "{v}");
        assert_eq!(
            env.rel(["releases:output", v]).ok().stdout,
            format!("no {v}\n")
        );
    }
    // Failed releases are not the default target; v1 is.
    std::fs::remove_file(env.path("app/.releases/hooks/release")).unwrap();
    let run = env.rel(["rollback"]).ok();
    assert_eq!(
        run.stderr,
        "Rolled back to v1\nTo undo, run: rel rollback v2\n"
    );
}

#[test]
fn hook_output_goes_to_stderr_even_when_quiet() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.hook("release", "#!/bin/sh\necho out\necho err >&2\n");
    env.hook("restart", "#!/bin/sh\necho restarted\n");
    let run = env.rel(["-q", "deploy", "../src"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "out\nerr\nrestarted\n");
}

#[test]
fn a_hook_without_its_execute_bit_is_skipped_with_a_warning() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    for name in ["release", "restart"] {
        let hook = env.write(
            &format!("app/.releases/hooks/{name}"),
            "#!/bin/sh\nexit 1\n",
        );
        crate::common::set_mode(&hook, 0o644);
    }
    let dir = env.path("app/.releases/hooks");
    let warning = |name: &str| {
        let path = format!("{}/{name}", dir.display());
        format!(
            "warning: the {name} hook '{path}' did not run because it is not executable; to run it: chmod +x '{path}'\n"
        )
    };
    // Even with -q: a warning, not a status line. The release succeeds.
    let run = env.rel(["-q", "deploy", "../src"]).ok();
    assert_eq!(
        run.stderr,
        format!("{}{}", warning("release"), warning("restart"))
    );
    assert_eq!(current(&env), "v1");
    // A directory is not a hook file, and says nothing.
    std::fs::remove_file(dir.join("restart")).unwrap();
    std::fs::create_dir(dir.join("restart")).unwrap();
    let run = env.rel(["-q", "config:set", "A=1"]).ok();
    assert_eq!(run.stderr, warning("release"));
}
