//! `rel releases:info` and `rel releases:output`: the aligned report, the
//! Rollback verdict, JSON, `--shell`, and both command forms.

use crate::common::Env;
use crate::porcelain::{OLD_DATE, assert_hex, assert_shell_round_trip, json, rel_at, set_awkward};

/// v1 Deploy, v2 Set MY_CONFIG_VAR, RACK_ENV, v3/v4 two add-ons; at OLD_DATE.
fn app(env: &Env) {
    env.init();
    env.source("src", "one");
    let at = |args: &[&str]| rel_at(env, OLD_DATE, args).ok();
    at(&["deploy", "../src", "--commit", "575bfa8e"]);
    at(&["config:set", "MY_CONFIG_VAR=42", "RACK_ENV=production"]);
    at(&["addons:add", "deployhooks:email"]);
    at(&["addons:add", "releases:advanced"]);
}

#[test]
fn info_is_aligned_as_the_reference_shows_it() {
    let env = Env::new();
    app(&env);
    let run = env.rel(["releases:info", "v4"]).ok();
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "\
=== Release v4
Change:      Add releases:advanced add-on
By:          tester@example.com
When:        2010-09-12 22:32:17 +0000
Addons:      deployhooks:email, releases:advanced
Config:      MY_CONFIG_VAR => 42
             RACK_ENV      => production
Rollback:    no (it is the current release)
"
    );
    // Default: current.
    assert_eq!(env.rel(["releases:info"]).ok().stdout, run.stdout);
    assert_eq!(
        env.rel(["releases:info", "current"]).ok().stdout,
        run.stdout
    );
}

#[test]
fn info_without_addons_or_config_has_no_trailing_spaces() {
    let env = Env::new();
    app(&env);
    let run = env.rel(["releases:info", "v1", "--date", "iso"]).ok();
    assert_eq!(
        run.stdout,
        "\
=== Release v1
Change:      Deploy 575bfa8
By:          tester@example.com
When:        2010-09-12T22:32:17+00:00
Addons:
Config:
Rollback:    no (add-ons differ: deployhooks, releases)
"
    );
    for line in run.stdout.lines() {
        assert_eq!(line, line.trim_end(), "trailing space in {line:?}");
    }
}

#[test]
fn a_multi_line_value_stays_under_its_column() {
    let env = Env::new();
    env.init();
    rel_at(&env, OLD_DATE, ["config:set", "A=one\ntwo", "LONGER=x"]).ok();
    let run = env.rel(["releases:info"]).ok();
    assert_eq!(
        run.stdout,
        "\
=== Release v1
Change:      Set A, LONGER config vars
By:          tester@example.com
When:        2010-09-12 22:32:17 +0000
Addons:
Config:      A      => one
                       two
             LONGER => x
Rollback:    no (it is the current release)
"
    );
}

#[test]
fn rollback_verdict_names_the_reason() {
    let env = Env::new();
    env.init();
    for (i, m) in ["a", "b", "c", "d"].iter().enumerate() {
        env.source(&format!("s{i}"), m);
    }
    env.rel(["deploy", "../s0"]).ok(); // v1: pruned below
    env.rel(["deploy", "../s1"]).ok(); // v2
    env.hook("release", "#!/bin/sh\nexit 1\n");
    env.rel(["deploy", "../s2"]).code(1); // v3: failed
    std::fs::remove_file(env.path("app/.releases/hooks/release")).unwrap();
    env.rel(["deploy", "../s3"]).ok(); // v4
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    env.rel(["addons:add", "memcachier:dev"]).ok(); // v5
    let verdict = |rev: &str| {
        let out = env.rel(["releases:info", rev]).ok().stdout;
        out.lines()
            .find_map(|l| l.strip_prefix("Rollback:    "))
            .unwrap_or_else(|| panic!("no Rollback line: {out}"))
            .to_string()
    };
    assert_eq!(verdict("v1"), "no (pruned)");
    assert_eq!(verdict("v3"), "no (failed)");
    assert_eq!(verdict("v4"), "no (add-ons differ: memcachier)");
    assert_eq!(verdict("v5"), "no (it is the current release)");
    env.rel(["addons:remove", "memcachier"]).ok(); // v6
    assert_eq!(verdict("v4"), "yes");
    let out = env.rel(["releases:info", "v1"]).ok().stdout;
    assert!(out.contains("\nChange:      Deploy "), "{out}");
    assert!(out.lines().nth(1).unwrap().ends_with(" (pruned)"), "{out}");
    let out = env.rel(["releases:info", "v3"]).ok().stdout;
    assert!(out.lines().nth(1).unwrap().ends_with(" (failed)"), "{out}");
}

#[test]
fn info_json_has_the_manifest_fields_and_current() {
    let env = Env::new();
    app(&env);
    env.rel(["addons:remove", "releases"]).ok(); // v5
    env.rel(["addons:add", "releases:advanced"]).ok(); // v6
    env.rel(["rollback", "v4"]).ok(); // v7
    let run = env.rel(["releases:info", "--json"]).ok();
    assert_eq!(run.stderr, "");
    let r = json(&run);
    assert_eq!(r["version"], 7);
    assert!(r["version"].is_u64());
    assert_eq!(r["rollback_of"], 4);
    assert!(r["rollback_of"].is_u64());
    assert_eq!(r["change"], "Rollback to v4");
    assert_eq!(r["current"], true);
    assert_eq!(r["status"], "succeeded");
    assert_eq!(r["commit"], "575bfa8e");
    assert_eq!(r["created_at"], crate::common::DATE);
    assert_hex(r["slug"].as_str().unwrap(), 64);
    assert_hex(r["config"].as_str().unwrap(), 64);
    assert_eq!(
        r["addons"],
        serde_json::json!([
            {"name": "deployhooks", "service": "deployhooks", "plan": "deployhooks:email"},
            {"name": "releases", "service": "releases", "plan": "releases:advanced"},
        ])
    );
    let old = json(&env.rel(["releases:info", "v1", "--json"]).ok());
    assert_eq!(old["current"], false);
    assert_eq!(old["created_at"], OLD_DATE);
    assert!(old.get("rollback_of").is_none());
    assert_eq!(old["addons"], serde_json::json!([]));
}

#[test]
fn info_shell_is_read_back_exactly_by_eval_and_by_sourcing() {
    let env = Env::new();
    env.init();
    set_awkward(&env);
    assert_shell_round_trip(&env, &["releases:info", "--shell"]);
    assert_shell_round_trip(&env, &["releases:info", "v1", "--shell"]);
    assert_eq!(env.rel(["releases:info", "--shell"]).ok().stderr, "");
}

#[test]
fn colon_and_space_forms_are_the_same_command() {
    let env = Env::new();
    app(&env);
    let colon = env.rel(["releases:info", "v2"]).ok().stdout;
    assert_eq!(env.rel(["releases", "info", "v2"]).ok().stdout, colon);
    assert_eq!(env.rel(["-q", "releases", "info", "v2"]).ok().stdout, colon);
    assert_eq!(
        env.rel(["releases", "info", "--json", "v2"]).ok().stdout,
        env.rel(["releases:info", "v2", "--json"]).ok().stdout
    );
}

#[test]
fn unknown_revisions_are_named() {
    let env = Env::new();
    app(&env);
    env.rel(["releases:info", "v9"])
        .fails_with("unknown revision 'v9'")
        .code(1);
    env.rel(["releases:info", "bogus"])
        .fails_with("unknown revision 'bogus'");
    env.rel(["releases:info", "current~7"])
        .fails_with("unknown revision 'current~7'");
    env.rel(["releases:output", "v0"])
        .fails_with("unknown revision 'v0'");
}

#[test]
fn output_prints_what_the_release_hook_printed() {
    let env = Env::new();
    env.init();
    env.hook(
        "release",
        "#!/bin/sh\necho \"release $REL_VERSION of $REL_APP\"\necho warn >&2\n",
    );
    env.source("src", "one");
    let run = env.rel(["deploy", "../src"]).ok();
    assert!(
        run.stderr.contains("release v1 of myapp\nwarn\n"),
        "{run:#?}"
    );
    for args in [
        vec!["releases:output", "v1"],
        vec!["releases", "output"],
        vec!["releases:output"],
    ] {
        let out = env.rel(&args).ok();
        assert_eq!(out.stdout, "release v1 of myapp\nwarn\n", "{args:?}");
        assert_eq!(out.stderr, "");
    }
    std::fs::remove_file(env.path("app/.releases/hooks/release")).unwrap();
    env.rel(["config:set", "A=1"]).ok();
    let out = env.rel(["releases:output", "v2"]).ok();
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "v2 has no release output: no release hook ran for it\n"
    );
}

/// `releases:info --json` carries what the human view shows: the config
/// vars and the rollback verdict with its reason.
#[test]
fn info_json_has_the_config_vars_and_the_rollback_verdict() {
    let env = Env::new();
    app(&env);
    let v2 = json(&env.rel(["releases:info", "v2", "--json"]).ok());
    assert_eq!(
        v2["config_vars"],
        serde_json::json!({"MY_CONFIG_VAR": "42", "RACK_ENV": "production"})
    );
    assert_eq!(
        v2["rollback"],
        serde_json::json!({"possible": false, "reason": "add-ons differ: deployhooks, releases"})
    );
    let human = env.rel(["releases:info", "v2"]).ok().stdout;
    assert!(
        human.ends_with("Rollback:    no (add-ons differ: deployhooks, releases)\n"),
        "{human}"
    );
    let v4 = json(&env.rel(["releases:info", "v4", "--json"]).ok());
    assert_eq!(
        v4["rollback"],
        serde_json::json!({"possible": false, "reason": "it is the current release"})
    );
    env.rel(["addons:remove", "releases"]).ok(); // v5
    let v3 = json(&env.rel(["releases:info", "v3", "--json"]).ok());
    assert_eq!(v3["rollback"], serde_json::json!({"possible": true}));
    assert!(
        env.rel(["releases:info", "v3"])
            .ok()
            .stdout
            .ends_with("Rollback:    yes\n")
    );
    let v1 = json(&env.rel(["releases:info", "v1", "--json"]).ok());
    assert_eq!(v1["config_vars"], serde_json::json!({}));
}
