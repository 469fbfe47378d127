//! Large files (16 MiB and more): stored one at a time on every core, written
//! past the page cache, and, in a deploy, checked out from a plain copy made
//! while they were stored. Whatever the path, the checkout holds the source's
//! bytes and modes, fsck is clean and nothing is left in `tmp/`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use crate::common::{Env, set_mode};
use crate::fixtures::{entry_id, object_path, store};
use crate::porcelain::slug_of;

const MIB: usize = 1 << 20;

/// Deterministic bytes, half compressible, that no two sizes share.
fn bytes(size: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..size)
        .map(|i| {
            if (i / 4096) % 2 == 0 {
                (i % 251) as u8
            } else {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            }
        })
        .collect()
}

/// `src/` with two large files (one executable), the same large content at
/// two paths, a medium and a small file.
fn large_source(env: &Env) {
    let src = env.path("src");
    fs::create_dir_all(src.join("data")).unwrap();
    fs::write(src.join("data/big.bin"), bytes(20 * MIB + 123, 1)).unwrap();
    fs::write(src.join("tool"), bytes(17 * MIB, 2)).unwrap();
    set_mode(&src.join("tool"), 0o755);
    fs::write(src.join("data/copy.bin"), bytes(20 * MIB + 123, 1)).unwrap();
    fs::write(src.join("medium.bin"), bytes(3 * MIB + 1, 3)).unwrap();
    fs::write(src.join("small.txt"), "small\n").unwrap();
}

#[track_caller]
fn assert_same_tree(src: &Path, out: &Path) {
    for rel in [
        "data/big.bin",
        "data/copy.bin",
        "tool",
        "medium.bin",
        "small.txt",
    ] {
        let (a, b) = (src.join(rel), out.join(rel));
        assert!(
            fs::read(&a).unwrap() == fs::read(&b).unwrap(),
            "{rel} differs"
        );
        let exec = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o100 != 0;
        assert_eq!(exec(&a), exec(&b), "{rel}: executable bit");
    }
}

#[track_caller]
fn assert_clean(env: &Env) {
    let run = env.rel(["fsck"]).ok();
    assert!(run.stdout.is_empty(), "{run:#?}");
    let left: Vec<_> = fs::read_dir(store(env).join("tmp")).unwrap().collect();
    assert!(left.is_empty(), "tmp/ holds {left:?}");
}

fn deploy_and_check(env: &Env) {
    let want = slug_of(env, "src");
    env.rel(["deploy", "../src"]).ok();
    let slug = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    assert_eq!(slug, want);
    assert_same_tree(&env.path("src"), &env.path("app/current"));
    assert_clean(env);
    // The object is a plain zstd stream of the file (when zstd is here).
    if crate::fixtures::has("zstd") {
        let blob = entry_id(env, &slug, "data/big.bin");
        let out = std::process::Command::new("zstd")
            .args(["-dc", "-q"])
            .arg(object_path(env, &blob))
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(out.stdout == fs::read(env.path("src/data/big.bin")).unwrap());
    }
    // A checkout from the objects alone, as after a gc of the checkout.
    env.rel(["checkout-slug", &slug, "../out"]).ok();
    assert_same_tree(&env.path("src"), &env.path("out"));
}

#[test]
fn fresh_large_files_deploy_and_check_out_intact() {
    let env = Env::new();
    env.init();
    large_source(&env);
    deploy_and_check(&env);
}

#[test]
fn settled_large_files_deploy_and_check_out_intact() {
    let env = Env::new();
    env.init();
    large_source(&env);
    // Old enough that the second pass is vouched for by the stat.
    std::thread::sleep(Duration::from_millis(1300));
    deploy_and_check(&env);
    // A change of one large file: stored anew, the other linked.
    let big = env.path("src/data/big.bin");
    let mut b = fs::read(&big).unwrap();
    b[5 * MIB] ^= 1;
    fs::write(&big, &b).unwrap();
    let want = slug_of(&env, "src");
    env.rel(["deploy", "../src"]).ok();
    assert_eq!(
        env.rel(["rev-parse", "--slug", "current"]).ok().line(),
        want
    );
    assert_same_tree(&env.path("src"), &env.path("app/current"));
    assert_clean(&env);
}

#[test]
fn large_files_in_a_tar_stream_are_stored_intact() {
    let env = Env::new();
    env.init();
    large_source(&env);
    crate::porcelain::sh("tar -C src -cf src.tar .", &env.path("."));
    let tar = fs::read(env.path("src.tar")).unwrap();
    let want = slug_of(&env, "src");
    env.rel_stdin(["deploy", "-"], &tar).ok();
    assert_eq!(
        env.rel(["rev-parse", "--slug", "current"]).ok().line(),
        want
    );
    assert_same_tree(&env.path("src"), &env.path("app/current"));
    assert_clean(&env);
}

#[test]
fn many_small_tar_entries_are_staged_on_the_pool_intact() {
    let env = Env::new();
    env.init();
    // More than the reader lets wait (16 MiB), duplicates among them.
    for i in 0..48 {
        let content = bytes(600_000 + (i % 5) * 1000, (i % 7) as u64);
        fs::create_dir_all(env.path(&format!("src/d{}", i % 4))).unwrap();
        fs::write(env.path(&format!("src/d{}/f{i}.bin", i % 4)), content).unwrap();
    }
    crate::porcelain::sh("tar -C src -cf src.tar .", &env.path("."));
    let tar = fs::read(env.path("src.tar")).unwrap();
    let want = slug_of(&env, "src");
    env.rel_stdin(["deploy", "-"], &tar).ok();
    assert_eq!(
        env.rel(["rev-parse", "--slug", "current"]).ok().line(),
        want
    );
    assert!(
        crate::fixtures::snapshot(&env.path("app/current"))
            == crate::fixtures::snapshot(&env.path("src"))
    );
    assert_clean(&env);
}
