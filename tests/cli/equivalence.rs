//! Porcelain is plumbing composed: each porcelain change and the pipeline
//! its man page shows make the same release, field for field.

use crate::common::Env;
use crate::porcelain::{json, sh_rel};

/// The manifest of `rev` as JSON, and its bytes on disk.
fn manifest(env: &Env, rev: &str) -> (serde_json::Value, Vec<u8>) {
    let r = json(&env.rel(["show-release", rev, "--json"]).ok());
    let v = r["version"].as_u64().unwrap();
    let bytes = std::fs::read(env.path(&format!("app/.releases/releases/v{v}.toml"))).unwrap();
    (r, bytes)
}

/// Asserts that two stores made the same release `rev`, are at the same
/// current release, and serve the same files.
#[track_caller]
fn assert_same(porcelain: &Env, plumbing: &Env, rev: &str) {
    let (a, a_bytes) = manifest(porcelain, rev);
    let (b, b_bytes) = manifest(plumbing, rev);
    assert_eq!(a, b);
    assert_eq!(
        String::from_utf8(a_bytes).unwrap(),
        String::from_utf8(b_bytes).unwrap()
    );
    assert_eq!(
        porcelain.rel(["rev-parse", "current"]).ok().stdout,
        plumbing.rel(["rev-parse", "current"]).ok().stdout
    );
    assert_eq!(
        std::fs::read_link(porcelain.path("app/current")).ok(),
        std::fs::read_link(plumbing.path("app/current")).ok()
    );
}

fn pair() -> (Env, Env) {
    let (a, b) = (Env::new(), Env::new());
    for env in [&a, &b] {
        env.init();
        env.source("src", "one");
        env.source("src2", "two");
    }
    (a, b)
}

#[test]
fn a_first_deploy_equals_write_slug_write_release_activate() {
    let (porcelain, plumbing) = pair();
    porcelain.rel(["deploy", "../src"]).ok();
    let run = sh_rel(
        &plumbing,
        r#"
        s=$(rel write-slug ../src)
        c=$(rel write-config </dev/null)
        v=$(rel write-release --slug "$s" --config "$c" --change "Deploy $(echo "$s" | cut -c1-7)")
        rel activate "$v"
        "#,
    );
    assert_eq!(run.code, 0, "{run:#?}");
    assert_same(&porcelain, &plumbing, "v1");
    let r = json(&porcelain.rel(["show-release", "v1", "--json"]).ok());
    assert_eq!(
        r["slug"],
        plumbing.rel(["write-slug", "-n", "../src"]).ok().line()
    );
}

#[test]
fn a_deploy_with_config_addons_and_commit_equals_the_pipeline() {
    let (porcelain, plumbing) = pair();
    for env in [&porcelain, &plumbing] {
        env.rel(["deploy", "../src"]).ok();
        env.rel(["config:set", "A=1", "B=two words"]).ok();
        env.rel(["addons:add", "memcachier:dev"]).ok();
        env.rel(["addons:add", "redis", "--as", "cache"]).ok();
    }
    porcelain
        .rel([
            "deploy",
            "../src2",
            "--commit",
            "de63889c20a96347679af2c5160c390727fa6749",
        ])
        .ok();
    // The man page's pipeline, add-ons named as the current release has them.
    let run = sh_rel(
        &plumbing,
        r#"
        s=$(rel write-slug ../src2)
        v=$(rel write-release --slug "$s" --config "$(rel rev-parse --config current)" \
            --addon cache=redis --addon memcachier=memcachier:dev \
            --change "Deploy de63889" --commit de63889c20a96347679af2c5160c390727fa6749)
        rel activate "$v"
        "#,
    );
    assert_eq!(run.code, 0, "{run:#?}");
    assert_same(&porcelain, &plumbing, "v5");
}

#[test]
fn a_config_change_equals_write_config_and_write_release() {
    let (porcelain, plumbing) = pair();
    for env in [&porcelain, &plumbing] {
        env.rel(["deploy", "../src"]).ok();
        env.rel(["config:set", "A=1"]).ok();
    }
    porcelain.rel(["config:set", "B=2"]).ok();
    let run = sh_rel(
        &plumbing,
        r#"
        c=$( { rel read-config "$(rel rev-parse --config current)"; echo B=2; } | rel write-config)
        v=$(rel write-release --slug "$(rel rev-parse --slug current)" --config "$c" \
            --change "Set B config vars")
        rel activate "$v"
        "#,
    );
    assert_eq!(run.code, 0, "{run:#?}");
    assert_same(&porcelain, &plumbing, "v3");
}

#[test]
fn a_rollback_equals_write_release_copy_of() {
    let (porcelain, plumbing) = pair();
    for env in [&porcelain, &plumbing] {
        env.rel(["deploy", "../src"]).ok();
        env.rel(["deploy", "../src2"]).ok();
    }
    porcelain.rel(["rollback"]).ok();
    let run = sh_rel(
        &plumbing,
        r#"rel activate "$(rel write-release --copy-of v1 --change 'Rollback to v1')""#,
    );
    assert_eq!(run.code, 0, "{run:#?}");
    assert_same(&porcelain, &plumbing, "v3");
    assert_eq!(
        json(&plumbing.rel(["show-release", "v3", "--json"]).ok())["rollback_of"],
        1
    );
}
