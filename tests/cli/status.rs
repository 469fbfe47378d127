//! `rel status`: the current release, its checkout, the store's size, and
//! anything out of sync with the command that repairs it.

use crate::common::Env;
use crate::porcelain::{deployed, redact};

/// What status prints for the store: the size of the object files and
/// their count, as `8.3MB in 12 objects`.
fn store_line(env: &Env) -> String {
    // Loose object files, and packed objects' bytes in their packs.
    let mut bytes = 0u64;
    let mut count = 0u64;
    for f in crate::fixtures::loose_objects(env) {
        bytes += std::fs::symlink_metadata(f).unwrap().len();
        count += 1;
    }
    for p in crate::fixtures::packed_objects(env) {
        bytes += p.length;
        count += 1;
    }
    let b = bytes as f64;
    let size = if b >= 1e6 {
        format!("{:.1}MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1}KB", b / 1e3)
    } else {
        format!("{bytes}B")
    };
    format!("Store:       {size} in {count} objects")
}

fn status(env: &Env) -> String {
    let run = env.rel(["status"]).ok();
    assert_eq!(run.stderr, "");
    redact(env, &run.stdout)
}

fn slug(env: &Env) -> String {
    env.rel(["rev-parse", "--slug", "current"]).ok().line()
}

#[test]
fn status_of_a_new_store() {
    let env = Env::new();
    env.init();
    assert_eq!(
        status(&env),
        "=== myapp\nCurrent:     none\nReleases:    0\nStore:       0B in 0 objects\nState:       in sync\n"
    );
}

#[test]
fn status_shows_the_current_release_checkout_and_store() {
    let env = Env::new();
    deployed(&env);
    env.rel(["config:set", "A=1"]).ok();
    let s = slug(&env);
    assert_eq!(
        status(&env),
        format!(
            "=== myapp\n\
             Current:     v2 (Set A config vars)\n\
             Releases:    2\n\
             Checkout:    [ROOT]/app/.releases/checkouts/{s}\n\
             {}\n\
             State:       in sync\n",
            store_line(&env)
        )
    );
}

#[test]
fn a_current_link_pointing_elsewhere_is_out_of_sync_until_repaired() {
    let env = Env::new();
    deployed(&env);
    let s = slug(&env);
    let link = env.path("app/current");
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink("/elsewhere", &link).unwrap();
    let out = status(&env);
    assert!(
        out.ends_with(&format!(
            "Out of sync: '[ROOT]/app/current' points to '/elsewhere', but CURRENT is v1 (slug {}); \
             run 'rel activate current' (or 'rel fsck --repair')\n",
            &s[..7]
        )),
        "{out}"
    );
    assert!(!out.contains("in sync\n"), "{out}");
    // The command it names repairs it.
    env.rel(["activate", "current"]).ok();
    assert!(status(&env).ends_with("State:       in sync\n"));
    assert_eq!(
        std::fs::read_link(&link).unwrap().to_string_lossy(),
        format!(".releases/checkouts/{s}")
    );

    // So does the next writer.
    std::fs::remove_file(&link).unwrap();
    let out = status(&env);
    assert!(
        out.ends_with(
            "Out of sync: '[ROOT]/app/current' is missing, but CURRENT is v1; \
             run 'rel activate current' (or 'rel fsck --repair')\n"
        ),
        "{out}"
    );
    env.rel(["config:set", "A=1"]).ok();
    assert!(status(&env).ends_with("State:       in sync\n"));
    assert!(link.join("index.html").exists());
}

#[test]
fn a_written_but_inactive_release_is_pointed_out() {
    let env = Env::new();
    deployed(&env);
    let config = env.rel(["rev-parse", "--config", "current"]).ok().line();
    let s = slug(&env);
    env.rel([
        "write-release",
        "--slug",
        &s,
        "--config",
        &config,
        "--change",
        "Staged",
    ])
    .ok();
    let out = status(&env);
    assert!(out.contains("\nReleases:    2\n"), "{out}");
    assert!(
        out.ends_with(
            "Out of sync: v2 is newer than the current v1 but not active; activate it with 'rel activate v2'\n"
        ),
        "{out}"
    );
    env.rel(["activate", "v2"]).ok();
    assert!(status(&env).ends_with("State:       in sync\n"));
}

#[test]
fn status_outside_a_store_is_one_line() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("app")).unwrap();
    env.rel(["status"]).fails_with("rel init");
}

#[test]
fn a_missing_checkout_is_out_of_sync_until_repaired() {
    let env = Env::new();
    deployed(&env);
    let s = slug(&env);
    let checkout = env.path(&format!("app/.releases/checkouts/{s}"));
    crate::porcelain::sh(
        &format!("chmod -R u+w '{0}' && rm -rf '{0}'", checkout.display()),
        &env.path("."),
    );
    let out = status(&env);
    assert!(
        out.ends_with("Out of sync: the current checkout is missing; run 'rel activate current'\n"),
        "{out}"
    );
    env.rel(["activate", "current"]).ok();
    assert!(status(&env).ends_with("State:       in sync\n"));
    assert!(env.path("app/current/index.html").exists());
}

#[test]
fn a_missing_or_wrong_current_file_is_out_of_sync_with_the_release_to_activate() {
    let env = Env::new();
    deployed(&env);
    env.write("src/index.html", "two");
    env.rel(["deploy", "../src"]).ok();
    env.rel(["config:set", "A=1"]).ok();
    env.rel(["rollback", "v1"]).ok();
    // v4 copies v1; a config change after it would not change the slug.
    let current_file = env.path("app/.releases/CURRENT");
    std::fs::remove_file(&current_file).unwrap();
    let repair = "make a release current again with 'rel activate v4'";
    let out = status(&env);
    assert!(out.contains("Current:     none\n"), "{out}");
    assert!(
        out.contains("Out of sync: CURRENT is missing, but '[ROOT]/app/current' exists")
            && out.contains(repair),
        "{out}"
    );
    let fsck = env.rel(["fsck"]).code(1);
    assert!(fsck.stdout.contains(repair), "{}", fsck.stdout);
    assert!(fsck.stderr.contains("1 problem\n"), "{}", fsck.stderr);

    std::fs::write(&current_file, "v99\n").unwrap();
    let out = status(&env);
    assert!(
        out.contains("Out of sync: CURRENT names v99, which has no readable manifest (the newest release is v4)")
            && out.contains(repair),
        "{out}"
    );
    env.rel(["fsck"]).code(1);
    env.rel(["rollback"]).code(1).fails_with(
        "names v99, which has no manifest; 'rel status' says which release to activate",
    );

    env.rel(["activate", "v4"]).ok();
    assert!(status(&env).ends_with("State:       in sync\n"));
    let fsck = env.rel(["fsck"]).ok();
    assert!(fsck.stderr.contains(": 0 problems\n"), "{}", fsck.stderr);
}

#[test]
fn releases_written_but_never_activated_are_not_out_of_sync() {
    // Every release so far failed its release phase: no CURRENT, no link.
    let env = Env::new();
    env.init();
    env.hook("release", "#!/bin/sh\nexit 3\n");
    env.source("src", "one");
    env.rel(["deploy", "../src"]).code(1);
    assert!(status(&env).ends_with("State:       in sync\n"));
    env.rel(["fsck"]).ok();
}

/// `status --json` is the same report as the human view, field by field.
#[test]
fn status_json_agrees_with_the_human_view() {
    let env = Env::new();
    env.init();
    let fresh = crate::porcelain::json(&env.rel(["status", "--json"]).ok());
    assert_eq!(fresh["app"], "myapp");
    assert_eq!(fresh["current"], serde_json::Value::Null);
    assert_eq!(fresh["releases"], 0);
    assert_eq!(fresh["checkout"], serde_json::Value::Null);
    assert_eq!(
        fresh["store"],
        serde_json::json!({"objects": 0, "bytes": 0})
    );
    assert_eq!(fresh["in_sync"], true);
    assert_eq!(fresh["problems"], serde_json::json!([]));

    let env = Env::new();
    deployed(&env);
    env.rel(["config:set", "A=1"]).ok();
    let s = slug(&env);
    let checkout = env.path(&format!("app/.releases/checkouts/{s}"));
    crate::porcelain::sh(
        &format!("chmod -R u+w '{0}' && rm -rf '{0}'", checkout.display()),
        &env.path("."),
    );
    let run = env.rel(["status", "--json"]).ok();
    assert_eq!(run.stderr, "");
    let r = crate::porcelain::json(&run);
    assert_eq!(
        r["current"],
        serde_json::json!({"version": 2, "change": "Set A config vars"})
    );
    assert_eq!(r["releases"], 2);
    assert_eq!(r["checkout"], checkout.display().to_string());
    assert_eq!(r["in_sync"], false);
    let problems: Vec<&str> = r["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        problems,
        ["the current checkout is missing; run 'rel activate current'"]
    );
    // The human view shows the same values.
    let human = env.rel(["status"]).ok().stdout;
    let objects = r["store"]["objects"].as_u64().unwrap();
    assert!(objects > 0);
    assert!(
        human.contains(&format!(" in {objects} objects\n")),
        "{human}"
    );
    assert!(human.contains(&format!("Checkout:    {}\n", checkout.display())));
    for p in problems {
        assert!(human.contains(&format!("Out of sync: {p}\n")), "{human}");
    }
}
