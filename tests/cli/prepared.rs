//! A deploy builds its checkout while it reads the source (a prepared
//! checkout), then links or writes what it did not read. Whichever part
//! comes from where, the checkout equals the source: same entries, bytes,
//! executable bits and link targets; and nothing is left in `tmp/`.

use std::fs;
use std::time::Duration;

use crate::common::{Env, set_mode};
use crate::fixtures::{sh, snapshot, store};
use crate::porcelain::slug_of;

fn tree(env: &Env, root: &str) {
    env.source(root, "one");
    env.write(&format!("{root}/a/b/c/deep.txt"), "deep\n");
    env.write(&format!("{root}/a/same.txt"), "same bytes\n");
    let exec = env.write(&format!("{root}/a/same-exec.txt"), "same bytes\n");
    set_mode(&exec, 0o755);
    env.write(&format!("{root}/b/same.txt"), "same bytes\n");
    fs::create_dir_all(env.path(&format!("{root}/empty/inner"))).unwrap();
    let _ = std::os::unix::fs::symlink("../a/same.txt", env.path(&format!("{root}/b/link")));
    let medium: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    fs::write(env.path(&format!("{root}/a/medium.bin")), medium).unwrap();
}

#[track_caller]
fn deploy_matches(env: &Env, src: &str) {
    let want = slug_of(env, src);
    env.rel(["deploy", &format!("../{src}")]).ok();
    assert_eq!(
        env.rel(["rev-parse", "--slug", "current"]).ok().line(),
        want
    );
    assert!(
        snapshot(&env.path("app/current")) == snapshot(&env.path(src)),
        "the checkout differs from {src}"
    );
    let left: Vec<_> = fs::read_dir(store(env).join("tmp")).unwrap().collect();
    assert!(left.is_empty(), "tmp/ holds {left:?}");
}

#[test]
fn a_first_deploy_checks_out_everything_it_read() {
    let env = Env::new();
    env.init();
    tree(&env, "src");
    deploy_matches(&env, "src");
    let run = env.rel(["fsck"]).ok();
    assert!(run.stdout.is_empty(), "{run:#?}");
}

#[test]
fn a_redeploy_completes_the_checkout_from_the_previous_one() {
    let env = Env::new();
    env.init();
    tree(&env, "src");
    std::thread::sleep(Duration::from_millis(1300));
    deploy_matches(&env, "src");
    // Most files now come from the stat cache, unread.
    env.write("src/a/b/c/deep.txt", "deeper\n");
    env.write("src/new/dir/file.txt", "new\n");
    fs::remove_file(env.path("src/b/same.txt")).unwrap();
    deploy_matches(&env, "src");
    // A tree whose blobs are all stored already, from another directory
    // (no stat cache for it): the medium file is not read twice.
    crate::porcelain::sh("cp -a src src2", &env.path("."));
    env.write("src2/index.html", "two");
    deploy_matches(&env, "src2");
    // Back to a slug that has a checkout: nothing prepared is kept.
    deploy_matches(&env, "src");
}

#[test]
fn a_deploy_that_makes_no_release_leaves_nothing_behind() {
    let env = Env::new();
    env.init();
    tree(&env, "src");
    deploy_matches(&env, "src");
    let run = env.rel(["deploy", "../src"]).ok();
    assert!(run.stderr.contains("Nothing to deploy"), "{run:#?}");
    let left: Vec<_> = fs::read_dir(store(&env).join("tmp")).unwrap().collect();
    assert!(left.is_empty(), "tmp/ holds {left:?}");
}

#[test]
fn the_release_hook_runs_in_the_complete_checkout() {
    let env = Env::new();
    env.init();
    env.hook(
        "release",
        "#!/bin/sh
set -e
test -f a/b/c/deep.txt
test -L b/link
test -d empty/inner
test -x a/same-exec.txt
",
    );
    tree(&env, "src");
    deploy_matches(&env, "src");
}

/// Three files of one blob, in three directories.
const TWINS: [&str; 3] = ["twins/1.txt", "twins/2.txt", "elsewhere/deeper/3.txt"];

/// Device, inode and link count of `rel` below the test's root.
fn inode(env: &Env, rel: &str) -> (u64, u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(env.path(rel)).unwrap();
    (meta.dev(), meta.ino(), meta.nlink())
}

#[test]
fn files_with_the_same_bytes_and_mode_share_one_inode_in_a_first_deploy() {
    let env = Env::new();
    env.init();
    tree(&env, "src");
    for twin in TWINS {
        env.write(&format!("src/{twin}"), "twin bytes\n");
    }
    // Two executables of one blob, apart from a plain file of it.
    env.write("src/plain.sh", "#!/bin/sh\n");
    for exec in ["bin/a", "bin/b"] {
        set_mode(&env.write(&format!("src/{exec}"), "#!/bin/sh\n"), 0o755);
    }
    deploy_matches(&env, "src");
    let inode = |rel: &str| inode(&env, &format!("app/current/{rel}"));
    for twin in TWINS {
        assert_eq!(inode(twin), inode(TWINS[0]), "{twin}");
    }
    assert_eq!(inode(TWINS[0]).2, 3);
    assert_eq!(inode("bin/a"), inode("bin/b"));
    assert_ne!(inode("bin/a").1, inode("plain.sh").1);
    // A file of the store's checkout is still the blob it names.
    let run = env.rel(["fsck"]).ok();
    assert!(run.stdout.is_empty(), "{run:#?}");
}

#[test]
fn a_checkout_written_from_objects_links_copies_but_checkout_slug_does_not() {
    let env = Env::new();
    env.init();
    for twin in TWINS {
        env.write(&format!("src/{twin}"), "twin bytes\n");
    }
    // A tar deploy stores the stream first, then checks the slug out.
    let tar = sh(&env, "tar -C src -cf - .");
    env.rel_stdin(["deploy", "-"], &tar).ok();
    let first = inode(&env, &format!("app/current/{}", TWINS[0]));
    assert_eq!(first.2, 3);
    for twin in TWINS {
        assert_eq!(inode(&env, &format!("app/current/{twin}")), first, "{twin}");
        assert_eq!(
            fs::read_to_string(env.path(&format!("app/current/{twin}"))).unwrap(),
            "twin bytes\n"
        );
    }
    // Files for people to change stay files of their own.
    env.rel(["checkout-slug", "current", "../out"]).ok();
    for twin in TWINS {
        let (_, ino, links) = inode(&env, &format!("out/{twin}"));
        assert_eq!(links, 1, "{twin}");
        assert_ne!(ino, first.1, "{twin}");
    }
}
