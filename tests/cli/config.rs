//! `rel config`, `config:get`, `config:set`, `config:unset`: output as the
//! reference shows it, idempotent changes, refused keys and assignments,
//! JSON and `--shell`.

use crate::common::Env;
use crate::porcelain::{
    AWKWARD, assert_shell_round_trip, json, manifests, set_awkward, store_state,
};

fn change(env: &Env) -> String {
    json(&env.rel(["releases:info", "--json"]).ok())["change"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn config_set_prints_the_reference_lines_on_stderr() {
    let env = Env::new();
    env.init();
    let run = env.rel(["config:set", "MYVAR=42"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "Adding config vars:\n  MYVAR => 42\nUpdating vars and restarting app... done, v1\n"
    );
    assert_eq!(change(&env), "Set MYVAR config vars");

    let run = env.rel(["config:set", "A=1", "LONGER_KEY=two words"]).ok();
    assert_eq!(
        run.stderr,
        "Adding config vars:\n  A          => 1\n  LONGER_KEY => two words\nUpdating vars and restarting app... done, v2\n"
    );
    assert_eq!(change(&env), "Set A, LONGER_KEY config vars");

    let run = env.rel(["config:set", "B=1", "--no-restart"]).ok();
    assert_eq!(
        run.stderr,
        "Adding config vars:\n  B => 1\nUpdating vars... done, v3\n"
    );
}

#[test]
fn config_set_names_only_the_keys_that_change() {
    let env = Env::new();
    env.init();
    env.rel(["config:set", "A=1"]).ok();
    env.rel(["config:set", "A=1", "B=2"]).ok();
    assert_eq!(change(&env), "Set B config vars");
    // The last assignment of a key wins, as in a shell.
    env.rel(["config:set", "C=1", "C=2"]).ok();
    assert_eq!(env.rel(["config:get", "C"]).ok().stdout, "2\n");
    env.rel(["config:set", "D=x=y"]).ok();
    assert_eq!(env.rel(["config:get", "D"]).ok().stdout, "x=y\n");
}

#[test]
fn setting_what_is_set_and_unsetting_what_is_not_make_no_release() {
    let env = Env::new();
    env.init();
    env.rel(["config:set", "A=1", "B=2"]).ok();
    let before = store_state(&env);
    let run = env.rel(["config:set", "A=1"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "No changes: A already set to that value; no new release\n"
    );
    let run = env.rel(["config:set", "A=1", "B=2"]).ok();
    assert_eq!(
        run.stderr,
        "No changes: A, B already set to those values; no new release\n"
    );
    let run = env.rel(["config:unset", "NOPE"]).ok();
    assert_eq!(run.stderr, "No changes: NOPE not set; no new release\n");
    let run = env.rel(["-q", "config:unset", "NOPE", "NADA"]).ok();
    assert_eq!(run.stderr, "");
    assert_eq!(store_state(&env), before);
    assert_eq!(manifests(&env), ["v1.toml"]);
}

#[test]
fn config_unset_removes_and_says_so() {
    let env = Env::new();
    env.init();
    env.rel(["config:set", "MYVAR=42", "OTHER=1"]).ok();
    let run = env.rel(["config:unset", "MYVAR"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "Removing config vars:\n  MYVAR\nUpdating vars and restarting app... done, v2\n"
    );
    assert_eq!(change(&env), "Remove MYVAR config vars");
    env.rel(["config:get", "MYVAR"]).code(1);
    env.rel(["config:set", "A=1", "B=1"]).ok();
    let run = env.rel(["config:unset", "A", "NOPE", "B", "A"]).ok();
    assert_eq!(
        run.stderr,
        "Removing config vars:\n  A\n  B\nUpdating vars and restarting app... done, v4\n"
    );
    assert_eq!(change(&env), "Remove A, B config vars");
    assert_eq!(
        json(&env.rel(["config", "--json"]).ok()),
        serde_json::json!({"OTHER": "1"})
    );
}

#[test]
fn config_get_prints_the_value_or_exits_1() {
    let env = Env::new();
    env.init();
    let run = env.rel(["config:get", "MYVAR"]).code(1);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "rel: error: config var MYVAR is not set\n");
    env.rel(["config:set", "MYVAR=42", "ML=a\nb"]).ok();
    let run = env.rel(["config:get", "MYVAR"]).ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("42\n", ""));
    assert_eq!(env.rel(["config:get", "ML"]).ok().stdout, "a\nb\n");
    let run = env.rel(["config:get", "1BAD"]).code(2);
    assert!(
        run.stderr
            .starts_with("rel: error: '1BAD' is not a valid config key"),
        "{run:#?}"
    );
}

#[test]
fn invalid_keys_and_malformed_assignments_are_refused_and_write_nothing() {
    let env = Env::new();
    env.init();
    env.rel(["config:set", "A=1"]).ok();
    let before = store_state(&env);
    for (args, message) in [
        (
            vec!["config:set", "1A=x"],
            "rel: error: '1A' is not a valid config key; use letters, digits and _, not starting with a digit\n",
        ),
        (
            vec!["config:set", "GOOD=1", "A-B=x"],
            "rel: error: 'A-B' is not a valid config key; use letters, digits and _, not starting with a digit\n",
        ),
        (
            vec!["config:set", "=x"],
            "rel: error: '=x' has no key before '='; write KEY=VALUE\n",
        ),
        (
            vec!["config:set", "GOOD=1", "FOO"],
            "rel: error: 'FOO' is not KEY=VALUE\n",
        ),
        (
            vec!["config:unset", "A", "B.C"],
            "rel: error: 'B.C' is not a valid config key; use letters, digits and _, not starting with a digit\n",
        ),
        (
            vec!["addons:add", "redis", "--config", "NOEQUALS"],
            "rel: error: --config: 'NOEQUALS' is not KEY=VALUE\n",
        ),
    ] {
        // Bad usage: exit 2, the error line, then where the help is.
        let run = env.rel(&args).code(2);
        let help = format!("hint: see 'rel {} --help'\n", args[0]);
        assert_eq!(run.stderr, format!("{message}{help}"), "{args:?}");
        assert_eq!(run.stdout, "");
    }
    env.rel(["config:set"]).code(2);
    env.rel(["config:unset"]).code(2);
    assert_eq!(store_state(&env), before);
}

#[test]
fn config_shows_vars_for_people_json_and_shell() {
    let env = Env::new();
    env.init();
    let run = env.rel(["config"]).ok();
    assert_eq!(run.stdout, "=== myapp Config Vars\n");
    assert_eq!(
        json(&env.rel(["config", "--json"]).ok()),
        serde_json::json!({})
    );
    assert_eq!(env.rel(["config", "--shell"]).ok().stdout, "");

    env.rel(["config:set", "MYVAR=42", "RACK_ENV=production", "ML=a\nb"])
        .ok();
    let run = env.rel(["config"]).ok();
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "=== myapp Config Vars\nML:       a\n          b\nMYVAR:    42\nRACK_ENV: production\n"
    );
    let run = env.rel(["config", "--json"]).ok();
    assert_eq!(run.stderr, "");
    assert_eq!(
        json(&run),
        serde_json::json!({"ML": "a\nb", "MYVAR": "42", "RACK_ENV": "production"})
    );
    assert_eq!(
        env.rel(["config", "--shell"]).ok().stdout,
        "ML='a\nb'\nMYVAR='42'\nRACK_ENV='production'\n"
    );
    env.rel(["config", "--json", "--shell"]).code(2);
}

#[test]
fn config_json_and_shell_keep_awkward_values_exactly() {
    let env = Env::new();
    env.init();
    set_awkward(&env);
    let got = json(&env.rel(["config", "--json"]).ok());
    for (k, v) in AWKWARD {
        assert_eq!(got[k], v, "{k}");
        assert_eq!(
            env.rel(["config:get", k]).ok().stdout,
            format!("{v}\n"),
            "{k}"
        );
    }
    assert_shell_round_trip(&env, &["config", "--shell"]);
    assert_shell_round_trip(&env, &["config", "-s"]);
}

#[test]
fn config_space_forms_work() {
    let env = Env::new();
    env.init();
    let run = env.rel(["config", "set", "A=1"]).ok();
    assert!(run.stderr.ends_with("done, v1\n"), "{run:#?}");
    assert_eq!(env.rel(["config", "get", "A"]).ok().stdout, "1\n");
    env.rel(["config", "unset", "A"]).ok();
    assert_eq!(change(&env), "Remove A config vars");
    // Global options before the group still work.
    env.rel(["-q", "config", "set", "B=2"]).ok();
    env.rel(["-C", ".", "config", "get", "B"]).ok();
    assert_eq!(
        env.rel(["--lock-timeout", "5", "config", "get", "B"])
            .ok()
            .stdout,
        "2\n"
    );
}

#[test]
fn config_changes_with_a_slug_run_the_release_phase() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env.hook("release", "#!/bin/sh\necho \"release sees A=$A\"\n");
    let run = env.rel(["config:set", "A=1"]).ok();
    assert_eq!(
        run.stderr,
        "Adding config vars:\n  A => 1\nrelease sees A=1\nUpdating vars and restarting app... done, v2\n"
    );
    assert_eq!(
        env.rel(["releases:output"]).ok().stdout,
        "release sees A=1\n"
    );
}

#[test]
fn parallel_config_sets_lose_nothing() {
    let env = Env::new();
    env.init();
    let children: Vec<_> = (0..16)
        .map(|i| {
            env.cmd_in("app")
                .args(["-q", "config:set", &format!("K{i}={i}")])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let config = json(&env.rel(["config", "--json"]).ok());
    let want: serde_json::Map<String, serde_json::Value> = (0..16)
        .map(|i| (format!("K{i}"), serde_json::Value::from(i.to_string())))
        .collect();
    assert_eq!(config, serde_json::Value::Object(want));
    assert_eq!(manifests(&env).len(), 16);
    let list = json(&env.rel(["releases", "--json", "--all"]).ok());
    let versions: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, (1..=16).rev().collect::<Vec<u64>>());
}
