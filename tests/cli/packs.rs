//! Store format 2: a deploy's small objects in one pack, where an object
//! lives, damaged packs and indexes, gc of packed objects, and old stores.

use std::fs;
use std::path::PathBuf;

use crate::common::Env;
use crate::fixtures::{
    entry_id, files_below, flip_object_bit, loose_objects, packed_objects, place, store, stored,
};

/// The pack files (`objects/pack/*.pack`).
fn packs(env: &Env) -> Vec<PathBuf> {
    files_below(&store(env).join("objects/pack"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .collect()
}

/// A source of `n` small files and one of `big` bytes, under `dir`.
fn source(env: &Env, dir: &str, n: usize, marker: &str) {
    for i in 0..n {
        env.write(
            &format!("{dir}/d{}/f{i}.txt", i % 7),
            &format!("{marker} {i}\n"),
        );
    }
}

fn deploy(env: &Env, dir: &str) -> String {
    env.rel(["deploy", &format!("../{dir}")]).ok();
    env.rel(["rev-parse", "--slug", "current"]).ok().line()
}

/// Makes every object and pack look older than any grace period.
fn age_objects(env: &Env) {
    crate::porcelain::sh(
        "find .releases/objects -type f -exec touch -d '2000-01-01' {} +",
        &env.path("app"),
    );
}

/// A cold deploy stores its small objects in one pack and its index, not
/// one file each; the store says format 2.
#[test]
fn a_deploy_writes_its_small_objects_into_one_pack() {
    let env = Env::new();
    env.init();
    source(&env, "src", 300, "one");
    env.write("src/big.bin", &"x".repeat(1_200_000));
    let slug = deploy(&env, "src");
    assert_eq!(packs(&env).len(), 1);
    assert!(store(&env).join("objects/pack").read_dir().unwrap().count() == 2);
    // Loose: the large blob, and the config snapshot.
    assert_eq!(loose_objects(&env).len(), 2, "{:?}", loose_objects(&env));
    assert!(packed_objects(&env).len() > 300);
    assert!(place(&env, &entry_id(&env, &slug, "d0/f0.txt")).1.is_some());
    assert!(place(&env, &entry_id(&env, &slug, "big.bin")).1.is_none());
    assert_eq!(
        fs::read_to_string(store(&env).join("format")).unwrap(),
        "rel-store 2\n"
    );
    assert!(files_below(&store(&env).join("tmp")).is_empty());
    env.rel(["fsck"]).ok();
    // A checkout from the pack alone.
    env.rel(["checkout-slug", &slug, "../out"]).ok();
    assert_eq!(
        fs::read_to_string(env.path("out/d3/f3.txt")).unwrap(),
        "one 3\n"
    );
    // A tar stream too.
    let tar = std::process::Command::new("tar")
        .args(["-C", "src", "-cf", "-", "."])
        .current_dir(env.path(""))
        .output()
        .unwrap();
    assert!(tar.status.success());
    let tar = tar.stdout;
    let env2 = Env::new();
    env2.init();
    env2.rel_stdin(["deploy", "-"], &tar).ok();
    assert_eq!(packs(&env2).len(), 1);
    assert_eq!(loose_objects(&env2).len(), 2, "{:?}", loose_objects(&env2));
    env2.rel(["fsck"]).ok();
}

/// One flipped bit in a packed object: fsck names the object, its pack and
/// its offset; reads refuse it.
#[test]
fn a_corrupt_packed_object_is_named_with_its_pack_and_offset() {
    let env = Env::new();
    env.init();
    source(&env, "src", 20, "one");
    let slug = deploy(&env, "src");
    let blob = entry_id(&env, &slug, "d2/f9.txt");
    let (pack, span) = place(&env, &blob);
    let (offset, _) = span.expect("packed");
    flip_object_bit(&env, &blob);
    let run = env.rel(["fsck"]).code(1);
    let name = pack.file_name().unwrap().to_string_lossy().into_owned();
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(&blob))
        .unwrap_or_else(|| panic!("{run:#?}"));
    assert!(
        line.contains(&name) && line.contains(&format!("offset {offset}")),
        "{line}"
    );
    // The pack as a whole fails its hash too.
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains(&name) && l.contains("hash")),
        "{run:#?}"
    );
    env.rel(["cat-object", &blob]).code(1).fails_with(&blob);
    fs::remove_dir_all(store(&env).join("checkouts").join(&slug)).unwrap();
    env.rel(["activate", "v1"]).code(1).fails_with(&blob);
}

/// A damaged or truncated index is an error naming it, never a panic.
#[test]
fn a_damaged_index_is_named() {
    let env = Env::new();
    env.init();
    source(&env, "src", 20, "one");
    let slug = deploy(&env, "src");
    let idx = packs(&env)[0].with_extension("idx");
    let bytes = fs::read(&idx).unwrap();
    for damage in ["flip", "truncate"] {
        let mut bad = bytes.clone();
        match damage {
            "flip" => bad[100] ^= 1,
            _ => bad.truncate(bad.len() / 2),
        }
        fs::remove_file(&idx).unwrap();
        fs::write(&idx, &bad).unwrap();
        let run = env.rel(["ls-slug", &slug]).code(1);
        assert!(
            run.stderr.contains(&idx.display().to_string()),
            "{damage}: {run:#?}"
        );
        let run = env.rel(["fsck"]).code(1);
        assert!(
            run.stdout.contains(&idx.display().to_string()),
            "{damage}: {run:#?}"
        );
    }
}

/// gc deletes unneeded packed objects by rewriting their pack without
/// them, keeps a pack younger than the grace period whole, and packs the
/// small loose objects (config snapshots).
#[test]
fn gc_rewrites_packs_without_unneeded_objects() {
    let env = Env::new();
    env.init();
    source(&env, "a", 30, "first");
    let first = deploy(&env, "a");
    env.rel(["config:set", "A=1"]).ok();
    source(&env, "b", 30, "second");
    deploy(&env, "b");
    source(&env, "c", 30, "third");
    let third = deploy(&env, "c");
    let gone = entry_id(&env, &first, "d1/f1.txt");
    let kept = entry_id(&env, &third, "d1/f1.txt");
    // Young: kept whole.
    env.rel(["gc", "--keep", "1"]).ok();
    assert!(stored(&env, &gone) && stored(&env, &first));
    age_objects(&env);
    let run = env.rel(["gc", "--keep", "1"]).ok();
    assert!(run.stderr.contains("pruned v1"), "{run:#?}");
    assert!(
        !stored(&env, &gone) && !stored(&env, &first),
        "v1's objects are gone"
    );
    assert!(stored(&env, &kept) && stored(&env, &third));
    // Loose config snapshots were packed: only packs remain.
    assert!(loose_objects(&env).is_empty(), "{:?}", loose_objects(&env));
    env.rel(["fsck"]).ok();
    env.rel(["checkout-slug", &third, "../out"]).ok();
    // No object is stored twice.
    let mut ids: Vec<String> = packed_objects(&env).into_iter().map(|p| p.id).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
}

/// A pack per deploy, but never more than a few: deploys merge them.
#[test]
fn packs_are_merged_so_lookups_stay_flat() {
    let env = Env::new();
    env.init();
    let mut slugs = Vec::new();
    for i in 0..12 {
        source(&env, &format!("s{i}"), 5, &format!("deploy {i}"));
        slugs.push(deploy(&env, &format!("s{i}")));
        assert!(
            packs(&env).len() <= 8,
            "after deploy {i}: {:?}",
            packs(&env)
        );
    }
    for slug in &slugs {
        assert!(stored(&env, slug));
    }
    env.rel(["fsck"]).ok();
}

/// A pack without its index (a writer died between the two renames) is
/// invisible, and gc removes it once it is old.
#[test]
fn a_pack_without_its_index_is_ignored_then_collected() {
    let env = Env::new();
    env.init();
    source(&env, "src", 10, "one");
    deploy(&env, "src");
    let pack = packs(&env)[0].clone();
    let orphan = pack.with_file_name(format!("pack-{}.pack", "0".repeat(64)));
    fs::copy(&pack, &orphan).unwrap();
    env.rel(["fsck"]).ok();
    env.rel(["gc"]).ok();
    assert!(orphan.exists(), "young: kept");
    age_objects(&env);
    env.rel(["gc"]).ok();
    assert!(!orphan.exists());
    env.rel(["fsck"]).ok();
}

/// A store of format 1 (all loose, as an older rel wrote it) is read,
/// deployed to, rolled back and checked without a manual step; it becomes
/// format 2 with its first pack, and gc packs its loose objects.
#[test]
fn a_format_1_store_keeps_working() {
    let env = Env::new();
    env.init();
    fs::write(store(&env).join("format"), "rel-store 1\n").unwrap();
    env.rel(["config:set", "A=1"]).ok();
    assert_eq!(
        fs::read_to_string(store(&env).join("format")).unwrap(),
        "rel-store 1\n",
        "a loose object leaves the format alone"
    );
    let src = env.source("src", "one");
    env.rel(["deploy", src.to_str().unwrap()]).ok();
    env.write("src/index.html", "two");
    env.rel(["deploy", src.to_str().unwrap()]).ok();
    env.rel(["rollback"]).ok();
    env.rel(["fsck"]).ok();
    assert_eq!(
        fs::read_to_string(store(&env).join("format")).unwrap(),
        "rel-store 2\n"
    );
    env.rel(["gc"]).ok();
    assert!(loose_objects(&env).is_empty());
    env.rel(["fsck"]).ok();
}

/// `cat-object --where` names a loose object's file, relative to the store.
#[test]
fn where_names_a_loose_objects_file() {
    let env = Env::new();
    env.init();
    env.rel(["config:set", "A=1"]).ok();
    let id = env.rel(["rev-parse", "--config", "current"]).ok().line();
    let out = env.rel(["cat-object", "--where", &id[..10]]).ok().line();
    assert_eq!(out, format!("loose objects/{}/{}", &id[..2], &id[2..]));
    assert!(store(&env).join(&out["loose ".len()..]).is_file());
}

/// A slug that arrived as a pack (a push) can be deployed again: the
/// deploy's size line counts packed objects as stored, never as missing.
#[test]
fn a_pushed_slug_deploys_again_from_its_pack() {
    let env = Env::new();
    env.rel_in(".", ["init", "staging", "--name", "staging"])
        .ok();
    env.init();
    let src = env.source("src", "one");
    env.rel_in("staging", ["deploy", src.to_str().unwrap()])
        .ok();
    let app = env.path("app");
    env.rel_in("staging", ["push", app.to_str().unwrap()]).ok();
    assert!(store(&env).join("objects/pack").read_dir().unwrap().count() > 0);
    env.rel(["deploy", src.to_str().unwrap(), "--force"]).ok();
    env.write("src/new.txt", "new");
    env.rel(["deploy", src.to_str().unwrap()]).ok();
    env.rel(["fsck"]).ok();
}
