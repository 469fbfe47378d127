//! The stat cache (`.releases/index`): a redeploy takes a file as unchanged
//! only when size, mtime, ctime, inode and device all match, and a missing,
//! corrupt, stale or foreign index never yields a wrong slug: every deploy
//! here is checked against `write-slug -n`, which reads every byte.
//!
//! Files enter the index only once their times are a second older than the
//! scan (see statcache.rs), so these tests wait that long before the deploy
//! that fills it; they time nothing.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::common::Env;
use crate::fixtures::{entry_id, remove_object, store, stored};
use crate::porcelain::slug_of;

/// More than statcache::RACY.
const SETTLE: Duration = Duration::from_millis(1300);

fn set_mtime(path: &Path, t: SystemTime) {
    fs::File::options()
        .write(true)
        .open(path)
        .expect("open")
        .set_modified(t)
        .expect("set mtime");
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path).expect("stat").modified().expect("mtime")
}

/// A source tree whose files are old enough to enter the index.
fn settled_source(env: &Env) {
    env.source("src", "one");
    env.write("src/data/a.txt", "alpha 1\n");
    env.write("src/data/b.txt", "bravo 1\n");
    std::thread::sleep(SETTLE);
}

/// Deploys `src` and checks the release's slug against `write-slug -n`.
#[track_caller]
fn deploy_checked(env: &Env) -> String {
    let want = slug_of(env, "src");
    env.rel(["deploy", "../src"]).ok();
    let got = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    assert_eq!(got, want, "the deployed slug differs from write-slug -n");
    got
}

fn index(env: &Env) -> Vec<u8> {
    fs::read(store(env).join("index")).unwrap_or_default()
}

#[test]
fn a_deploy_fills_the_index_and_an_unchanged_redeploy_makes_no_release() {
    let env = Env::new();
    env.init();
    settled_source(&env);
    let slug = deploy_checked(&env);
    let idx = index(&env);
    assert!(idx.starts_with(b"rel-index 1\n"), "no index written");
    let text = String::from_utf8_lossy(&idx);
    assert!(
        text.contains("data/a.txt") && text.contains("bin/run"),
        "{text}"
    );
    assert!(
        text.contains(&*env.path("src").canonicalize().unwrap().to_string_lossy()),
        "the index names its source directory"
    );
    let run = env.rel(["deploy", "../src"]).ok();
    assert!(run.stderr.contains("Nothing to deploy"), "{run:#?}");
    assert_eq!(
        env.rel(["rev-parse", "--slug", "current"]).ok().line(),
        slug
    );
    // write-slug -n stores nothing, the index included.
    assert_eq!(index(&env), idx);
}

#[test]
fn same_size_and_restored_mtime_are_still_seen_through_ctime() {
    let env = Env::new();
    env.init();
    settled_source(&env);
    let a = env.path("src/data/a.txt");
    let old = SystemTime::now() - Duration::from_secs(3600);
    set_mtime(&a, old);
    std::thread::sleep(SETTLE);
    let first = deploy_checked(&env);
    assert!(String::from_utf8_lossy(&index(&env)).contains("data/a.txt"));

    // Same size, same mtime, other bytes: only ctime tells.
    fs::write(&a, "alpha 2\n").unwrap();
    set_mtime(&a, old);
    assert_eq!(mtime(&a), old);
    std::thread::sleep(SETTLE);
    let second = deploy_checked(&env);
    assert_ne!(first, second);
    assert_eq!(
        entry_id(&env, &second, "data/a.txt"),
        slug_entry_hash("alpha 2\n")
    );
}

#[test]
fn a_file_replaced_by_another_with_the_same_stat_times_is_seen_through_its_inode() {
    let env = Env::new();
    env.init();
    settled_source(&env);
    let b = env.path("src/data/b.txt");
    let old = SystemTime::now() - Duration::from_secs(3600);
    set_mtime(&b, old);
    std::thread::sleep(SETTLE);
    deploy_checked(&env);

    // A new file (new inode) renamed over the old one, same size and mtime.
    let new = env.write("src/data/.b.new", "bravo 2\n");
    set_mtime(&new, old);
    fs::rename(&new, &b).unwrap();
    let second = deploy_checked(&env);
    assert_eq!(
        entry_id(&env, &second, "data/b.txt"),
        slug_entry_hash("bravo 2\n")
    );
}

#[test]
fn added_removed_and_chmodded_files_are_seen() {
    let env = Env::new();
    env.init();
    settled_source(&env);
    deploy_checked(&env);
    fs::remove_file(env.path("src/data/a.txt")).unwrap();
    env.write("src/data/c.txt", "charlie\n");
    crate::common::set_mode(&env.path("src/data/b.txt"), 0o755);
    let slug = deploy_checked(&env);
    let ls = env.rel(["ls-slug", "-r", &slug]).ok().stdout;
    assert!(ls.contains("exec") && ls.contains("data/b.txt"), "{ls}");
    assert!(!ls.contains("data/a.txt"), "{ls}");
    assert!(ls.contains("data/c.txt"), "{ls}");
}

type Damage = Box<dyn Fn(&[u8]) -> Vec<u8>>;

#[test]
fn a_damaged_index_is_ignored_and_rewritten() {
    let env = Env::new();
    env.init();
    settled_source(&env);
    deploy_checked(&env);
    let good = index(&env);
    assert!(!good.is_empty());
    let path = store(&env).join("index");
    let mut round = 0;
    let damages: Vec<Damage> = vec![
        Box::new(|b| b[..b.len() / 2].to_vec()),
        Box::new(|_| Vec::new()),
        Box::new(|b| {
            let mut b = b.to_vec();
            let at = b.len() / 3;
            b[at] ^= 0x40;
            b
        }),
        Box::new(|b| {
            // A well-formed index of another directory cannot be forged by
            // hand, but garbage with the right magic must be refused.
            let mut b = b.to_vec();
            b.truncate(12);
            b.extend_from_slice(&[0xff; 64]);
            b
        }),
    ];
    for damage in damages {
        fs::write(&path, damage(&good)).unwrap();
        // A change the damaged index could hide if it were trusted.
        round += 1;
        env.write("src/data/a.txt", &format!("alpha {}\n", round + 1));
        deploy_checked(&env);
    }
}

#[test]
fn an_index_naming_a_blob_that_gc_removed_reads_the_file_again() {
    let env = Env::new();
    env.init();
    settled_source(&env);
    let slug = deploy_checked(&env);
    // The slug is collected as gc does it: its root tree first, then the
    // rest (here, the one blob).
    let blob = entry_id(&env, &slug, "data/a.txt");
    remove_object(&env, &slug);
    remove_object(&env, &blob);
    env.rel(["deploy", "../src", "--force"]).ok();
    assert!(
        stored(&env, &blob) && stored(&env, &slug),
        "the blob and the tree are stored again"
    );
    let run = env.rel(["fsck"]).ok();
    assert!(run.stdout.is_empty(), "{run:#?}");
}

#[test]
fn an_index_written_for_another_directory_is_not_used() {
    let env = Env::new();
    env.init();
    settled_source(&env);
    deploy_checked(&env);
    let src = env.path("src");
    fs::rename(&src, env.path("src-old")).unwrap();
    // A copy elsewhere with the old name: other inodes, so nothing matches,
    // and a different root, so nothing is even looked up.
    env.rel_in(".", ["deploy", "-C", "app", "../src-old"]).ok();
    fs::create_dir_all(&src).unwrap();
    for (p, c) in [("data/a.txt", "alpha 9\n"), ("data/b.txt", "bravo 9\n")] {
        env.write(&format!("src/{p}"), c);
    }
    std::thread::sleep(SETTLE);
    deploy_checked(&env);
}

/// The blob id of `text`: its plain BLAKE3, as `b3sum` prints it.
fn slug_entry_hash(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex().to_string()
}
