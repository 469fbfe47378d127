//! `rel addons` and `addons:add/remove/upgrade/downgrade`: records, change
//! descriptions, status lines, config vars that come and go with an add-on,
//! JSON, and refusals.

use crate::common::Env;
use crate::porcelain::{json, store_state};

fn change(env: &Env) -> String {
    json(&env.rel(["releases:info", "--json"]).ok())["change"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn add_without_a_plan() {
    let env = Env::new();
    env.init();
    let run = env.rel(["addons:add", "memcachier"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "Adding memcachier to myapp... done, v1\n");
    assert_eq!(change(&env), "Add memcachier add-on");
    assert_eq!(
        json(&env.rel(["addons", "--json"]).ok()),
        serde_json::json!([{"name": "memcachier", "service": "memcachier", "plan": "memcachier"}])
    );
}

#[test]
fn add_with_a_plan_shows_the_plan() {
    let env = Env::new();
    env.init();
    let run = env.rel(["addons:add", "memcachier:dev"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "Adding memcachier to myapp... done, v1 (dev)\n");
    assert_eq!(change(&env), "Add memcachier:dev add-on");
    assert_eq!(
        json(&env.rel(["addons", "--json"]).ok()),
        serde_json::json!([{"name": "memcachier", "service": "memcachier", "plan": "memcachier:dev"}])
    );
}

#[test]
fn add_as_a_name_with_config_vars_that_leave_with_it() {
    let env = Env::new();
    env.init();
    env.rel(["config:set", "KEEP=1"]).ok();
    let run = env
        .rel([
            "addons:add",
            "redis:mini",
            "--as",
            "cache",
            "--config",
            "REDIS_URL=redis://localhost:6379/0",
            "--config",
            "REDIS_POOL=5",
        ])
        .ok();
    assert_eq!(run.stderr, "Adding redis to myapp... done, v2 (mini)\n");
    assert_eq!(change(&env), "Add redis:mini add-on as cache");
    assert_eq!(
        json(&env.rel(["config", "--json"]).ok()),
        serde_json::json!({"KEEP": "1", "REDIS_POOL": "5", "REDIS_URL": "redis://localhost:6379/0"})
    );
    assert_eq!(
        json(&env.rel(["addons", "--json"]).ok()),
        serde_json::json!([{"name": "cache", "service": "redis", "plan": "redis:mini"}])
    );
    env.rel(["addons:add", "redis", "--as", "queue"]).ok();
    assert_eq!(change(&env), "Add redis add-on as queue");

    let run = env.rel(["addons:remove", "cache"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "Removing cache from myapp... done, v4\n");
    assert_eq!(change(&env), "Remove cache add-on");
    assert_eq!(
        json(&env.rel(["config", "--json"]).ok()),
        serde_json::json!({"KEEP": "1"})
    );
    assert_eq!(
        json(&env.rel(["addons", "--json"]).ok()),
        serde_json::json!([{"name": "queue", "service": "redis", "plan": "redis"}])
    );
}

#[test]
fn upgrade_and_downgrade_take_plan_or_service_plan() {
    let env = Env::new();
    env.init();
    env.rel(["addons:add", "memcachier:dev"]).ok();
    let run = env.rel(["addons:upgrade", "memcachier", "100"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "Changing memcachier on myapp to memcachier:100... done, v2\n"
    );
    assert_eq!(change(&env), "Upgrade memcachier to memcachier:100");
    let run = env
        .rel(["addons:downgrade", "memcachier", "memcachier:dev"])
        .ok();
    assert_eq!(
        run.stderr,
        "Changing memcachier on myapp to memcachier:dev... done, v3\n"
    );
    assert_eq!(change(&env), "Downgrade memcachier to memcachier:dev");
    assert_eq!(
        json(&env.rel(["addons", "--json"]).ok()),
        serde_json::json!([{"name": "memcachier", "service": "memcachier", "plan": "memcachier:dev"}])
    );

    // The plan it is on already: no release.
    let before = store_state(&env);
    let run = env.rel(["addons:upgrade", "memcachier", "dev"]).ok();
    assert_eq!(
        run.stderr,
        "No changes: memcachier is on memcachier:dev already; no new release\n"
    );
    assert_eq!(store_state(&env), before);
}

#[test]
fn addons_lists_names_and_plans() {
    let env = Env::new();
    env.init();
    let run = env.rel(["addons"]).ok();
    assert_eq!(run.stdout, "=== myapp Add-ons\n");
    assert_eq!(
        json(&env.rel(["addons", "--json"]).ok()),
        serde_json::json!([])
    );
    env.rel(["addons:add", "memcachier:dev"]).ok();
    env.rel(["addons:add", "redis:mini", "--as", "cache"]).ok();
    let run = env.rel(["addons"]).ok();
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "=== myapp Add-ons\ncache       redis:mini\nmemcachier  memcachier:dev\n"
    );
    let list = json(&env.rel(["addons", "--json"]).ok());
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    for a in list {
        let keys: Vec<&String> = a.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["name", "plan", "service"], "{a}");
        assert!(a["name"].is_string() && a["service"].is_string() && a["plan"].is_string());
    }
}

#[test]
fn refusals_name_the_problem_and_write_nothing() {
    let env = Env::new();
    env.init();
    env.rel(["addons:add", "memcachier:dev"]).ok();
    env.rel(["config:set", "TAKEN=1"]).ok();
    let before = store_state(&env);
    for (args, message) in [
        (
            vec!["addons:add", "memcachier:100"],
            "an add-on named 'memcachier' exists already; use 'rel addons:upgrade memcachier PLAN', or --as ANOTHER_NAME",
        ),
        (
            vec!["addons:add", "redis", "--config", "TAKEN=2"],
            "config var TAKEN is set already; unset it first (rel config:unset TAKEN) or give the add-on another var",
        ),
        (
            vec!["addons:add", "mem cachier"],
            "'mem cachier' is not SERVICE or SERVICE:PLAN (letters, digits, - _ .)",
        ),
        (
            vec!["addons:add", "redis:a:b"],
            "'redis:a:b' is not SERVICE or SERVICE:PLAN (letters, digits, - _ .)",
        ),
        (
            vec!["addons:add", "redis", "--as", "a:b"],
            "'a:b' is not a usable add-on name; use letters, digits, - _ and .",
        ),
        (
            vec!["addons:remove", "nope"],
            "no add-on named 'nope'; the app has memcachier",
        ),
        (
            vec!["addons:upgrade", "nope", "100"],
            "no add-on named 'nope'; the app has memcachier",
        ),
        (
            vec!["addons:upgrade", "memcachier", "redis:big"],
            "'redis:big' is a plan of redis, but memcachier is a memcachier add-on; give PLAN or memcachier:PLAN",
        ),
        (
            vec!["addons:downgrade", "memcachier", "bad plan"],
            "'memcachier:bad plan' is not SERVICE or SERVICE:PLAN (letters, digits, - _ .)",
        ),
    ] {
        let run = env.rel(&args).code(1);
        assert_eq!(run.stdout, "", "{args:?}");
        assert_eq!(run.stderr, format!("rel: error: {message}\n"), "{args:?}");
    }
    env.rel(["addons:add"]).code(2);
    env.rel(["addons:upgrade", "memcachier"]).code(2);
    let run = env
        .rel(["addons:add", "redis", "--config", "1BAD=2"])
        .code(2);
    assert_eq!(
        run.stderr,
        "rel: error: --config: '1BAD' is not a valid config key; use letters, digits and _, not starting with a digit\nhint: see 'rel addons:add --help'\n"
    );
    assert_eq!(store_state(&env), before);

    let env = Env::new();
    env.init();
    env.rel(["addons:remove", "nope"])
        .fails_with("no add-on named 'nope': the app has none");
}

#[test]
fn addons_space_forms_work() {
    let env = Env::new();
    env.init();
    env.rel(["addons", "add", "memcachier:dev"]).ok();
    assert_eq!(change(&env), "Add memcachier:dev add-on");
    env.rel(["addons", "upgrade", "memcachier", "100"]).ok();
    assert_eq!(change(&env), "Upgrade memcachier to memcachier:100");
    env.rel(["addons", "downgrade", "memcachier", "dev"]).ok();
    assert_eq!(change(&env), "Downgrade memcachier to memcachier:dev");
    env.rel(["addons", "remove", "memcachier"]).ok();
    assert_eq!(change(&env), "Remove memcachier add-on");
    assert_eq!(env.rel(["addons"]).ok().stdout, "=== myapp Add-ons\n");
}

#[test]
fn quiet_addon_changes_print_nothing() {
    let env = Env::new();
    env.init();
    let run = env.rel(["-q", "addons:add", "memcachier:dev"]).ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    let run = env.rel(["addons:remove", "memcachier", "-q"]).ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
}
