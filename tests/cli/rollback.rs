//! `rel rollback`: the default target, what a rollback copies, the undo
//! hint, and refusals that write nothing and say why.

use crate::common::Env;
use crate::porcelain::{current, json, manifests, store_state};

/// Deploys `s{i}` with marker `m{i}` for each i, expecting success.
fn deploys(env: &Env, n: usize) {
    for i in 0..n {
        env.source(&format!("s{i}"), &format!("m{i}"));
        env.rel(["deploy", &format!("../s{i}")]).ok();
    }
}

fn served(env: &Env) -> String {
    std::fs::read_to_string(env.path("app/current/index.html")).unwrap()
}

#[test]
fn rollback_copies_the_release_before_current_and_says_how_to_undo() {
    let env = Env::new();
    env.init();
    deploys(&env, 2);
    let run = env.rel(["rollback"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "Rolled back to v1\nTo undo, run: rel rollback v2\n"
    );
    assert_eq!(current(&env), "v3");
    assert_eq!(served(&env), "m0");
    let list = json(&env.rel(["releases", "--json"]).ok());
    assert_eq!(list[0]["change"], "Rollback to v1");
    assert_eq!(list[0]["rollback_of"], 1);
    assert_eq!(list[0]["slug"], list[2]["slug"]);
    assert_eq!(list[0]["config"], list[2]["config"]);
    assert_eq!(list[0]["current"], true);

    // The undo hint works.
    let run = env.rel(["rollback", "v2"]).ok();
    assert_eq!(
        run.stderr,
        "Rolled back to v2\nTo undo, run: rel rollback v3\n"
    );
    assert_eq!(served(&env), "m1");
    let r = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(r["change"], "Rollback to v2");
    assert_eq!(r["rollback_of"], 2);
}

#[test]
fn rollback_restores_config_and_takes_revisions_in_every_form() {
    let env = Env::new();
    env.init();
    deploys(&env, 1);
    env.rel(["config:set", "A=1"]).ok(); // v2
    env.rel(["config:set", "A=2"]).ok(); // v3
    env.rel(["rollback"]).ok(); // v4 = v2
    assert_eq!(env.rel(["config:get", "A"]).ok().stdout, "1\n");
    env.rel(["rollback", "3"]).ok(); // v5 = v3
    assert_eq!(env.rel(["config:get", "A"]).ok().stdout, "2\n");
    env.rel(["rollback", "current~4"]).ok(); // v6 = v1
    env.rel(["config:get", "A"]).code(1);
    let r = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(r["change"], "Rollback to v1");
}

#[test]
fn the_default_target_skips_failed_releases() {
    let env = Env::new();
    env.init();
    deploys(&env, 1); // v1
    env.hook("release", "#!/bin/sh\nexit 1\n");
    env.source("bad", "bad");
    env.rel(["deploy", "../bad"]).code(1); // v2 failed
    std::fs::remove_file(env.path("app/.releases/hooks/release")).unwrap();
    env.source("good", "good");
    env.rel(["deploy", "../good"]).ok(); // v3
    let run = env.rel(["rollback"]).ok();
    assert_eq!(
        run.stderr,
        "Rolled back to v1\nTo undo, run: rel rollback v3\n"
    );
    assert_eq!(served(&env), "m0");
}

#[test]
fn quiet_rollback_prints_nothing() {
    let env = Env::new();
    env.init();
    deploys(&env, 2);
    let run = env.rel(["rollback", "-q"]).ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    assert_eq!(current(&env), "v3");
}

/// Asserts that `args` fails with exactly `message` and writes nothing.
#[track_caller]
fn refused(env: &Env, args: &[&str], message: &str) {
    let before = store_state(env);
    let list = manifests(env);
    let run = env.rel(args).code(1);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, format!("rel: error: {message}\n"));
    assert_eq!(manifests(env), list);
    assert_eq!(store_state(env), before, "{args:?} changed the store");
}

#[test]
fn rollback_with_no_history_is_refused() {
    let env = Env::new();
    env.init();
    refused(
        &env,
        &["rollback"],
        "there is no release to roll back from; deploy first (rel deploy DIR)",
    );
    refused(
        &env,
        &["rollback", "v1"],
        "there is no release to roll back from; deploy first (rel deploy DIR)",
    );
}

#[test]
fn rollback_with_nothing_before_current_is_refused() {
    let env = Env::new();
    env.init();
    deploys(&env, 1);
    refused(
        &env,
        &["rollback"],
        "there is no succeeded, unpruned release before v1 to roll back to; nothing changed",
    );
}

#[test]
fn rollback_to_an_unknown_revision_is_refused() {
    let env = Env::new();
    env.init();
    deploys(&env, 2);
    refused(
        &env,
        &["rollback", "v7"],
        "unknown revision 'v7'; name a release as vN, N, current or current~K (see 'rel releases')",
    );
    refused(
        &env,
        &["rollback", "latest"],
        "unknown revision 'latest'; name a release as vN, N, current or current~K (see 'rel releases')",
    );
}

#[test]
fn rollback_to_a_failed_release_is_refused() {
    let env = Env::new();
    env.init();
    deploys(&env, 1);
    env.hook("release", "#!/bin/sh\nexit 1\n");
    env.source("bad", "bad");
    env.rel(["deploy", "../bad"]).code(1);
    std::fs::remove_file(env.path("app/.releases/hooks/release")).unwrap();
    refused(
        &env,
        &["rollback", "v2"],
        "cannot roll back to v2: it failed its release phase (see 'rel releases:output v2'); nothing changed",
    );
}

#[test]
fn rollback_to_a_pruned_release_is_refused() {
    let env = Env::new();
    env.init();
    deploys(&env, 3);
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    refused(
        &env,
        &["rollback", "v1"],
        "cannot roll back to v1: gc pruned its slug; deploy that code again instead; nothing changed",
    );
    // v2 is the default target, which gc keeps.
    env.rel(["rollback"]).ok();
    assert_eq!(served(&env), "m1");
}

#[test]
fn rollback_before_the_first_deploy_is_refused() {
    let env = Env::new();
    env.init();
    env.rel(["config:set", "A=1"]).ok();
    deploys(&env, 1);
    refused(
        &env,
        &["rollback"],
        "cannot roll back to v1: it was made before the first deploy and has no slug to run; nothing changed",
    );
}

#[test]
fn rollback_across_addon_changes_names_each_one_and_its_fix() {
    let env = Env::new();
    env.init();
    deploys(&env, 1);
    env.rel(["addons:add", "memcachier:dev"]).ok(); // v2
    env.rel(["addons:add", "papertrail:choklad"]).ok(); // v3: the target
    env.rel(["addons:upgrade", "memcachier", "100"]).ok(); // v4
    env.rel(["addons:remove", "papertrail"]).ok(); // v5
    env.rel([
        "addons:add",
        "redis",
        "--as",
        "cache",
        "--config",
        "REDIS_URL=x",
    ])
    .ok(); // v6
    refused(
        &env,
        &["rollback", "v3"],
        "cannot roll back to v3: its add-ons differ from the current ones: \
         cache was added since (run 'rel addons:remove cache'); \
         memcachier is on memcachier:100 now, not memcachier:dev \
         (run 'rel addons:downgrade memcachier memcachier:dev' or 'rel addons:upgrade memcachier memcachier:dev'); \
         papertrail is not attached now (run 'rel addons:add papertrail:choklad'); nothing changed",
    );
    // The default target (v5) differs too: cache.
    refused(
        &env,
        &["rollback"],
        "cannot roll back to v5: its add-ons differ from the current ones: \
         cache was added since (run 'rel addons:remove cache'); nothing changed",
    );
    // Doing what it says makes the rollback possible.
    env.rel(["addons:remove", "cache"]).ok(); // v7
    env.rel(["addons:downgrade", "memcachier", "memcachier:dev"])
        .ok(); // v8
    env.rel(["addons:add", "papertrail:choklad"]).ok(); // v9
    let run = env.rel(["rollback", "v3"]).ok();
    assert_eq!(
        run.stderr,
        "Rolled back to v3\nTo undo, run: rel rollback v9\n"
    );
}

#[test]
fn rollback_names_an_addon_kept_under_another_name() {
    let env = Env::new();
    env.init();
    deploys(&env, 1);
    env.rel(["addons:add", "redis:mini", "--as", "cache"]).ok(); // v2
    env.rel(["addons:remove", "cache"]).ok(); // v3
    refused(
        &env,
        &["rollback", "v2"],
        "cannot roll back to v2: its add-ons differ from the current ones: \
         cache is not attached now (run 'rel addons:add redis:mini --as cache'); nothing changed",
    );
}

#[test]
fn rollback_to_the_current_release_makes_no_release_and_says_so() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env.rel(["config:set", "A=1"]).ok();
    let before = store_state(&env);
    for rev in ["v2", "current", "2"] {
        let run = env.rel(["rollback", rev]).ok();
        assert_eq!(run.stdout, "");
        assert_eq!(
            run.stderr,
            "Nothing to roll back: v2 is the current release; no new release\n"
        );
        assert_eq!(
            store_state(&env),
            before,
            "rollback {rev} changed the store"
        );
    }
    // An older release that runs the same still makes a release.
    env.rel(["config:unset", "A"]).ok(); // v3, as v1
    env.rel(["rollback", "v1"]).ok(); // v4
    assert_eq!(manifests(&env).len(), 4);
}
