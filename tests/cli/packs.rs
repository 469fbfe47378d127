//! Store format 2: packs, where an object lives, and old stores.

use std::fs;

use crate::common::Env;
use crate::fixtures::store;

/// A store of format 1 (all loose, as an older rel wrote it) is read and
/// deployed to, rolled back and checked without a manual step.
#[test]
fn a_format_1_store_keeps_working() {
    let env = Env::new();
    env.init();
    fs::write(store(&env).join("format"), "rel-store 1\n").unwrap();
    let src = env.source("src", "one");
    env.rel(["deploy", src.to_str().unwrap()]).ok();
    env.write("src/index.html", "two");
    env.rel(["deploy", src.to_str().unwrap()]).ok();
    env.rel(["rollback"]).ok();
    env.rel(["fsck"]).ok();
    let format = fs::read_to_string(store(&env).join("format")).unwrap();
    assert!(
        format == "rel-store 1\n" || format == "rel-store 2\n",
        "{format}"
    );
}

/// `cat-object --where` names a loose object's file, relative to the store.
#[test]
fn where_names_a_loose_objects_file() {
    let env = Env::new();
    env.init();
    let config = env.rel(["config:set", "A=1"]).ok();
    drop(config);
    let id = env.rel(["rev-parse", "--config", "current"]).ok().line();
    let out = env.rel(["cat-object", "--where", &id[..10]]).ok().line();
    assert_eq!(out, format!("loose objects/{}/{}", &id[..2], &id[2..]));
    assert!(store(&env).join(&out["loose ".len()..]).is_file());
}
