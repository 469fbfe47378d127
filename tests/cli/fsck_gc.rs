//! fsck (corruption, a lagging `current` link, repair) and gc (keep,
//! grace, dry run, what is never deleted, pruned releases).

use std::fs;

use crate::common::Env;
use crate::fixtures::{
    current, current_link, entry_id, files_below, flip_object_bit, manifests, object_count, place,
    remove_object, store, write_slug,
};

fn deployed(env: &Env, marker: &str) -> String {
    env.source("src", marker);
    env.write(
        &format!("src/only-{marker}.txt"),
        &format!("only in {marker}\n"),
    );
    env.rel(["deploy", "../src"]).ok();
    let _ = fs::remove_file(env.path(&format!("src/only-{marker}.txt")));
    env.rel(["rev-parse", "--slug", "current"]).ok().line()
}

#[test]
fn a_clean_store_passes_fsck() {
    let env = Env::new();
    env.init();
    env.rel(["fsck"]).ok();
    deployed(&env, "one");
    env.rel(["config:set", "A=1"]).ok();
    let run = env.rel(["fsck"]).ok();
    assert!(run.stdout.is_empty(), "{run:#?}");
    assert!(!run.stderr.contains("warning"), "{run:#?}");
}

#[test]
fn one_flipped_bit_is_named_by_fsck_and_refused_by_checkout() {
    let env = Env::new();
    env.init();
    let slug = deployed(&env, "one");
    let blob = entry_id(&env, &slug, "only-one.txt");
    flip_object_bit(&env, &blob);
    let run = env.rel(["fsck"]).code(1);
    assert!(run.stdout.contains(&blob), "{run:#?}");
    // Every reader refuses it, naming it.
    env.rel(["checkout-slug", &slug, "../out"])
        .code(1)
        .fails_with(&blob);
    assert!(
        !env.path("out").exists(),
        "a failed checkout leaves nothing"
    );
    for flag in ["-p", "-s", "-t"] {
        env.rel(["cat-object", flag, &blob])
            .code(1)
            .fails_with(&blob);
    }
    let export = env.rel(["export-slug", &slug]);
    assert_eq!(export.code, 1);
    assert!(export.stderr.contains(&blob), "{export:#?}");
    // A new checkout of that slug (after its checkout is gone) is refused.
    fs::remove_dir_all(store(&env).join("checkouts").join(&slug)).unwrap();
    env.rel(["activate", "v1"]).code(1).fails_with(&blob);
}

#[test]
fn a_corrupt_tree_and_a_missing_object_are_named() {
    let env = Env::new();
    env.init();
    let slug = deployed(&env, "one");
    let lib = entry_id(&env, &slug, "lib");
    let util = entry_id(&env, &slug, "lib/util.txt");
    flip_object_bit(&env, &lib);
    let run = env.rel(["fsck"]).code(1);
    assert!(run.stdout.contains(&lib), "{run:#?}");
    env.rel(["ls-slug", &slug, "lib"]).code(1).fails_with(&lib);
    // A missing blob.
    let env = Env::new();
    env.init();
    deployed(&env, "one");
    remove_object(&env, &util);
    let run = env.rel(["fsck"]).code(1);
    assert!(
        run.stdout.contains(&util) && run.stdout.contains("missing"),
        "{run:#?}"
    );
    // A gap in the history.
    let env = Env::new();
    env.init();
    for i in 0..3 {
        env.rel(["config:set", &format!("A={i}")]).ok();
    }
    fs::remove_file(store(&env).join("releases/v2.toml")).unwrap();
    let run = env.rel(["fsck"]).code(1);
    assert!(run.stdout.contains("v2"), "{run:#?}");
}

/// A corrupt loose object is named with its file (as a packed one is with
/// its pack and offset), by fsck and by a read that refuses it.
#[test]
fn a_corrupt_loose_object_is_named_with_its_file() {
    let env = Env::new();
    env.init();
    env.rel(["config:set", "A=1"]).ok();
    let config = env.rel(["rev-parse", "--config", "current"]).ok().line();
    let (_, span) = place(&env, &config);
    assert!(span.is_none(), "config:set writes its config loose");
    flip_object_bit(&env, &config);
    let file = format!("objects/{}/{}'", &config[..2], &config[2..]);
    let run = env.rel(["fsck"]).code(1);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(&config))
        .unwrap_or_else(|| panic!("{run:#?}"));
    assert!(
        line.contains("is corrupt") && line.contains(&file),
        "{line}"
    );
    let run = env.rel(["cat-object", &config]).code(1);
    assert!(run.stderr.contains(&file), "{run:#?}");
}

#[test]
fn a_lagging_current_link_is_a_warning_repaired_by_fsck_and_the_next_writer() {
    let env = Env::new();
    env.init();
    let one = deployed(&env, "one");
    let two = deployed(&env, "two");
    let link = env.path("app/current");
    // As after a crash between CURRENT and the link.
    let lag = || {
        fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(format!(".releases/checkouts/{one}"), &link).unwrap();
    };
    let want = format!(".releases/checkouts/{two}");
    lag();
    let run = env.rel(["fsck"]).ok();
    assert!(run.stderr.contains("warning"), "{run:#?}");
    assert!(run.stderr.contains("current"), "{run:#?}");
    assert_eq!(
        current_link(&env).unwrap(),
        format!(".releases/checkouts/{one}")
    );
    env.rel(["fsck", "--repair"]).ok();
    assert_eq!(current_link(&env).unwrap(), want);
    assert!(!env.rel(["fsck"]).ok().stderr.contains("warning"));
    // The next writer repairs it, even one that activates nothing.
    lag();
    let config = env.rel(["rev-parse", "--config", "current"]).ok().line();
    env.rel([
        "write-release",
        "--slug",
        &one,
        "--config",
        &config,
        "--change",
        "x",
    ])
    .ok();
    assert_eq!(current_link(&env).unwrap(), want);
    lag();
    env.rel(["gc", "--dry-run"]).ok();
    assert_eq!(current_link(&env).unwrap(), want);
    // And `activate current`. A missing link, too.
    fs::remove_file(&link).unwrap();
    assert!(env.rel(["fsck"]).ok().stderr.contains("missing"));
    env.rel(["activate", "current", "--no-restart"]).ok();
    assert_eq!(current_link(&env).unwrap(), want);
    // Readers do not write.
    lag();
    env.rel(["releases"]).ok();
    env.rel(["fsck"]).ok();
    assert_eq!(
        current_link(&env).unwrap(),
        format!(".releases/checkouts/{one}")
    );
    assert_eq!(current(&env).as_deref(), Some("v2"));
}

/// v1..v4, each with a file of its own; v4 current.
fn four_deploys(env: &Env) -> Vec<String> {
    env.init();
    ["one", "two", "three", "four"]
        .iter()
        .map(|m| deployed(env, m))
        .collect()
}

fn has_object(env: &Env, id: &str) -> bool {
    crate::fixtures::stored(env, id)
}

#[test]
fn gc_keeps_n_releases_current_and_the_rollback_target() {
    let env = Env::new();
    let slugs = four_deploys(&env);
    let blob = |i: usize, m: &str| entry_id(&env, &slugs[i], &format!("only-{m}.txt"));
    let blobs = [
        blob(0, "one"),
        blob(1, "two"),
        blob(2, "three"),
        blob(3, "four"),
    ];
    // Configs: one unreferenced, and the releases' own.
    let loose_config = env.rel_stdin(["write-config"], b"LOOSE=1\n").ok().line();
    let configs: Vec<String> = (1..=4)
        .map(|v| {
            env.rel(["rev-parse", "--config", &v.to_string()])
                .ok()
                .line()
        })
        .collect();
    // Default grace (1 hour): everything is young, nothing goes.
    let before = object_count(&env);
    env.rel(["gc", "--keep", "1"]).ok();
    assert_eq!(object_count(&env), before);
    // --dry-run deletes nothing, but says what it would.
    let checkouts = files_below(&store(&env).join("checkouts")).len();
    let run = env
        .rel(["gc", "--keep", "1", "--grace", "0s", "--dry-run"])
        .ok();
    assert!(run.stdout.contains("Would delete"), "{run:#?}");
    assert_eq!(object_count(&env), before);
    // --json: the same report, parsed, agrees with the summary line.
    let run = env
        .rel(["gc", "--keep", "1", "--grace", "0s", "--dry-run", "--json"])
        .ok();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["pruned"], serde_json::json!([1, 2]));
    let summary = env
        .rel(["gc", "--keep", "1", "--grace", "0s", "--dry-run"])
        .ok()
        .stdout;
    assert_eq!(
        summary,
        format!(
            "Would delete {} objects ({:.1} MB) and {} checkouts; pruned v1, v2\n",
            report["objects_deleted"],
            report["bytes_freed"].as_u64().unwrap() as f64 / 1e6,
            report["checkouts_removed"]
        )
    );
    assert!(report["objects_deleted"].as_u64().unwrap() > 0);
    assert_eq!(object_count(&env), before);
    assert_eq!(files_below(&store(&env).join("checkouts")).len(), checkouts);
    // keep 1: v4 (newest, current) and v3 (the default rollback target) stay.
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    assert!(!has_object(&env, &slugs[0]) && !has_object(&env, &blobs[0]));
    assert!(!has_object(&env, &slugs[1]) && !has_object(&env, &blobs[1]));
    for i in [2, 3] {
        assert!(
            has_object(&env, &slugs[i]) && has_object(&env, &blobs[i]),
            "v{}",
            i + 1
        );
    }
    assert!(!store(&env).join("checkouts").join(&slugs[0]).exists());
    assert!(store(&env).join("checkouts").join(&slugs[3]).is_dir());
    assert!(store(&env).join("checkouts").join(&slugs[2]).is_dir());
    // History and configs are never deleted.
    assert_eq!(manifests(&env), vec![1, 2, 3, 4]);
    for c in configs.iter().chain([&loose_config]) {
        assert!(has_object(&env, c), "config {c} deleted");
    }
    env.rel(["show-release", "v1"]).ok();
    env.rel(["read-config", &configs[0]]).ok();
    // Pruned releases say so and cannot come back.
    let releases = env.rel(["releases"]).ok().stdout;
    let pruned: Vec<&str> = releases.lines().filter(|l| l.contains("pruned")).collect();
    assert_eq!(pruned.len(), 2, "{releases}");
    assert!(
        pruned[0].starts_with("v2") && pruned[1].starts_with("v1"),
        "{releases}"
    );
    let v1 = env.rel(["show-release", "v1", "--json"]).ok().stdout;
    assert!(v1.contains("\"pruned\": true"), "{v1}");
    env.rel(["rollback", "v1"]).code(1).fails_with("v1");
    env.rel(["activate", "v2"]).code(1).fails_with("v2");
    assert_eq!(manifests(&env), vec![1, 2, 3, 4]);
    // The store is consistent; the kept rollback target still works.
    env.rel(["fsck"]).ok();
    env.rel(["rollback"]).ok();
    assert_eq!(current(&env).as_deref(), Some("v5"));
    assert_eq!(
        env.rel(["rev-parse", "--slug", "current"]).ok().line(),
        slugs[2]
    );
}

#[test]
fn gc_grace_spares_young_unreferenced_objects() {
    let env = Env::new();
    env.init();
    deployed(&env, "one");
    // A slug that no release names yet, as a concurrent write-slug leaves it.
    env.write("loose/a.txt", "not released yet\n");
    let loose = write_slug(&env, "loose");
    env.rel(["gc", "--keep", "1"]).ok();
    assert!(has_object(&env, &loose), "young objects survive");
    env.rel(["gc", "--keep", "1", "--grace", "1h"]).ok();
    assert!(has_object(&env, &loose));
    env.rel(["gc", "--grace", "0s"]).ok();
    assert!(
        !has_object(&env, &loose),
        "without --keep, unreferenced objects go"
    );
    env.rel(["fsck"]).ok();
    // Bad durations are refused.
    env.rel(["gc", "--grace", "soon"]).code(2);
}

#[test]
fn gc_failed_releases_do_not_count_toward_keep() {
    let env = Env::new();
    let slugs = four_deploys(&env);
    // v5 fails its release phase; v4 stays current.
    env.hook("release", "#!/bin/sh\nexit 1\n");
    env.write("src/index.html", "five");
    env.rel(["deploy", "../src"]).code(1);
    fs::remove_file(store(&env).join("hooks/release")).unwrap();
    let failed_slug = env.rel(["rev-parse", "--slug", "v5"]).ok().line();
    assert_eq!(current(&env).as_deref(), Some("v4"));
    // keep 3 succeeded: v4, v3, v2 — and v5, failed but newer than them.
    env.rel(["gc", "--keep", "3", "--grace", "0s"]).ok();
    assert!(!has_object(&env, &slugs[0]));
    for s in &slugs[1..] {
        assert!(has_object(&env, s));
    }
    assert!(has_object(&env, &failed_slug));
    env.rel(["fsck"]).ok();
}

#[test]
fn gc_never_prunes_the_default_rollback_target() {
    let env = Env::new();
    env.init();
    let a = deployed(&env, "one");
    let b = deployed(&env, "two");
    let c = deployed(&env, "three");
    // v4 rolls back to v2 (slug b): the default target is now v3 (slug c).
    env.rel(["rollback", "v2"]).ok();
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    assert!(!has_object(&env, &a));
    assert!(has_object(&env, &b) && has_object(&env, &c));
    env.rel(["rollback"]).ok();
    assert_eq!(env.rel(["rev-parse", "--slug", "current"]).ok().line(), c);
    env.rel(["fsck"]).ok();
}

#[test]
fn settings_keep_runs_gc_after_each_deploy() {
    let env = Env::new();
    env.init();
    let settings = store(&env).join("settings.toml");
    let text = fs::read_to_string(&settings).unwrap();
    fs::write(&settings, format!("{text}keep = 1\n")).unwrap();
    let first = deployed(&env, "one");
    deployed(&env, "two");
    deployed(&env, "three");
    // Within the grace period objects stay, but old checkouts go.
    assert!(has_object(&env, &first));
    assert!(!store(&env).join("checkouts").join(&first).exists());
    env.rel(["fsck"]).ok();
}

#[test]
fn a_current_link_into_a_missing_checkout_is_repaired() {
    let env = Env::new();
    env.init();
    let slug = deployed(&env, "one");
    let checkout = store(&env).join("checkouts").join(&slug);
    crate::fixtures::sh(
        &env,
        &format!("chmod -R u+w '{0}' && rm -rf '{0}'", checkout.display()),
    );
    assert!(!env.path("app/current/index.html").exists());
    let run = env.rel(["fsck"]).ok();
    assert!(
        run.stderr.contains("warning") && run.stderr.contains("missing"),
        "{run:#?}"
    );
    env.rel(["fsck", "--repair"]).ok();
    assert_eq!(
        fs::read_to_string(env.path("app/current/index.html")).unwrap(),
        "one"
    );
    assert!(!env.rel(["fsck"]).ok().stderr.contains("warning"));
}

#[test]
fn fsck_checks_what_a_manifest_names() {
    let env = Env::new();
    env.init();
    let slug = deployed(&env, "one");
    env.rel([
        "write-release",
        "--copy-of",
        "v1",
        "--change",
        "Rollback to v1",
    ])
    .ok();
    env.rel(["fsck"]).ok();
    let path = store(&env).join("releases/v2.toml");
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("rollback_of = 1"), "{text}");
    fs::remove_file(&path).unwrap();
    fs::write(&path, text.replace("rollback_of = 1", "rollback_of = 7")).unwrap();
    let run = env.rel(["fsck"]).code(1);
    assert!(
        run.stdout.contains("v2") && run.stdout.contains("v7"),
        "{run:#?}"
    );
    // A slug that is not a tree.
    let blob = entry_id(&env, &slug, "index.html");
    fs::remove_file(&path).unwrap();
    fs::write(&path, text.replace(&slug, &blob)).unwrap();
    let run = env.rel(["fsck"]).code(1);
    assert!(run.stdout.contains(&blob), "{run:#?}");
}

/// `fsck --json` lists the problems fsck prints, each with its kind, the
/// object and release it concerns and the repair; the exit status is kept.
#[test]
fn fsck_json_lists_each_problem_with_its_kind_object_release_and_repair() {
    let env = Env::new();
    env.init();
    deployed(&env, "one");
    let clean = env.rel(["fsck", "--json"]).ok();
    let clean: serde_json::Value = serde_json::from_str(&clean.stdout).unwrap();
    assert_eq!(clean["problems"], serde_json::json!([]));
    assert_eq!(clean["releases"], 1);

    let slug = deployed(&env, "two");
    let util = entry_id(&env, &slug, "only-two.txt");
    remove_object(&env, &util);
    env.rel(["config:set", "A=1"]).ok(); // v3
    env.rel(["config:set", "A=2"]).ok(); // v4
    fs::remove_file(store(&env).join("releases/v3.toml")).unwrap();
    let human = env.rel(["fsck"]).code(1);
    let run = env.rel(["fsck", "--json"]).code(1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["releases"], 3);
    let problems = report["problems"].as_array().unwrap();
    // The same problems, in the same order, as the human view's lines.
    let messages: String = problems
        .iter()
        .map(|p| format!("{}\n", p["message"].as_str().unwrap()))
        .collect();
    assert_eq!(messages, human.stdout);
    let gap = problems
        .iter()
        .find(|p| p["kind"] == "history_gap")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(gap["release"], 3);
    assert!(gap.get("object").is_none());
    assert_eq!(gap["repair"], "restore the file from a backup");
    let missing: Vec<&serde_json::Value> = problems
        .iter()
        .filter(|p| p["kind"] == "missing_object")
        .collect();
    assert!(!missing.is_empty(), "{report:#}");
    for p in missing {
        assert_eq!(p["object"], util.as_str());
        assert!(p["release"].as_u64().unwrap() >= 2, "{p}");
        assert!(p["repair"].as_str().unwrap().contains("backup"), "{p}");
    }
}
