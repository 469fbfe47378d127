//! Plumbing: write-config/read-config, write-release and the release phase,
//! show-release, rev-parse and activate.

use std::fs;

use crate::common::Env;
use crate::fixtures::{current, current_link, manifests, object_count, store, write_slug};

fn write_config(env: &Env, input: &[u8]) -> String {
    env.rel_stdin(["write-config"], input).ok().line()
}

fn write_config_z(env: &Env, input: &[u8]) -> String {
    env.rel_stdin(["write-config", "-z"], input).ok().line()
}

#[test]
fn config_round_trips() {
    let env = Env::new();
    env.init();
    let id = write_config(&env, b"B=2\nA=x y = z\nEMPTY=\n");
    assert_eq!(id.len(), 64);
    assert_eq!(
        env.rel(["read-config", &id]).ok().stdout,
        "A=x y = z\nB=2\nEMPTY=\n"
    );
    // One set of vars has one id, whatever the order.
    assert_eq!(write_config(&env, b"EMPTY=\nA=x y = z\nB=2\n"), id);
    // The last assignment of a key wins.
    assert_eq!(write_config(&env, b"B=1\nEMPTY=\nA=x y = z\nB=2\n"), id);
    // A prefix works.
    assert_eq!(
        env.rel(["read-config", &id[..7]]).ok().stdout,
        "A=x y = z\nB=2\nEMPTY=\n"
    );
    // Empty input is the empty config.
    let empty = write_config(&env, b"");
    assert_ne!(empty, id);
    assert_eq!(env.rel(["read-config", &empty]).ok().stdout, "");
}

#[test]
fn config_z_keeps_newlines_and_odd_bytes() {
    let env = Env::new();
    env.init();
    let input = "CERT=-----BEGIN-----\nabc\n-----END-----\n\0QUOTE=it's \"q\" \\ $HOME\t\u{1}é\0";
    let id = write_config_z(&env, input.as_bytes());
    let out = env.rel(["read-config", "-z", &id]).ok().raw_stdout;
    assert_eq!(out, input.as_bytes());
    // Without -z, a newline in a value cannot be shown as one line.
    env.rel(["read-config", &id]).code(1).fails_with("CERT");
    // The porcelain sees the same value once it is released.
    let slug = {
        env.write("src/a", "a");
        write_slug(&env, "src")
    };
    env.rel([
        "write-release",
        "--slug",
        &slug,
        "--config",
        &id,
        "--change",
        "x",
    ])
    .ok();
    env.rel(["activate", "v1"]).ok();
    assert_eq!(
        env.rel(["config:get", "CERT"]).ok().stdout,
        "-----BEGIN-----\nabc\n-----END-----\n\n"
    );
    assert_eq!(
        env.rel(["read-config", "-z", "current"]).ok().raw_stdout,
        input.as_bytes()
    );
}

#[test]
fn invalid_config_input_is_refused_and_stores_nothing() {
    let env = Env::new();
    env.init();
    let before = object_count(&env);
    for (input, named) in [
        (&b"1A=x\n"[..], "1A"),
        (b"A-B=x\n", "A-B"),
        (b"OK=1\n=x\n", "=x"),
        (b"novalue\n", "novalue"),
        (b"A B=1\n", "A B"),
        (b"\xff=1\n", "UTF-8"),
    ] {
        env.rel_stdin(["write-config"], input)
            .code(1)
            .fails_with(named);
    }
    assert_eq!(object_count(&env), before);
    // A blob or tree is not a config.
    env.write("src/a", "A=1\n");
    let slug = write_slug(&env, "src");
    env.rel(["read-config", &slug]).code(1).fails_with(&slug);
}

/// A store with one slug, one config, and hooks that record what they see.
struct Setup {
    env: Env,
    slug: String,
    config: String,
}

fn setup() -> Setup {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let slug = write_slug(&env, "src");
    let out = env.path("out");
    fs::create_dir(&out).unwrap();
    let config = write_config(
        &env,
        format!("OUT={}\nGREETING=hello world\n", out.display()).as_bytes(),
    );
    Setup { env, slug, config }
}

const RECORD_RELEASE: &str = "#!/bin/sh\n\
    env > \"$OUT/release-env\"\n\
    pwd -P > \"$OUT/release-pwd\"\n\
    echo \"release phase of $REL_VERSION\"\n\
    echo \"to stderr\" >&2\n";

fn read(env: &Env, rel: &str) -> String {
    fs::read_to_string(env.path(rel)).unwrap_or_default()
}

#[test]
fn write_release_runs_the_release_phase_and_does_not_activate() {
    let Setup { env, slug, config } = setup();
    env.hook("release", RECORD_RELEASE);
    let run = env
        .rel([
            "write-release",
            "--slug",
            &slug,
            "--config",
            &config[..10],
            "--change",
            "Deploy abc1234",
            "--commit",
            "abc1234def",
            "--addon",
            "memcachier=memcachier:dev",
        ])
        .ok();
    assert_eq!(run.stdout, "v1\n");
    // The hook's output goes to stderr, never to stdout.
    assert!(run.stderr.contains("release phase of v1"), "{run:?}");
    let hook_env = read(&env, "out/release-env");
    for want in [
        "REL_VERSION=v1\n".to_string(),
        format!("REL_SLUG={slug}\n"),
        "REL_APP=myapp\n".to_string(),
        "GREETING=hello world\n".to_string(),
    ] {
        assert!(hook_env.contains(&want), "{want} missing: {hook_env}");
    }
    let checkout = store(&env)
        .join("checkouts")
        .join(&slug)
        .canonicalize()
        .unwrap();
    assert_eq!(
        read(&env, "out/release-pwd").trim(),
        checkout.to_str().unwrap()
    );
    // Not activated.
    assert_eq!(current(&env), None);
    assert_eq!(current_link(&env), None);
    let json = show_json(&env, "v1");
    assert_eq!(json["status"], "succeeded");
    assert_eq!(json["version"], 1);
    assert_eq!(json["slug"], slug.as_str());
    assert_eq!(json["config"], config.as_str());
    assert_eq!(json["change"], "Deploy abc1234");
    assert_eq!(json["commit"], "abc1234def");
    assert_eq!(json["by"], "tester@example.com");
    assert_eq!(json["created_at"], "2026-11-22T08:00:00Z");
    assert_eq!(json["current"], false);
    assert_eq!(json["addons"][0]["name"], "memcachier");
    assert_eq!(json["addons"][0]["plan"], "memcachier:dev");
    // The output is kept, both streams, as an object.
    let output = json["output"].as_str().expect("output id").to_string();
    let kept = env.rel(["cat-object", "-p", &output]).ok().stdout;
    assert_eq!(kept, "release phase of v1\nto stderr\n");
    assert_eq!(env.rel(["releases:output", "v1"]).ok().stdout, kept);
}

fn show_json(env: &Env, rev: &str) -> serde_json::Value {
    let out = env.rel(["show-release", rev, "--json"]).ok().stdout;
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn a_failed_release_hook_records_a_failed_release() {
    let Setup { env, slug, config } = setup();
    env.hook(
        "release",
        "#!/bin/sh\necho migrating\necho 'migration failed' >&2\nexit 3\n",
    );
    let run = env.rel([
        "write-release",
        "--slug",
        &slug,
        "--config",
        &config,
        "--change",
        "Deploy 1",
    ]);
    assert_eq!(run.code, 1, "{run:#?}");
    // No version to pipe on to activate; stderr names it.
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("migration failed"), "{run:#?}");
    assert!(
        run.stderr.ends_with(
            "rel: error: v1 failed: the release hook failed, so v1 was not activated; its output: 'rel releases:output v1'\n"
        ),
        "{run:#?}"
    );
    let json = show_json(&env, "v1");
    assert_eq!(json["status"], "failed");
    let output = json["output"].as_str().expect("output kept");
    assert_eq!(
        env.rel(["cat-object", "-p", output]).ok().stdout,
        "migrating\nmigration failed\n"
    );
    let toml = env.rel(["show-release", "v1"]).ok().stdout;
    assert!(toml.contains("status = \"failed\""), "{toml}");
    // Never activated, and cannot be.
    env.rel(["activate", "v1"]).code(1).fails_with("v1");
    assert_eq!(current(&env), None);
    assert_eq!(current_link(&env), None);
    // --no-hook skips the hook: the next release succeeds.
    let run = env
        .rel([
            "write-release",
            "--slug",
            &slug,
            "--config",
            &config,
            "--change",
            "Deploy 2",
            "--no-hook",
        ])
        .ok();
    assert_eq!(run.stdout, "v2\n");
    assert!(!run.stderr.contains("migrating"), "{run:#?}");
    assert_eq!(show_json(&env, "v2")["status"], "succeeded");
    assert!(show_json(&env, "v2").get("output").is_none());
}

#[test]
fn write_release_copy_of_and_refusals() {
    let Setup { env, slug, config } = setup();
    env.rel([
        "write-release",
        "--slug",
        &slug,
        "--config",
        &config,
        "--change",
        "one",
    ])
    .ok();
    let other = write_config(&env, b"A=1\n");
    env.rel(["write-release", "--config", &other, "--change", "no slug"])
        .ok();
    let run = env
        .rel([
            "write-release",
            "--copy-of",
            "v1",
            "--change",
            "Rollback to v1",
        ])
        .ok();
    assert_eq!(run.stdout, "v3\n");
    let v3 = show_json(&env, "v3");
    assert_eq!(v3["rollback_of"], 1);
    assert_eq!(v3["slug"], slug.as_str());
    assert_eq!(v3["config"], config.as_str());
    assert!(show_json(&env, "v2").get("slug").is_none());
    // Refused, nothing written: unknown ids, wrong kinds, bad revisions.
    let before = manifests(&env);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--slug", &config, "--config", &config, "--change", "x"],
            "not a slug",
        ),
        (
            vec!["--slug", &slug, "--config", &slug, "--change", "x"],
            "not a config",
        ),
        (
            vec!["--slug", "abcdef0", "--config", &config, "--change", "x"],
            "abcdef0",
        ),
        (vec!["--copy-of", "v9", "--change", "x"], "v9"),
        (
            vec![
                "--slug", &slug, "--config", &config, "--change", "x", "--addon", "nope",
            ],
            "nope",
        ),
        (
            vec![
                "--slug", &slug, "--config", &config, "--change", "x", "--addon", "a=b", "--addon",
                "a=c",
            ],
            "'a'",
        ),
    ];
    for (args, named) in cases {
        let mut all = vec!["write-release"];
        all.extend(args);
        env.rel(&all).code(1).fails_with(named);
    }
    assert_eq!(manifests(&env), before);
    // Missing --change is bad usage.
    env.rel(["write-release", "--slug", &slug, "--config", &config])
        .code(2);
}

#[test]
fn show_release_prints_the_manifest() {
    let Setup { env, slug, config } = setup();
    env.rel([
        "write-release",
        "--slug",
        &slug,
        "--config",
        &config,
        "--change",
        "Deploy 1",
    ])
    .ok();
    env.rel(["activate", "v1", "--no-restart"]).ok();
    let toml = env.rel(["show-release", "v1"]).ok().stdout;
    assert_eq!(
        toml,
        fs::read_to_string(store(&env).join("releases/v1.toml")).unwrap()
    );
    for want in [
        "version = 1\n".to_string(),
        "change = \"Deploy 1\"\n".to_string(),
        "by = \"tester@example.com\"\n".to_string(),
        "created_at = \"2026-11-22T08:00:00Z\"\n".to_string(),
        format!("slug = \"{slug}\"\n"),
        format!("config = \"{config}\"\n"),
        "status = \"succeeded\"\n".to_string(),
    ] {
        assert!(toml.contains(&want), "{want} missing: {toml}");
    }
    for rev in ["v1", "1", "current"] {
        let json = show_json(&env, rev);
        assert_eq!(json["version"], 1);
        assert_eq!(json["current"], true);
        assert!(json["addons"].as_array().unwrap().is_empty());
    }
}

#[test]
fn rev_parse_resolves_revisions() {
    let Setup { env, slug, config } = setup();
    // Nothing yet.
    env.rel(["rev-parse", "current"])
        .code(1)
        .fails_with("current");
    for i in 1..=3 {
        env.rel([
            "write-release",
            "--slug",
            &slug,
            "--config",
            &config,
            "--change",
            &format!("r{i}"),
        ])
        .ok();
    }
    env.rel(["activate", "v3", "--no-restart"]).ok();
    for (rev, want) in [
        ("v1", "v1"),
        ("2", "v2"),
        ("current", "v3"),
        ("current~1", "v2"),
        ("current~2", "v1"),
        ("current~", "v2"),
        ("v3~2", "v1"),
    ] {
        assert_eq!(
            env.rel(["rev-parse", rev]).ok().stdout,
            format!("{want}\n"),
            "{rev}"
        );
    }
    assert_eq!(
        env.rel(["rev-parse", "--slug", "current"]).ok().line(),
        slug
    );
    assert_eq!(env.rel(["rev-parse", "--config", "v1"]).ok().line(), config);
    env.rel(["rev-parse", "--slug", "--config", "v1"]).code(2);
    for bad in [
        "v999",
        "vabc",
        "v-1",
        "v0",
        "0",
        "current~3",
        "current~x",
        "head",
        "",
        "v1.5",
        "+1",
        "v+1",
        "current~+1",
        "current~-1",
    ] {
        env.rel(["rev-parse", bad])
            .code(1)
            .fails_with(&format!("'{bad}'"));
    }
    // A release without a slug.
    let other = write_config(&env, b"A=1\n");
    env.rel(["write-release", "--config", &other, "--change", "cfg"])
        .ok();
    env.rel(["rev-parse", "--slug", "v4"])
        .code(1)
        .fails_with("v4");
}

#[test]
fn a_malformed_manifest_is_named_by_path() {
    let Setup { env, slug, config } = setup();
    for _ in 0..2 {
        env.rel([
            "write-release",
            "--slug",
            &slug,
            "--config",
            &config,
            "--change",
            "x",
        ])
        .ok();
    }
    let path = store(&env).join("releases/v2.toml");
    fs::remove_file(&path).unwrap();
    fs::write(&path, "version = 2\nthis is not toml\n").unwrap();
    for args in [
        vec!["show-release", "v2"],
        vec!["rev-parse", "--slug", "v2"],
    ] {
        env.rel(&args).code(1).fails_with("releases/v2.toml");
    }
    let fsck = env.rel(["fsck"]).code(1);
    assert!(fsck.stdout.contains("releases/v2.toml"), "{fsck:#?}");
    // A manifest that says another version.
    fs::remove_file(&path).unwrap();
    fs::copy(store(&env).join("releases/v1.toml"), &path).unwrap();
    env.rel(["show-release", "v2"])
        .code(1)
        .fails_with("releases/v2.toml");
    // v1 is still fine.
    env.rel(["show-release", "v1"]).ok();
}

const RECORD_RESTART: &str = "#!/bin/sh\n\
    app=$(dirname \"$(dirname \"$(dirname \"$PWD\")\")\")\n\
    echo \"$REL_VERSION $(readlink \"$app/current\") $(cat \"$app/.releases/CURRENT\") $(pwd -P)\" >> \"$OUT/restarts\"\n";

#[test]
fn activate_writes_current_then_the_link_then_restarts() {
    let Setup { env, slug, config } = setup();
    env.hook("restart", RECORD_RESTART);
    env.write("src2/index.html", "two");
    let slug2 = write_slug(&env, "src2");
    env.rel([
        "write-release",
        "--slug",
        &slug,
        "--config",
        &config,
        "--change",
        "one",
    ])
    .ok();
    env.rel([
        "write-release",
        "--slug",
        &slug2,
        "--config",
        &config,
        "--change",
        "two",
    ])
    .ok();
    let run = env.rel(["activate", "v1"]).ok();
    assert!(run.stdout.is_empty(), "{run:#?}");
    assert_eq!(current(&env).as_deref(), Some("v1"));
    assert_eq!(
        current_link(&env).unwrap(),
        format!(".releases/checkouts/{slug}")
    );
    env.rel(["activate", "2"]).ok();
    assert_eq!(
        current_link(&env).unwrap(),
        format!(".releases/checkouts/{slug2}")
    );
    let app = env.path("app").canonicalize().unwrap();
    let restarts = read(&env, "out/restarts");
    assert_eq!(
        restarts,
        format!(
            "v1 .releases/checkouts/{slug} v1 {app}/.releases/checkouts/{slug}\n\
             v2 .releases/checkouts/{slug2} v2 {app}/.releases/checkouts/{slug2}\n",
            app = app.display()
        )
    );
    // The link leads to the files.
    assert_eq!(read(&env, "app/current/index.html"), "two");
    // --no-restart, and `current~1`.
    env.rel(["activate", "current~1", "--no-restart"]).ok();
    assert_eq!(current(&env).as_deref(), Some("v1"));
    assert_eq!(read(&env, "out/restarts").lines().count(), 2);
    // Activation makes no release.
    assert_eq!(manifests(&env), vec![1, 2]);
    // Unknown revisions are refused, nothing changes.
    env.rel(["activate", "v7"]).code(1).fails_with("v7");
    assert_eq!(current(&env).as_deref(), Some("v1"));
}

#[test]
fn a_failed_restart_exits_non_zero_but_the_release_stays_current() {
    let Setup { env, slug, config } = setup();
    env.rel([
        "write-release",
        "--slug",
        &slug,
        "--config",
        &config,
        "--change",
        "one",
    ])
    .ok();
    env.hook("restart", "#!/bin/sh\necho 'cannot restart' >&2\nexit 4\n");
    let run = env.rel(["activate", "v1"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(run.stderr.contains("cannot restart"), "{run:#?}");
    assert!(
        run.stderr.contains("rel: error: the restart hook failed"),
        "{run:#?}"
    );
    assert_eq!(current(&env).as_deref(), Some("v1"));
    assert_eq!(
        current_link(&env).unwrap(),
        format!(".releases/checkouts/{slug}")
    );
    env.rel(["fsck"]).ok();
}

#[test]
fn a_release_without_a_slug_activates_without_a_link() {
    let env = Env::new();
    env.init();
    let config = write_config(&env, b"A=1\n");
    env.rel([
        "write-release",
        "--config",
        &config,
        "--change",
        "Set A config vars",
    ])
    .ok();
    env.rel(["activate", "v1"]).ok();
    assert_eq!(current(&env).as_deref(), Some("v1"));
    assert_eq!(current_link(&env), None);
    env.rel(["fsck"]).ok();
}

#[test]
fn hooks_that_are_not_executable_are_not_run() {
    let Setup { env, slug, config } = setup();
    env.hook("release", "#!/bin/sh\nexit 1\n");
    crate::common::set_mode(&store(&env).join("hooks/release"), 0o644);
    env.rel([
        "write-release",
        "--slug",
        &slug,
        "--config",
        &config,
        "--change",
        "x",
    ])
    .ok();
    assert_eq!(show_json(&env, "v1")["status"], "succeeded");
}

#[test]
fn hooks_never_read_rels_standard_input() {
    let Setup { env, slug, config } = setup();
    env.hook("release", "#!/bin/sh\ncat > \"$OUT/release-stdin\"\n");
    env.hook("restart", "#!/bin/sh\ncat > \"$OUT/restart-stdin\"\n");
    let args = [
        "write-release",
        "--slug",
        &slug,
        "--config",
        &config,
        "--change",
        "x",
    ];
    env.rel_stdin(args, b"not for the hook\n").ok();
    env.rel_stdin(["activate", "v1"], b"not for the hook\n")
        .ok();
    assert_eq!(read(&env, "out/release-stdin"), "");
    assert_eq!(read(&env, "out/restart-stdin"), "");
    assert!(env.path("out/restart-stdin").exists());
}
