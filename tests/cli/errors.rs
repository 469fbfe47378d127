//! One test per class of error: bad usage exits 2 and points to --help;
//! every other error is one line on stderr, `rel: error: ...`, exit 1,
//! naming the thing at fault (revision, path, key, object) and saying what
//! to do; and a command that fails validation writes nothing.

use crate::common::{Env, Run};

/// A store with v1 (a deploy) and v2 (a config change).
fn store() -> Env {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env.rel(["config:set", "A=1"]).ok();
    env
}

/// The store's files and their contents, to show nothing was written.
fn snapshot(env: &Env) -> Vec<(String, Vec<u8>)> {
    let root = env.path("app/.releases");
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| !e.path().starts_with(root.join("tmp")) && e.path() != root.join("lock"))
        .map(|e| {
            let content = if e.file_type().is_file() {
                std::fs::read(e.path()).unwrap_or_default()
            } else {
                Vec::new()
            };
            (e.path().display().to_string(), content)
        })
        .collect();
    out.sort();
    out
}

/// One error line, `rel: error: ...`, exit 1, holding each of `needles`.
#[track_caller]
fn error_line(run: Run, needles: &[&str]) -> String {
    let run = run.code(1);
    let line = run.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "not one line: {run:#?}");
    assert!(line.starts_with("rel: error: "), "{run:#?}");
    for n in needles {
        assert!(line.contains(n), "{n:?} missing from {line:?}");
    }
    assert_eq!(run.stdout, "", "an error printed data: {run:#?}");
    line.to_string()
}

/// A usage error: one `rel: error:` line first, then only hints, one of
/// them pointing to the help; nothing on stdout.
#[track_caller]
fn usage_error(run: &Run, args: &[&str]) {
    let mut lines = run.stderr.lines();
    let first = lines.next().unwrap_or_default();
    assert!(first.starts_with("rel: error: "), "{args:?}: {run:#?}");
    let hints: Vec<&str> = lines.collect();
    assert!(
        hints.iter().all(|l| l.starts_with("hint: ")),
        "{args:?}: {run:#?}"
    );
    assert!(
        hints.last().is_some_and(|l| l.contains("--help")),
        "{args:?}: {run:#?}"
    );
    assert_eq!(run.stdout, "", "{args:?}");
}

#[test]
fn bad_usage_exits_2_and_points_to_help() {
    let env = store();
    let before = snapshot(&env);
    for args in [
        vec!["frobnicate"],
        vec!["releases", "--bogus"],
        vec!["releases:info", "v1", "v2"],
        vec!["config:set"],
        vec!["deploy"],
        vec!["releases", "--date", "yesterday"],
        vec!["gc", "--grace", "5 parsecs"],
        vec!["--lock-timeout", "soon", "gc"],
        vec!["--lock-timeout", "-1", "gc"],
        vec!["cat-object", "-t", "-s", "abcdef"],
        vec!["exec"],
        vec!["config:set", "FOO"],
        vec!["config:set", "1FOO=bar"],
        vec!["config:unset", "B.C"],
        vec!["relases"],
    ] {
        let run = env.rel(&args).code(2);
        usage_error(&run, &args);
    }
    // A near miss is named as a hint after the error line.
    let run = env.rel(["relases"]).code(2);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("hint: ") && l.contains("'releases'")),
        "{run:#?}"
    );
    let run = env.rel(["config:set", "FOO"]).code(2);
    assert_eq!(
        run.stderr,
        "rel: error: 'FOO' is not KEY=VALUE\nhint: see 'rel config:set --help'\n"
    );
    let run = env.rel(["deploy"]).code(2);
    assert_eq!(
        run.stderr.lines().next(),
        Some("rel: error: the following required arguments were not provided: <SOURCE>")
    );
    // What is wrong is named.
    let run = env.rel(["frobnicate"]).code(2);
    assert!(run.stderr.contains("'frobnicate'"), "{run:#?}");
    let run = env.rel(["gc", "--grace", "5x"]).code(2);
    assert!(run.stderr.contains("'5x'"), "{run:#?}");
    let run = env.rel(["--lock-timeout", "-1", "gc"]).code(2);
    assert!(run.stderr.contains("'-1'"), "{run:#?}");
    assert_eq!(snapshot(&env), before, "a usage error wrote to the store");
}

#[test]
fn help_and_version_are_not_errors() {
    let env = Env::new();
    for args in [
        vec!["--help"],
        vec!["-h"],
        vec!["--version"],
        vec!["help"],
        vec!["deploy", "--help"],
        vec!["releases", "info", "--help"],
    ] {
        let run = env.rel_in(".", &args).ok();
        assert!(!run.stdout.is_empty(), "{args:?}");
        assert_eq!(run.stderr, "", "{args:?}");
    }
}

#[test]
fn an_unknown_revision_is_named() {
    let env = store();
    let before = snapshot(&env);
    for (args, rev) in [
        (vec!["releases:info", "v9"], "v9"),
        (vec!["releases", "info", "42"], "42"),
        (vec!["releases:output", "current~5"], "current~5"),
        (vec!["show-release", "v0"], "v0"),
        (vec!["rev-parse", "banana"], "banana"),
        (vec!["diff", "v1", "v7"], "v7"),
        (vec!["rollback", "v3"], "v3"),
        (vec!["activate", "vv1"], "vv1"),
        (vec!["exec", "--release", "v8", "--", "true"], "v8"),
        (
            vec!["write-release", "--copy-of", "v5", "--change", "x"],
            "v5",
        ),
    ] {
        error_line(
            env.rel(&args),
            &[&format!("unknown revision '{rev}'"), "rel releases"],
        );
    }
    assert_eq!(snapshot(&env), before);
}

#[test]
fn outside_a_store_says_to_run_rel_init() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("nowhere")).expect("mkdir");
    for args in [
        vec!["releases"],
        vec!["releases:info"],
        vec!["deploy", "."],
        vec!["config:set", "A=1"],
        vec!["config"],
        vec!["rollback"],
        vec!["status"],
        vec!["fsck"],
        vec!["gc"],
        vec!["write-slug", "."],
        vec!["cat-object", "abcdef"],
        vec!["rev-parse", "current"],
    ] {
        error_line(
            env.rel_in("nowhere", &args),
            &["not in a rel store", "nowhere", "run 'rel init'"],
        );
    }
    // REL_DIR that is not a store, and -C that does not exist.
    let mut cmd = env.cmd_in("nowhere");
    cmd.args(["releases"]).env("REL_DIR", "elsewhere");
    error_line(
        crate::common::run(&mut cmd, None),
        &["REL_DIR", "elsewhere", "not a rel store"],
    );
    error_line(
        env.rel_in("nowhere", ["-C", "missing", "releases"]),
        &["missing", "no such directory"],
    );
    assert!(!env.path("nowhere/.releases").exists());
}

#[test]
fn a_bad_key_is_named_and_nothing_is_written() {
    let env = store();
    let before = snapshot(&env);
    for (args, key) in [
        (vec!["config:set", "1A=x"], "'1A'"),
        (vec!["config:set", "GOOD=1", "BAD-KEY=2"], "'BAD-KEY'"),
        (vec!["config:set", "=value"], "'=value'"),
        (vec!["config:get", "no-such"], "'no-such'"),
        (vec!["config:unset", "A.B"], "'A.B'"),
        (
            vec!["addons:add", "memcachier", "--config", "9LIVES=x"],
            "'9LIVES'",
        ),
    ] {
        // Malformed arguments are bad usage: exit 2.
        let run = env.rel(&args).code(2);
        let line = run.stderr.lines().next().unwrap_or_default().to_string();
        assert!(
            line.starts_with("rel: error: ") && line.contains(key),
            "{run:#?}"
        );
        assert!(
            line.contains("KEY=VALUE") || line.contains("letters, digits and _"),
            "{line} does not say what a key may be"
        );
    }
    let run = env.rel_stdin(["write-config"], b"OK=1\n2BAD=x\n");
    error_line(run, &["'2BAD'"]);
    // A key that is well-formed but not set: exit 1, named.
    error_line(env.rel(["config:get", "MISSING"]), &["MISSING", "not set"]);
    assert_eq!(
        snapshot(&env),
        before,
        "a refused change wrote to the store"
    );
}

#[test]
fn a_missing_object_is_named_with_what_to_do() {
    let env = store();
    let absent = "0123456789abcdef".repeat(4);
    for args in [
        vec!["cat-object", absent.as_str()],
        vec!["cat-object", "-t", absent.as_str()],
        vec!["read-config", absent.as_str()],
        vec!["ls-slug", absent.as_str()],
        vec!["checkout-slug", absent.as_str(), "../out"],
        vec!["export-slug", absent.as_str()],
    ] {
        error_line(env.rel(&args), &[&absent, "check the id"]);
    }
    // A prefix that matches nothing, and one too short to be an id.
    error_line(
        env.rel(["cat-object", "fedcba98"]),
        &["'fedcba98'", "check the id"],
    );
    error_line(
        env.rel(["cat-object", "abc"]),
        &["'abc'", "6 to 64 hex digits"],
    );
    error_line(
        env.rel(["cat-object", "xyz123"]),
        &["'xyz123'", "hex digits"],
    );
    assert!(!env.path("out").exists());
}

#[test]
fn a_path_that_is_not_there_is_named() {
    let env = store();
    error_line(
        env.rel(["deploy", "../no-such-dir"]),
        &["no-such-dir", "does not exist", "- for a tar stream"],
    );
    error_line(
        env.rel(["ls-slug", "current", "no/such/path"]),
        &["no/such/path", "rel ls-slug -r"],
    );
    std::fs::create_dir_all(env.path("full")).expect("mkdir");
    env.write("full/x", "x");
    error_line(
        env.rel(["checkout-slug", "current", "../full"]),
        &["full", "not empty", "new or empty directory"],
    );
    // Exit status 127, as a shell's for a command not found.
    let run = env.rel(["exec", "--", "./no-such-program"]).code(127);
    assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");
    assert!(run.stderr.starts_with("rel: error: "), "{run:#?}");
    assert!(run.stderr.contains("no-such-program") && run.stderr.contains("PATH"));
}

#[test]
fn a_refused_request_says_why_and_changes_nothing() {
    let env = store();
    let before = snapshot(&env);
    error_line(
        env.rel(["init", "."]),
        &["already has a rel store", "nothing changed"],
    );
    error_line(
        env.rel(["addons:remove", "ghost"]),
        &["no add-on named 'ghost'"],
    );
    let config = env.rel(["rev-parse", "--config", "current"]).ok().line();
    error_line(
        env.rel([
            "write-release",
            "--slug",
            "current",
            "--config",
            &config,
            "--change",
            "x",
            "--addon",
            "oops",
        ]),
        &["--addon 'oops'", "NAME=PLAN", "cache=memcachier:dev"],
    );
    error_line(
        env.rel(["deploy", "../src", "--commit", "not a rev"]),
        &["--commit 'not a rev'", "git rev-parse HEAD"],
    );
    error_line(
        env.rel([
            "write-release",
            "--copy-of",
            "v1",
            "--change",
            "x",
            "--commit",
            "release-7",
        ]),
        &[
            "--commit 'release-7'",
            "not a commit id",
            "git rev-parse HEAD",
        ],
    );
    assert_eq!(snapshot(&env), before);
}
