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
