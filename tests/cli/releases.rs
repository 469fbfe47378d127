//! `rel releases`: the header, the table, When (relative under 24 hours,
//! else local time with offset, or `--date iso`), failed and pruned marks,
//! `-n`/`--all`, JSON.

use crate::common::{Env, run};
use crate::porcelain::{OLD_DATE, ago, assert_hex, json, rel_at, rel_env};

/// v1 Deploy de63889 by stephan, v2 Set MYVAR, v3 Add memcachier, v4
/// Deploy 7c35f77, v5 Rollback to v3; all at OLD_DATE.
fn history(env: &Env) {
    env.init();
    env.source("src", "one");
    env.source("src2", "two");
    let at = |args: &[&str]| rel_at(env, OLD_DATE, args).ok();
    at(&[
        "deploy",
        "../src",
        "--commit",
        "de63889c20a96347679af2c5160c390727fa6749",
        "--by",
        "stephan@example.com",
    ]);
    at(&["config:set", "MYVAR=42"]);
    at(&["addons:add", "memcachier"]);
    at(&["deploy", "../src2", "--commit", "7c35f77"]);
    at(&["rollback", "v3"]);
}

#[test]
fn releases_shows_a_header_and_the_table_newest_first() {
    let env = Env::new();
    history(&env);
    let run = env.rel(["releases"]).ok();
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "\
=== myapp Releases - Current: v5
Rel  Change                 By                   When
---  ---------------------  -------------------  -------------------------
v5   Rollback to v3         tester@example.com   2010-09-12 22:32:17 +0000
v4   Deploy 7c35f77         tester@example.com   2010-09-12 22:32:17 +0000
v3   Add memcachier add-on  tester@example.com   2010-09-12 22:32:17 +0000
v2   Set MYVAR config vars  tester@example.com   2010-09-12 22:32:17 +0000
v1   Deploy de63889         stephan@example.com  2010-09-12 22:32:17 +0000
"
    );
}

#[test]
fn releases_before_any_release_says_so() {
    let env = Env::new();
    env.init();
    let run = env.rel(["releases"]).ok();
    assert_eq!(
        run.stdout,
        "=== myapp Releases - Current: none\nNo releases yet\n"
    );
    assert_eq!(run.stderr, "");
    let run = env.rel(["releases", "--json"]).ok();
    assert_eq!(json(&run), serde_json::json!([]));
}

#[test]
fn when_is_local_time_with_its_offset_and_iso_on_request() {
    let env = Env::new();
    history(&env);
    let last = |run: crate::common::Run| run.ok().stdout.lines().nth(3).unwrap().to_string();
    assert!(last(env.rel(["releases", "--date", "iso"])).ends_with("  2010-09-12T22:32:17+00:00"));
    let east = [("TZ", Some("XYZ-2"))];
    assert!(last(rel_env(&env, &east, ["releases"])).ends_with("  2010-09-13 00:32:17 +0200"),);
    assert!(
        last(rel_env(&env, &east, ["releases", "--date", "iso"]))
            .ends_with("  2010-09-13T00:32:17+02:00")
    );
    // JSON stays in UTC whatever the zone.
    let list = json(&rel_env(&env, &east, ["releases", "--json"]).ok());
    assert_eq!(list[0]["created_at"], "2010-09-12T22:32:17Z");
}

#[test]
fn when_is_relative_under_a_day() {
    let env = Env::new();
    env.init();
    let day_old = ago(26 * 3600);
    rel_at(&env, &day_old, ["config:set", "A=1"]).ok();
    rel_at(&env, &ago(2 * 3600 + 1800), ["config:set", "A=2"]).ok();
    rel_at(&env, &ago(3600 + 1800), ["config:set", "A=3"]).ok();
    rel_at(&env, &ago(5 * 60 + 5), ["config:set", "A=4"]).ok();
    let out = env.rel(["releases"]).ok().stdout;
    let when: Vec<&str> = out
        .lines()
        .skip(3)
        .map(|l| l.split("tester@example.com").nth(1).unwrap().trim())
        .collect();
    // The run takes seconds; the first allows a minute of slack.
    assert!(
        when[0] == "5 minutes ago" || when[0] == "6 minutes ago",
        "{out}"
    );
    assert_eq!(when[1], "1 hour ago", "{out}");
    assert_eq!(when[2], "2 hours ago", "{out}");
    let absolute = day_old.parse::<jiff::Timestamp>().unwrap();
    assert_eq!(
        when[3],
        absolute.strftime("%Y-%m-%d %H:%M:%S +0000").to_string(),
        "{out}"
    );
}

#[test]
fn date_relative_is_relative_for_every_release() {
    let env = Env::new();
    env.init();
    let day = 86_400;
    let ages = [
        (800 * day, "2 years, 2 months ago"),
        (400 * day, "1 year, 1 month ago"),
        (100 * day, "3 months ago"),
        (20 * day, "2 weeks ago"),
        (3 * day + 60, "3 days ago"),
        (26 * 3600, "1 day ago"),
        (2 * 3600 + 1800, "2 hours ago"),
    ];
    for (i, (secs, _)) in ages.iter().enumerate() {
        rel_at(&env, &ago(*secs), ["config:set", &format!("A={i}")]).ok();
    }
    let out = env.rel(["releases", "--date", "relative"]).ok().stdout;
    let when: Vec<&str> = out
        .lines()
        .skip(3)
        .map(|l| l.split("tester@example.com").nth(1).unwrap().trim())
        .collect();
    let mut want: Vec<&str> = ages.iter().map(|(_, w)| *w).collect();
    want.reverse();
    assert_eq!(when, want, "{out}");
    // releases:info too; without --date, a day-old release shows its time.
    let run = env.rel(["releases:info", "v1", "--date", "relative"]).ok();
    assert!(
        run.stdout
            .contains("\nWhen:        2 years, 2 months ago\n"),
        "{run:#?}"
    );
    let run = env.rel(["releases:info", "v6"]).ok();
    assert!(!run.stdout.contains(" ago\n"), "{run:#?}");
}

#[test]
fn failed_and_pruned_releases_say_so() {
    let env = Env::new();
    env.init();
    for (i, m) in ["a", "b", "c", "d"].iter().enumerate() {
        env.source(&format!("s{i}"), m);
    }
    let at = |args: &[&str]| rel_at(&env, OLD_DATE, args);
    at(&["deploy", "../s0", "--commit", "1111111"]).ok();
    at(&["deploy", "../s1", "--commit", "2222222"]).ok();
    env.hook("release", "#!/bin/sh\nexit 1\n");
    at(&["deploy", "../s2", "--commit", "3333333"]).code(1);
    std::fs::remove_file(env.path("app/.releases/hooks/release")).unwrap();
    at(&["deploy", "../s3", "--commit", "4444444"]).ok();
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    let run = env.rel(["releases"]).ok();
    assert_eq!(
        run.stdout,
        "\
=== myapp Releases - Current: v4
Rel  Change                   By                  When
---  -----------------------  ------------------  -------------------------
v4   Deploy 4444444           tester@example.com  2010-09-12 22:32:17 +0000
v3   Deploy 3333333 (failed)  tester@example.com  2010-09-12 22:32:17 +0000
v2   Deploy 2222222           tester@example.com  2010-09-12 22:32:17 +0000
v1   Deploy 1111111 (pruned)  tester@example.com  2010-09-12 22:32:17 +0000
"
    );
    let list = json(&env.rel(["releases", "--json"]).ok());
    assert_eq!(list[1]["status"], "failed");
    assert_eq!(list[3]["pruned"], true);
    assert_eq!(list[0]["pruned"], false);
}

#[test]
fn n_defaults_to_15_and_all_shows_everything() {
    let env = Env::new();
    env.init();
    for i in 1..=17 {
        env.rel(["config:set", &format!("K={i}")]).ok();
    }
    let rows = |run: crate::common::Run| -> Vec<String> {
        run.ok()
            .stdout
            .lines()
            .skip(3)
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect()
    };
    let all: Vec<String> = (1..=17).rev().map(|v| format!("v{v}")).collect();
    assert_eq!(rows(env.rel(["releases"])), all[..15]);
    assert_eq!(rows(env.rel(["releases", "-n", "3"])), all[..3]);
    assert_eq!(rows(env.rel(["releases", "--num", "20"])), all);
    assert_eq!(rows(env.rel(["releases", "--all"])), all);
    assert_eq!(
        env.rel(["releases", "-n", "0"]).ok().stdout,
        "=== myapp Releases - Current: v17\nRel  Change  By  When\n---  ------  --  ----\n"
    );

    let versions = |run: crate::common::Run| -> Vec<u64> {
        json(&run.ok())
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["version"].as_u64().unwrap())
            .collect()
    };
    let all: Vec<u64> = (1..=17).rev().collect();
    assert_eq!(versions(env.rel(["releases", "--json"])), all[..15]);
    assert_eq!(
        versions(env.rel(["releases", "--json", "-n", "2"])),
        all[..2]
    );
    assert_eq!(versions(env.rel(["releases", "--json", "--all"])), all);
    env.rel(["releases", "-n", "2", "--all"]).code(2);
}

#[test]
fn releases_json_is_an_array_of_manifests_newest_first() {
    let env = Env::new();
    history(&env);
    let run = env.rel(["releases", "--json"]).ok();
    assert_eq!(run.stderr, "");
    let list = json(&run);
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), 5);
    for (i, r) in list.iter().enumerate() {
        assert_eq!(r["version"].as_u64(), Some(5 - i as u64), "{r}");
        assert!(r["version"].is_u64());
        assert_eq!(r["created_at"], OLD_DATE);
        assert_eq!(r["current"], i == 0, "{r}");
        assert!(r["current"].is_boolean());
        assert_eq!(r["status"], "succeeded");
        assert!(r["by"].as_str().unwrap().contains('@'));
        assert_hex(r["slug"].as_str().unwrap(), 64);
        assert_hex(r["config"].as_str().unwrap(), 64);
        assert!(r["addons"].is_array());
    }
    assert_eq!(list[0]["change"], "Rollback to v3");
    assert_eq!(list[0]["rollback_of"], 3);
    assert!(list[0]["rollback_of"].is_u64());
    assert_eq!(list[0]["slug"], list[2]["slug"]);
    assert_eq!(list[0]["config"], list[2]["config"]);
    assert_eq!(
        list[0]["addons"],
        serde_json::json!([{"name": "memcachier", "service": "memcachier", "plan": "memcachier"}])
    );
    assert!(list[1].get("rollback_of").is_none());
    assert_eq!(list[1]["commit"], "7c35f77");
    assert_eq!(
        list[4]["commit"],
        "de63889c20a96347679af2c5160c390727fa6749"
    );
    assert_eq!(list[4]["by"], "stephan@example.com");
    // JSON timestamps parse as RFC 3339 in UTC.
    let ts: jiff::Timestamp = list[0]["created_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(ts.to_string(), OLD_DATE);
}

#[test]
fn long_changes_are_never_cut_when_stdout_is_not_a_terminal() {
    let env = Env::new();
    env.init();
    let keys: Vec<String> = (0..12)
        .map(|i| format!("A_RATHER_LONG_CONFIG_VARIABLE_NAME_{i}=x"))
        .collect();
    let mut args = vec!["config:set".to_string()];
    args.extend(keys.iter().cloned());
    rel_at(&env, OLD_DATE, &args).ok();
    let change = format!(
        "Set {} config vars",
        keys.iter()
            .map(|k| k.trim_end_matches("=x"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut cmd = env.cmd_in("app");
    cmd.env("COLUMNS", "40").args(["releases"]);
    let out = run(&mut cmd, None).ok().stdout;
    assert!(
        out.contains(&format!("v1   {change}  tester@example.com")),
        "{out}"
    );
}

#[test]
fn releases_outside_a_store_is_one_line() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("app")).unwrap();
    env.rel(["releases"]).fails_with("rel init").code(1);
}

#[test]
fn releases_retry_runs_the_newest_release_phase_again_in_a_new_release() {
    let env = Env::new();
    env.init();
    env.rel(["releases:retry"])
        .code(1)
        .fails_with("there is no release to retry; deploy first (rel deploy DIR)");
    env.rel(["addons:add", "memcachier:dev", "--config", "MC=1"])
        .ok(); // v1
    env.rel(["releases:retry"])
        .code(1)
        .fails_with("v1 has no slug, so it has no release phase to retry");
    // A release phase that fails while the database is down.
    let up = env.path("db-up");
    let hook = format!(
        "#!/bin/sh\n[ -f '{}' ] || {{ echo 'db down'; exit 1; }}\necho \"migrated $REL_VERSION $MC\"\n",
        up.display()
    );
    env.hook("release", &hook);
    env.source("src", "one");
    let sha = "de63889c20a96347679af2c5160c390727fa6749";
    env.rel(["deploy", "../src", "--commit", sha]).code(1); // v2, failed
    assert_eq!(crate::porcelain::current(&env), "v1");

    let run = env.rel(["releases:retry"]).code(1); // v3, failed again
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "db down\nRetrying v2 on myapp... failed, v3\n\
         rel: error: v3 failed: the release hook failed, so v3 was not activated; its output: 'rel releases:output v3'\n"
    );
    std::fs::write(&up, "").unwrap();
    let run = env.rel(["releases", "retry"]).ok(); // v4; the space form too
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "migrated v4 1\nRetrying v3 on myapp... done, v4\n"
    );
    assert_eq!(crate::porcelain::current(&env), "v4");

    let v2 = json(&env.rel(["releases:info", "v2", "--json"]).ok());
    let v4 = json(&env.rel(["releases:info", "v4", "--json"]).ok());
    assert_eq!(v4["change"], "Retry v3");
    assert_eq!(v4["status"], "succeeded");
    for field in ["slug", "config", "addons", "commit"] {
        assert_eq!(v4[field], v2[field], "{field}");
    }
    assert_eq!(v4["commit"], sha);
    assert_eq!(v4.get("rollback_of"), None);
    assert_eq!(
        std::fs::read_to_string(env.path("app/current/index.html")).unwrap(),
        "one"
    );
}
