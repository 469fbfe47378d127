//! `rel diff`: config keys (values only with --values), add-ons, files
//! A/M/D and --stat, between the releases named or defaulted.

use crate::common::{Env, set_mode};

/// v1 deploy, v2 config A B, v3 add-on, v4 deploy of a changed tree, v5
/// config change (A changed, B removed, C added).
fn history(env: &Env) {
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env.rel(["config:set", "A=1", "B=two words"]).ok();
    env.rel(["addons:add", "memcachier:dev"]).ok();
    env.write("src/index.html", "two");
    std::fs::remove_file(env.path("src/lib/util.txt")).unwrap();
    env.write("src/new.txt", "new\n");
    env.write("src/sub/deep/file", "deep\n");
    set_mode(&env.path("src/bin/run"), 0o644);
    std::fs::remove_file(env.path("src/home.html")).unwrap();
    std::os::unix::fs::symlink("new.txt", env.path("src/home.html")).unwrap();
    env.rel(["deploy", "../src"]).ok();
    env.rel(["config:set", "A=1\n2", "C=3"]).ok();
    env.rel(["config:unset", "B"]).ok();
}

#[test]
fn default_compares_the_release_before_current_with_current() {
    let env = Env::new();
    history(&env);
    let run = env.rel(["diff"]).ok();
    assert_eq!(run.stderr, "");
    assert_eq!(run.stdout, "Config:\n- B\n");
    let run = env.rel(["diff", "v3", "v4"]).ok();
    assert_eq!(
        run.stdout,
        "Files:\nM\tbin/run\nM\thome.html\nM\tindex.html\nD\tlib/util.txt\nA\tnew.txt\nA\tsub/deep/file\n"
    );
}

#[test]
fn one_revision_compares_it_with_current() {
    let env = Env::new();
    history(&env);
    let run = env.rel(["diff", "v1"]).ok();
    assert_eq!(
        run.stdout,
        "\
Config:
+ A
+ C
Add-ons:
+ memcachier (memcachier:dev)
Files:
M\tbin/run
M\thome.html
M\tindex.html
D\tlib/util.txt
A\tnew.txt
A\tsub/deep/file
"
    );
    assert_eq!(env.rel(["diff", "v1", "current"]).ok().stdout, run.stdout);
}

#[test]
fn values_only_with_values() {
    let env = Env::new();
    history(&env);
    assert_eq!(
        env.rel(["diff", "v2", "v6"]).ok().stdout,
        "\
Config:
~ A
- B
+ C
Add-ons:
+ memcachier (memcachier:dev)
Files:
M\tbin/run
M\thome.html
M\tindex.html
D\tlib/util.txt
A\tnew.txt
A\tsub/deep/file
"
    );
    let run = env.rel(["diff", "v2", "v6", "--values", "--stat"]).ok();
    assert_eq!(
        run.stdout,
        "\
Config:
~ A=1 -> 1\\n2
- B=two words
+ C=3
Add-ons:
+ memcachier (memcachier:dev)
Files:
 6 files changed, 2 added, 3 modified, 1 deleted
"
    );
}

#[test]
fn addon_plan_changes_and_removals() {
    let env = Env::new();
    env.init();
    env.rel(["addons:add", "memcachier:dev"]).ok();
    env.rel(["addons:add", "redis", "--as", "cache"]).ok();
    env.rel(["addons:upgrade", "memcachier", "100"]).ok();
    env.rel(["addons:remove", "cache"]).ok();
    assert_eq!(
        env.rel(["diff", "v2"]).ok().stdout,
        "Add-ons:\n- cache (redis)\n~ memcachier (memcachier:dev -> memcachier:100)\n"
    );
    // Backwards, too.
    assert_eq!(
        env.rel(["diff", "current", "v2"]).ok().stdout,
        "Add-ons:\n+ cache (redis)\n~ memcachier (memcachier:100 -> memcachier:dev)\n"
    );
}

#[test]
fn a_directory_that_becomes_a_file_and_back() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    std::fs::remove_dir_all(env.path("src/lib")).unwrap();
    env.write("src/lib", "now a file\n");
    env.rel(["deploy", "../src"]).ok();
    assert_eq!(
        env.rel(["diff"]).ok().stdout,
        "Files:\nD\tlib/util.txt\nA\tlib\n"
    );
    assert_eq!(
        env.rel(["diff", "v2", "v1"]).ok().stdout,
        "Files:\nD\tlib\nA\tlib/util.txt\n"
    );
}

#[test]
fn the_same_release_has_no_differences() {
    let env = Env::new();
    history(&env);
    let run = env.rel(["diff", "v4", "v4"]).ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    env.rel(["rollback", "v5"]).ok();
    assert_eq!(env.rel(["diff", "v5"]).ok().stdout, "");
}

#[test]
fn a_pruned_slug_is_not_compared() {
    let env = Env::new();
    env.init();
    for (i, m) in ["a", "b", "c"].iter().enumerate() {
        env.source(&format!("s{i}"), m);
        env.rel(["deploy", &format!("../s{i}")]).ok();
    }
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    assert_eq!(
        env.rel(["diff", "v1"]).ok().stdout,
        "Files: not compared (v1 or v3 was pruned)\n"
    );
}

#[test]
fn unknown_revisions_are_refused() {
    let env = Env::new();
    env.init();
    env.rel(["diff"]).fails_with("no release is current yet");
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env.rel(["diff"]).fails_with("unknown revision 'current~1'");
    env.rel(["diff", "v1", "v5"])
        .fails_with("unknown revision 'v5'");
    env.rel(["diff", "x"]).fails_with("unknown revision 'x'");
    env.rel(["diff", "v1", "v1", "v1"]).code(2);
}

fn json(run: &crate::common::Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run:#?}"))
}

/// `diff --json` is the report the human view prints: named fields, values
/// only with --values.
#[test]
fn json_is_the_same_diff_with_named_fields() {
    let env = Env::new();
    history(&env);
    let run = env.rel(["diff", "v1", "--json"]).ok();
    assert_eq!(run.stderr, "");
    let d = json(&run);
    assert_eq!(d["from"], 1);
    assert_eq!(d["to"], 6);
    assert_eq!(
        d["config"],
        serde_json::json!([
            {"key": "A", "change": "added"},
            {"key": "C", "change": "added"},
        ])
    );
    assert_eq!(
        d["addons"],
        serde_json::json!([
            {"name": "memcachier", "change": "added", "new_plan": "memcachier:dev"},
        ])
    );
    // Each file line of the human view, from the JSON.
    let letter = |c: &serde_json::Value| match c.as_str().unwrap() {
        "added" => "A",
        "modified" => "M",
        "deleted" => "D",
        other => panic!("unknown change {other}"),
    };
    let files: String = d["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}\t{}\n",
                letter(&f["change"]),
                f["path"].as_str().unwrap()
            )
        })
        .collect();
    let human = env.rel(["diff", "v1"]).ok().stdout;
    assert!(human.ends_with(&format!("Files:\n{files}")), "{human}");
    assert_eq!(files.lines().count(), 6);

    let values = json(&env.rel(["diff", "v2", "v6", "--json", "--values"]).ok());
    assert_eq!(
        values["config"],
        serde_json::json!([
            {"key": "A", "change": "modified", "old": "1", "new": "1\n2"},
            {"key": "B", "change": "deleted", "old": "two words"},
            {"key": "C", "change": "added", "new": "3"},
        ])
    );
    assert_eq!(
        env.rel(["diff", "v2", "v6", "--values"]).ok().stdout,
        "Config:\n~ A=1 -> 1\\n2\n- B=two words\n+ C=3\nAdd-ons:\n+ memcachier (memcachier:dev)\nFiles:\nM\tbin/run\nM\thome.html\nM\tindex.html\nD\tlib/util.txt\nA\tnew.txt\nA\tsub/deep/file\n"
    );
    let run = env.rel(["diff", "--json", "--stat"]).code(2);
    assert!(run.stderr.contains("--stat"), "{run:#?}");
}

#[test]
fn json_says_files_were_not_compared_as_null() {
    let env = Env::new();
    env.init();
    for (i, m) in ["a", "b", "c"].iter().enumerate() {
        env.source(&format!("s{i}"), m);
        env.rel(["deploy", &format!("../s{i}")]).ok();
    }
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    let d = json(&env.rel(["diff", "v1", "--json"]).ok());
    assert_eq!(d["files"], serde_json::Value::Null);
    assert_eq!(d["config"], serde_json::json!([]));
}
