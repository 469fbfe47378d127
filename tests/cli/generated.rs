//! man/ and completions/ are generated (`rel generate`) and checked in, so
//! packagers need no build step; this fails when they are stale, as
//! cargo's tests do for its generated files.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::Env;

const REGENERATE: &str =
    "cargo run -- generate man man && cargo run -- generate completions completions";

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        out.insert(name, std::fs::read(entry.path()).expect("read"));
    }
    out
}

#[track_caller]
fn check_fresh(what: &str) {
    let env = Env::new();
    env.rel_in(".", ["generate", what, "out"]).ok();
    let fresh = files(&env.path("out"));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = if what == "man" { "man" } else { "completions" };
    let checked_in = files(&repo.join(dir));
    let mut stale = Vec::new();
    for (name, content) in &fresh {
        match checked_in.get(name) {
            None => stale.push(format!("{dir}/{name} is missing")),
            Some(old) if old != content => stale.push(format!("{dir}/{name} differs")),
            Some(_) => {}
        }
    }
    for name in checked_in.keys().filter(|n| !fresh.contains_key(*n)) {
        stale.push(format!("{dir}/{name} is no longer generated; delete it"));
    }
    assert!(
        stale.is_empty(),
        "{dir}/ is stale ({}); regenerate it with:\n    {REGENERATE}",
        stale.join(", ")
    );
}

#[test]
fn man_pages_are_fresh() {
    check_fresh("man");
}

#[test]
fn completions_are_fresh() {
    check_fresh("completions");
}

#[test]
fn generation_is_reproducible() {
    // No clock, host or environment enters the output.
    let env = Env::new();
    env.rel_in(".", ["generate", "man", "a"]).ok();
    let mut other = env.cmd_in(".");
    other
        .args(["generate", "man", "b"])
        .env("REL_DATE", "2031-01-01T00:00:00Z")
        .env("TZ", "Asia/Tokyo");
    crate::common::run(&mut other, None).ok();
    assert_eq!(files(&env.path("a")), files(&env.path("b")));
}
