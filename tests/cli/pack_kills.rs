//! Writers of packs killed (SIGKILL) at every step that changes the store:
//! a deploy that writes a pack, a deploy that merges packs (more than
//! eight), and a gc that rewrites and merges them. The kill comes on the
//! Nth call of a syscall that changes the store (rename, unlink, fsync,
//! mkdir, …), through `strace -e inject`, so each point is the same on
//! every run. After each: fsck is clean, every release that was there is
//! whole (its checkout has the right content) and no object of it is lost,
//! CURRENT is the release before or the new one, and the next deploy works
//! and leaves nothing in `tmp/`.
//!
//! CI tries a sample of each syscall's calls; `REL_KILL_ALL=1` tries them all.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::common::{Env, Run, run};
use crate::fixtures::{Item, files_below, snapshot};

/// The syscalls that change a store (or make a change durable).
const SYSCALLS: &[&str] = &[
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "fsync",
    "fdatasync",
    "syncfs",
    "mkdir",
    "mkdirat",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "ftruncate",
];

/// `n` small files, different for each `i`, and one file every source has.
fn source(env: &Env, i: usize) -> String {
    let dir = format!("s{i}");
    for j in 0..5 {
        env.write(
            &format!("{dir}/d{}/f{j}.txt", j % 2),
            &format!("deploy {i} file {j}\n").repeat(1 + j * 30),
        );
    }
    env.write(&format!("{dir}/common.txt"), "in every release\n");
    dir
}

/// A store in `base/app` and what it holds.
struct Base {
    /// The source of each release that has a slug, by version.
    sources: BTreeMap<u64, String>,
    /// The object ids of each release's slug, by version.
    objects: BTreeMap<u64, String>,
}

fn deploy(env: &Env, app: &str, dir: &str) {
    env.rel_in(app, ["deploy", &format!("../../{dir}")]).ok();
}

/// `deploys` releases from sources s0…, then `config:set` when `aged`
/// (and every object made older than any grace period).
fn base(env: &Env, deploys: usize, aged: bool) -> Base {
    std::fs::create_dir(env.path("base")).unwrap();
    env.rel_in("base", ["init", "app", "--name", "myapp"]).ok();
    let mut sources = BTreeMap::new();
    for i in 0..deploys {
        let dir = source(env, i);
        deploy(env, "base/app", &dir);
        sources.insert(i as u64 + 1, dir);
    }
    if aged {
        env.rel_in("base/app", ["config:set", "A=1"]).ok();
        let last = sources[&(deploys as u64)].clone();
        sources.insert(deploys as u64 + 1, last);
        crate::porcelain::sh(
            "find .releases/objects -type f -exec touch -d '2000-01-01' {} +",
            &env.path("base/app"),
        );
    }
    let mut objects = BTreeMap::new();
    for v in sources.keys() {
        let slug = env
            .rel_in("base/app", ["rev-parse", "--slug", &format!("v{v}")])
            .ok()
            .line();
        let ids = env.rel_in("base/app", ["list-objects", &slug]).ok().stdout;
        objects.insert(*v, ids);
    }
    Base { sources, objects }
}

/// How many calls of each syscall `args` makes on a copy of the base.
fn count_calls(env: &Env, args: &[&str]) -> Vec<(&'static str, u64)> {
    fresh_copy(env);
    let report = env.path("calls.txt");
    let run = strace(env, &["-f", "-c", "-o", &report.to_string_lossy()], args);
    assert_eq!(run.code, 0, "{run:#?}");
    let text = std::fs::read_to_string(&report).unwrap();
    SYSCALLS
        .iter()
        .filter_map(|sc| {
            let line = text
                .lines()
                .find(|l| l.split_whitespace().last() == Some(sc))?;
            // % time, seconds, usecs/call, calls, [errors,] syscall.
            let calls = line.split_whitespace().nth(3)?.parse().ok()?;
            Some((*sc, calls))
        })
        .collect()
}

/// `work/app`: a fresh copy of `base/app`, times kept.
fn fresh_copy(env: &Env) {
    let work = env.path("work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir(&work).unwrap();
    let status = Command::new("cp")
        .args(["-a", "base/app", "work/app"])
        .current_dir(env.path(""))
        .status()
        .unwrap();
    assert!(status.success());
}

/// rel `args` in `work/app` under strace with `options`.
fn strace(env: &Env, options: &[&str], args: &[&str]) -> Run {
    let rel = env.cmd_in("work/app");
    let mut cmd = Command::new("strace");
    cmd.current_dir(env.path("work/app"));
    for (k, v) in rel.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.args(options).arg(rel.get_program()).args(args);
    run(&mut cmd, None)
}

/// Which calls to kill at: all of them, or a spread of CI's size.
fn points(calls: u64, all: bool) -> Vec<u64> {
    let mut out: Vec<u64> = if all || calls <= 3 {
        (1..=calls).collect()
    } else {
        vec![1, calls / 2, calls]
    };
    out.dedup();
    out
}

/// The content of a checkout of version `v` of `work/app`.
fn checkout(env: &Env, v: u64) -> BTreeMap<Vec<u8>, Item> {
    let out = env.path("check");
    let _ = std::fs::remove_dir_all(&out);
    let slug = env
        .rel_in("work/app", ["rev-parse", "--slug", &format!("v{v}")])
        .ok()
        .line();
    env.rel_in("work/app", ["checkout-slug", &slug, "../../check"])
        .ok();
    snapshot(&out)
}

/// The checks after a kill of `args` at `point`; `kept` are the versions
/// that must stay whole, `new` the one the writer would make.
fn check(env: &Env, b: &Base, kept: &[u64], new: Option<(u64, &str)>, point: &str) {
    let app = "work/app";
    let fsck = env.rel_in(app, ["fsck"]);
    assert_eq!(fsck.code, 0, "{point}: {fsck:#?}");
    // The first and the last (fsck saw that the others are complete).
    for v in [kept[0], kept[kept.len() - 1]] {
        let want = snapshot(&env.path(&b.sources[&v]));
        assert!(checkout(env, v) == want, "{point}: v{v} is not whole");
    }
    let cur = env.rel_in(app, ["rev-parse", "current"]).ok().line();
    let last = *kept.iter().max().unwrap();
    match new {
        Some((v, dir)) if cur == format!("v{v}") => {
            assert!(
                checkout(env, v) == snapshot(&env.path(dir)),
                "{point}: the new v{v} is not whole"
            );
        }
        _ => assert_eq!(cur, format!("v{last}"), "{point}"),
    }
    // No object of a kept release is lost.
    let ids: String = kept.iter().map(|v| b.objects[v].as_str()).collect();
    let missing = run(env.cmd_in(app).arg("missing-objects"), Some(ids.as_bytes())).ok();
    assert_eq!(missing.stdout, "", "{point}: objects lost");
    // The next writer works, and leaves nothing half-done behind.
    let next = source(env, 99);
    env.rel_in(app, ["deploy", &format!("../../{next}")]).ok();
    env.rel_in(app, ["fsck"]).ok();
    let tmp = files_below(&env.path("work/app/.releases/tmp"));
    assert!(tmp.is_empty(), "{point}: {tmp:?}");
}

/// Kills `args` at each point; see the module's comment.
fn campaign(env: &Env, b: &Base, args: &[&str], kept: &[u64], new: Option<(u64, &str)>) {
    let all = std::env::var("REL_KILL_ALL").as_deref() == Ok("1");
    let calls = count_calls(env, args);
    assert!(
        calls
            .iter()
            .any(|(sc, n)| sc.starts_with("rename") && *n > 0),
        "{args:?} renames nothing: {calls:?}"
    );
    let mut killed = 0;
    for (sc, n) in calls {
        for at in points(n, all) {
            fresh_copy(env);
            let inject = format!("inject={sc}:signal=KILL:when={at}");
            let trace = format!("trace={sc}");
            let run = strace(
                env,
                &["-f", "-qq", "-o", "/dev/null", "-e", &trace, "-e", &inject],
                args,
            );
            killed += usize::from(run.code != 0);
            check(env, b, kept, new, &format!("{args:?} killed at {sc} #{at}"));
        }
    }
    assert!(killed > 0, "{args:?} was never killed");
}

fn have_strace() -> bool {
    crate::common::have("strace")
}

#[test]
fn a_deploy_killed_while_writing_its_pack_leaves_a_whole_store() {
    if !have_strace() {
        return;
    }
    let env = Env::new();
    let b = base(&env, 1, false);
    let dir = source(&env, 1);
    let target = format!("../../{dir}");
    campaign(&env, &b, &["deploy", &target], &[1], Some((2, &dir)));
}

#[test]
fn a_deploy_killed_while_merging_packs_leaves_a_whole_store() {
    if !have_strace() {
        return;
    }
    let env = Env::new();
    let b = base(&env, 8, false);
    let packs = |d: &Path| {
        files_below(&d.join(".releases/objects/pack"))
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "idx"))
            .count()
    };
    assert_eq!(packs(&env.path("base/app")), 8);
    let dir = source(&env, 8);
    let target = format!("../../{dir}");
    // The deploy merges: fewer packs after it.
    fresh_copy(&env);
    env.rel_in("work/app", ["deploy", &target]).ok();
    assert!(packs(&env.path("work/app")) < 8);
    let kept: Vec<u64> = (1..=8).collect();
    campaign(&env, &b, &["deploy", &target], &kept, Some((9, &dir)));
}

#[test]
fn a_gc_killed_while_rewriting_and_merging_packs_leaves_a_whole_store() {
    if !have_strace() {
        return;
    }
    let env = Env::new();
    let b = base(&env, 8, true);
    // v9 (config:set, current) and v8 (its rollback target) are kept.
    campaign(
        &env,
        &b,
        &["gc", "--keep", "1", "--grace", "0s"],
        &[8, 9],
        None,
    );
}

/// `args` run in `mnt/app` on the power-cut file system loaded from
/// `base/`, with `free` bytes free (and no power cut), for each `free`:
/// it succeeds, or fails with one error line saying the disk is full;
/// either way fsck is clean, the releases in `kept` are whole, a failed
/// writer published nothing (no new release, CURRENT unchanged, no pack
/// without its index) and, with room again, the next deploy works and
/// leaves nothing in `tmp/`. Returns how many runs made their release but
/// warned that merging packs failed.
fn full_disk(env: &Env, b: &Base, args: &[String], kept: &[u64], creates: bool) -> usize {
    use crate::powercut::fs::Disk;
    let (mut failed, mut passed, mut warned) = (0, 0, 0);
    for free in [0u64, 2_000, 10_000, 30_000, 1 << 20] {
        let disk = Disk::load(&env.path("base")).expect("load the base store");
        let mut state = disk.lock();
        state.capacity = Some(state.used() + free);
        drop(state);
        let mnt = env.path("mnt");
        std::fs::create_dir(&mnt).unwrap();
        let session = crate::powercut::mount(&disk, &mnt).expect("mount");
        let what = format!("{args:?} with {free} bytes free");
        let app = "mnt/app";
        let last = format!("v{}", kept.iter().max().unwrap());
        let run = run(env.cmd_in(app).args(args), None);
        assert!(run.code == 0 || run.code == 1, "{what}: {run:#?}");
        if run.code == 0 {
            passed += 1;
            // Housekeeping after the release (merging packs) may fail: a
            // warning, the release made.
            if run.stderr.contains("warning") {
                warned += 1;
                assert!(
                    run.stderr.contains("No space left on device")
                        && !run.stderr.contains("rel: error"),
                    "{what}: {run:#?}"
                );
            }
        } else {
            failed += 1;
            assert!(
                run.stderr.starts_with("rel: error: ")
                    && run.stderr.trim_end().lines().count() == 1
                    && run.stderr.contains("No space left on device"),
                "{what}: {run:#?}"
            );
            assert_eq!(
                env.rel_in(app, ["rev-parse", "current"]).ok().line(),
                last,
                "{what}"
            );
            let manifests = std::fs::read_dir(env.path("mnt/app/.releases/releases"))
                .unwrap()
                .count();
            assert!(
                !creates || manifests == kept.len(),
                "{what}: {manifests} releases"
            );
        }
        let fsck = env.rel_in(app, ["fsck"]);
        assert_eq!(fsck.code, 0, "{what}: {fsck:#?}");
        let pack_dir = env.path("mnt/app/.releases/objects/pack");
        for idx in files_below(&pack_dir) {
            if idx.extension().is_some_and(|e| e == "idx") {
                assert!(idx.with_extension("pack").exists(), "{what}: {idx:?}");
            }
        }
        for v in [kept[0], kept[kept.len() - 1]] {
            let out = env.path("check");
            let _ = std::fs::remove_dir_all(&out);
            let slug = env
                .rel_in(app, ["rev-parse", "--slug", &format!("v{v}")])
                .ok()
                .line();
            env.rel_in(app, ["checkout-slug", &slug, out.to_str().unwrap()])
                .ok();
            let want = snapshot(&env.path(&b.sources[&v]));
            assert!(snapshot(&out) == want, "{what}: v{v} is not whole");
        }
        // Room again: the next writer works and clears what was left.
        disk.lock().capacity = None;
        let next = env.path(&source(env, 99));
        env.rel_in(app, ["deploy", next.to_str().unwrap()]).ok();
        env.rel_in(app, ["fsck"]).ok();
        let tmp = files_below(&env.path("mnt/app/.releases/tmp"));
        assert!(tmp.is_empty(), "{what}: {tmp:?}");
        crate::powercut::unmount(session, &mnt).expect("unmount");
        std::fs::remove_dir(&mnt).unwrap();
    }
    assert!(failed > 0 && passed > 0, "{failed} failed, {passed} passed");
    warned
}

/// A deploy (with and without merging packs) and a gc on a full disk.
#[test]
fn pack_writers_on_a_full_disk_fail_clearly_and_publish_nothing() {
    if !crate::powercut::fuse_usable() {
        return;
    }
    let env = Env::new();
    let b = base(&env, 1, false);
    let src = env.path(&source(&env, 1)).to_string_lossy().into_owned();
    full_disk(&env, &b, &["deploy".into(), src], &[1], true);
    let env = Env::new();
    let b = base(&env, 8, false);
    let src = env.path(&source(&env, 8)).to_string_lossy().into_owned();
    let kept: Vec<u64> = (1..=8).collect();
    let warned = full_disk(&env, &b, &["deploy".into(), src], &kept, true);
    // With room for the release but not for merging: made, with a warning.
    assert!(warned > 0, "no deploy made its release and failed to merge");
    let env = Env::new();
    let b = base(&env, 8, true);
    let gc: Vec<String> = ["gc", "--keep", "1", "--grace", "0s"]
        .map(String::from)
        .to_vec();
    full_disk(&env, &b, &gc, &[8, 9], false);
}
