//! Power cuts: every writer run on a file system that loses what was not
//! synced (see `fs.rs` for its model), cut after its 1st, 2nd, … mutating
//! operation and after it returns. After each cut: every release that
//! existed before is there, the one the command reported with exit 0 is
//! there and current, CURRENT names a complete release, `rel fsck` is clean
//! and the next writers (a config change, a deploy) work.
//!
//! Each cut is checked on what the model keeps (only what was synced), and
//! again with some of the rest kept too, as a kernel's writeback may have
//! written it before the cut, in any order: every directory but no file
//! data (names of lost data, ext4's zero-length files), and (in the long
//! campaign) a random part of the inodes.
//!
//! A writer is one entry in [`writers`]. CI runs a sample of each writer's
//! cut points; `REL_POWERCUT_ALL=1` (benches/powercut.sh) runs them all.
//! Where FUSE cannot be mounted the tests skip, except under `CI=true`,
//! where that is a failure.

pub mod fs;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::common::{Env, Run};
use fs::{Disk, PowerCutFs};

/// How a store is made ready for a writer, in `base/app` of the scratch dir.
type Prepare = fn(&Env);

/// A command that writes to the store, and what it must leave.
pub struct Writer {
    pub name: &'static str,
    pub prepare: Prepare,
    /// Arguments; `{src}` is replaced by the scratch dir's `src` and
    /// `{staging}` by its `staging` app (both outside the file system under
    /// test), `{app}` by the app directory under test.
    pub args: &'static [&'static str],
    /// A tar stream of `src` on stdin.
    pub tar_stdin: bool,
    /// Exit 0 means a new release, which must survive and be current.
    pub creates: bool,
    /// A known gap when unsynced writes are partly kept: why, or None.
    pub writeback_gap: Option<&'static str>,
    /// How many cut points CI tries (the campaign tries all).
    pub ci_points: u64,
    /// A shell script run instead of `rel ARGS` (`$REL` is rel, `$SRC`
    /// the source), for writers made of several commands.
    pub script: Option<&'static str>,
}

fn base_deploy(env: &Env) {
    env.rel_in(".", ["init", "base/app", "--name", "myapp"])
        .ok();
    env.source("src", "one");
    env.rel_in("base/app", ["deploy", "../../src"]).ok();
    // The writer's own source: changed and grown, so it writes new objects.
    env.write("src/index.html", "two");
    env.write("src/lib/more.txt", &"more data\n".repeat(300));
}

/// An empty app directory, for `rel init`.
fn base_empty(env: &Env) {
    std::fs::create_dir_all(env.path("base/app")).expect("mkdir");
    env.source("src", "one");
}

/// A deploy of many new files: past the few objects synced one by one.
fn base_many_files(env: &Env) {
    base_deploy(env);
    for i in 0..40 {
        env.write(&format!("src/data/{i:02}.txt"), &format!("file {i}\n"));
    }
}

/// A deploy of a large file: written past the page cache, synced alone.
fn base_large_file(env: &Env) {
    base_deploy(env);
    let bytes: Vec<u8> = (0..17u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(env.path("src/large.bin"), bytes).expect("write the large file");
}

/// A deploy of more files over 1 MiB than a process syncs one by one
/// anyway: they stay loose, outside the deploy's pack.
fn base_mid_size_files(env: &Env) {
    base_deploy(env);
    for i in 0..20u32 {
        let bytes: Vec<u8> = (0..(5u32 << 18))
            .map(|j| (j.wrapping_add(i << 20).wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        std::fs::write(env.path(&format!("src/mid{i:02}.bin")), bytes).expect("write a file");
    }
}

fn base_two_deploys(env: &Env) {
    base_deploy(env);
    env.rel_in("base/app", ["deploy", "../../src"]).ok();
}

fn base_addon(env: &Env) {
    base_deploy(env);
    env.rel_in("base/app", ["addons:add", "redis"]).ok();
}

/// An app to push from, `staging`, outside the file system under test,
/// running the changed source.
fn base_staging(env: &Env) {
    base_deploy(env);
    env.rel_in(".", ["init", "staging", "--name", "staging"])
        .ok();
    env.rel_in("staging", ["deploy", "../src"]).ok();
}

fn base_history(env: &Env) {
    base_two_deploys(env);
    env.rel_in("base/app", ["config:set", "A=1"]).ok();
    env.write("src/index.html", "three");
    env.rel_in("base/app", ["deploy", "../../src"]).ok();
}

/// Every writer, with the store it starts from.
pub fn writers() -> Vec<Writer> {
    let w = |name, prepare, args, creates| Writer {
        name,
        prepare,
        args,
        tar_stdin: false,
        creates,
        writeback_gap: None,
        ci_points: 10,
        script: None,
    };
    vec![
        w("init", base_empty, &["init", "--name", "myapp"], false),
        w(
            "deploy of a directory",
            base_deploy,
            &["deploy", "{src}"],
            true,
        ),
        Writer {
            tar_stdin: true,
            ..w(
                "deploy of a tar stream",
                base_deploy,
                &["deploy", "-"],
                true,
            )
        },
        w(
            "deploy of many files",
            base_many_files,
            &["deploy", "{src}"],
            true,
        ),
        Writer {
            ci_points: 4,
            ..w(
                "deploy of a large file",
                base_large_file,
                &["deploy", "{src}"],
                true,
            )
        },
        Writer {
            ci_points: 4,
            ..w(
                "deploy of mid-size files",
                base_mid_size_files,
                &["deploy", "{src}"],
                true,
            )
        },
        w(
            "config:set",
            base_deploy,
            &["config:set", "KEY=value"],
            true,
        ),
        w("config:unset", base_history, &["config:unset", "A"], true),
        w("addons:add", base_deploy, &["addons:add", "redis"], true),
        w(
            "addons:remove",
            base_addon,
            &["addons:remove", "redis"],
            true,
        ),
        w("rollback", base_two_deploys, &["rollback"], true),
        w("activate", base_two_deploys, &["activate", "v1"], false),
        w(
            "receiving a push",
            base_staging,
            &["-C", "{staging}", "push", "{app}"],
            true,
        ),
        Writer {
            script: Some(
                r#"s=$("$REL" write-slug "$SRC") && c=$("$REL" rev-parse --config current) &&
                v=$("$REL" write-release --slug "$s" --config "$c" --change plumbing) &&
                "$REL" activate "$v""#,
            ),
            ..w(
                "write-slug, write-release, activate",
                base_deploy,
                &[],
                true,
            )
        },
        w(
            "gc",
            base_history,
            &["gc", "--keep", "1", "--grace", "0s"],
            false,
        ),
    ]
}

/// The preloaded library that shows `syncfs` to the file system.
fn shim() -> &'static Path {
    static SHIM: OnceLock<PathBuf> = OnceLock::new();
    SHIM.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("powercut");
        fs::shim(&dir).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// Whether FUSE can be mounted here. Under `CI=true` it must be.
pub fn fuse_usable() -> bool {
    static USABLE: OnceLock<Result<(), String>> = OnceLock::new();
    let r = USABLE.get_or_init(|| {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::create_dir(dir.path().join("backing")).map_err(|e| e.to_string())?;
        std::fs::create_dir(dir.path().join("mnt")).map_err(|e| e.to_string())?;
        let disk = Disk::load(&dir.path().join("backing")).map_err(|e| e.to_string())?;
        let session = mount(&disk, &dir.path().join("mnt")).map_err(|e| e.to_string())?;
        std::fs::write(dir.path().join("mnt/probe"), "probe").map_err(|e| e.to_string())?;
        unmount(session, &dir.path().join("mnt")).map_err(|e| e.to_string())
    });
    match r {
        Ok(()) => true,
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("power-cut tests need FUSE (/dev/fuse, root or fusermount3): {e}")
        }
        Err(e) => {
            crate::common::skip(&format!("FUSE cannot be mounted here: {e}"), false);
            false
        }
    }
}

/// Unmounts `at` and joins the file system's thread. A plain unmount fails
/// with EBUSY while any process holds a descriptor into the mount, and a
/// process that another test forks, between its fork and its exec, holds
/// copies of this process's descriptors: so the unmount is retried for a
/// while before it is given up.
pub fn unmount(session: fuser::BackgroundSession, at: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(at.as_os_str().as_bytes())?;
    for _ in 0..200 {
        // SAFETY: a NUL-terminated path that outlives the call.
        if unsafe { libc::umount2(path.as_ptr(), 0) } == 0 {
            // Unmounted: the kernel ends the session, and its thread with it.
            return session.join();
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EBUSY) {
            return Err(e);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    session.umount_and_join()
}

pub fn mount(disk: &Disk, at: &Path) -> std::io::Result<fuser::BackgroundSession> {
    let mut config = fuser::Config::default();
    config.mount_options = vec![
        fuser::MountOption::FSName("powercut".into()),
        fuser::MountOption::Subtype("powercut".into()),
    ];
    fuser::spawn_mount(PowerCutFs { disk: disk.clone() }, at, &config)
}

/// One run of a writer on the file system, loaded from `base`, with the
/// power cut after `cut_after` mutating operations (or after it returns),
/// mounted at `{out}.mnt`. Returns the run, the
/// number of mutating operations it made before the cut, and the disk.
fn run_cut(env: &Env, writer: &Writer, cut_after: Option<u64>, out: &str) -> (Run, u64, Disk) {
    let disk = Disk::load(&env.path("base")).expect("load the base store");
    disk.lock().cut_after = cut_after;
    let mnt = env.path(&format!("{out}.mnt"));
    std::fs::create_dir(&mnt).expect("mount point");
    let session = mount(&disk, &mnt).expect("mount the power-cut file system");
    let src = env.path("src");
    let args: Vec<String> = writer
        .args
        .iter()
        .map(|a| {
            a.replace("{src}", &src.to_string_lossy())
                .replace("{staging}", &env.path("staging").to_string_lossy())
                .replace("{app}", &mnt.join("app").to_string_lossy())
        })
        .collect();
    let input = writer.tar_stdin.then(|| {
        std::process::Command::new("tar")
            .args(["-C", &src.to_string_lossy(), "-c", "."])
            .output()
            .expect("tar")
            .stdout
    });
    let mut cmd = env.cmd_in(&format!("{out}.mnt/app"));
    if let Some(script) = writer.script {
        let mut sh = std::process::Command::new("sh");
        sh.args(["-c", script])
            .env("REL", cmd.get_program())
            .env("SRC", &src);
        if let Some(dir) = cmd.get_current_dir() {
            sh.current_dir(dir);
        }
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => sh.env(k, v),
                None => sh.env_remove(k),
            };
        }
        cmd = sh;
    }
    cmd.args(&args).env("LD_PRELOAD", shim());
    let run = run_bounded(&mut cmd, input.as_deref());
    disk.cut();
    unmount(session, &mnt).expect("unmount");
    std::fs::remove_dir(&mnt).expect("remove the mount point");
    let ops = disk.lock().ops;
    (run, ops, disk)
}

/// Runs a command to its end, killing it if it hangs (a process whose
/// file system lost power may wait forever).
fn run_bounded(cmd: &mut std::process::Command, input: Option<&[u8]>) -> Run {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn rel");
    if let Some(input) = input {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        // rel may stop reading once the power is gone.
        let _ = stdin.write_all(input);
    }
    let out = std::thread::spawn(move || child.wait_with_output());
    let start = Instant::now();
    while !out.is_finished() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "rel did not end within 2 minutes of a power cut"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let o = out.join().expect("join").expect("wait");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        raw_stdout: o.stdout,
    }
}

/// Release versions in a store's `releases/`.
fn versions(app: &Path) -> Result<Vec<u64>, String> {
    let dir = app.join(".releases/releases");
    let rd = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for e in rd {
        let name = e.map_err(|e| e.to_string())?.file_name();
        let name = name.to_string_lossy().into_owned();
        let v = name
            .strip_prefix('v')
            .and_then(|n| n.strip_suffix(".toml"))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("odd file in releases/: {name}"))?;
        out.push(v);
    }
    out.sort();
    Ok(out)
}

fn need(run: Run, what: &str) -> Result<Run, String> {
    if run.code == 0 {
        Ok(run)
    } else {
        Err(format!(
            "{what} exited {}: {}{}",
            run.code,
            run.stdout,
            run.stderr.trim_end()
        ))
    }
}

/// What must hold after a cut, in the store written to `out`.
fn check(env: &Env, writer: &Writer, before: &[u64], run: &Run, out: &str) -> Result<(), String> {
    let cwd = format!("{out}/app");
    let app = env.path(&cwd);
    if !app.join(".releases/format").exists() {
        if run.code == 0 || !before.is_empty() {
            return Err("the store is lost".into());
        }
        // An init cut short left no store: the next one makes it.
        need(
            env.rel_in(&cwd, ["init", "--name", "myapp"]),
            "rel init after a cut init",
        )?;
    }
    need(env.rel_in(&cwd, ["fsck"]), "rel fsck")?;
    let after = versions(&app)?;
    if let Some(lost) = before.iter().find(|v| !after.contains(v)) {
        return Err(format!("v{lost} is lost (had {before:?}, have {after:?})"));
    }
    let n = after.len() as u64;
    if after != (1..=n).collect::<Vec<_>>() {
        return Err(format!("a gap in the history: {after:?}"));
    }
    if !after.is_empty() {
        let info = need(
            env.rel_in(&cwd, ["show-release", "current", "--json"]),
            "show-release current",
        )?;
        let release: serde_json::Value =
            serde_json::from_str(&info.stdout).map_err(|e| format!("show-release: {e}"))?;
        if release["status"] != "succeeded" || release["pruned"] != false {
            return Err(format!(
                "CURRENT names an incomplete release: {}",
                info.stdout
            ));
        }
        let slug = release["slug"].as_str().ok_or("no slug")?.to_string();
        need(
            env.rel_in(&cwd, ["export-slug", &slug]),
            "export-slug of current",
        )?;
        if run.code == 0 && writer.creates {
            let new = before.iter().max().copied().unwrap_or(0) + 1;
            if !after.contains(&new) {
                return Err(format!(
                    "v{new}, reported by exit 0, is lost (have {after:?})"
                ));
            }
            if release["version"].as_u64() != Some(new) {
                return Err(format!(
                    "v{new}, reported by exit 0, is not current: CURRENT is v{}",
                    release["version"]
                ));
            }
        }
    }
    need(env.rel_in(&cwd, ["releases", "--all"]), "rel releases")?;
    // The next writers: a config change, and a deploy of the same files,
    // which must store again whatever the cut lost.
    need(
        env.rel_in(&cwd, ["config:set", "NEXT=1"]),
        "the next writer",
    )?;
    let src = env.path("src");
    need(
        env.rel_in(&cwd, ["deploy", &src.to_string_lossy(), "--force"]),
        "the next deploy",
    )?;
    need(
        env.rel_in(&cwd, ["fsck"]),
        "rel fsck after the next writers",
    )?;
    Ok(())
}

/// The cut points to try for a writer that makes `n` operations: all of
/// them, or `sample` spread evenly from the first to the last, and the one
/// before the last.
fn cut_points(n: u64, sample: Option<u64>) -> Vec<u64> {
    match sample {
        Some(s) if n > s => {
            let mut ks: Vec<u64> = (0..s).map(|i| 1 + i * (n - 1) / (s - 1)).collect();
            ks.push(n - 1);
            ks.sort();
            ks.dedup();
            ks
        }
        _ => (1..=n).collect(),
    }
}

/// Tally of one writer's cut points.
pub struct Outcome {
    pub points: u64,
    /// Stores checked: one after the command returned, one per write-back
    /// at each cut point.
    pub checks: u64,
    pub failures: Vec<String>,
    /// Failures of the writer's known writeback gap.
    pub known: Vec<String>,
}

/// What the disk wrote back on its own before a cut, besides what was
/// synced.
#[derive(Clone, Copy)]
enum WriteBack {
    Nothing,
    Dirs,
    Random(u64),
}

/// Runs `writer` with every cut point (or a sample) and checks each, with
/// the write-backs given.
pub fn campaign(writer: &Writer, sample: Option<u64>, random: bool) -> Outcome {
    let env = Env::new();
    (writer.prepare)(&env);
    let before = versions(&env.path("base/app")).unwrap_or_default();
    let mut failures = Vec::new();
    let mut known = Vec::new();
    let mut checks = 0;
    // The command run whole, the power cut after it returns.
    let (run, n, disk) = run_cut(&env, writer, None, "whole");
    disk.write_durable(&env.path("whole"))
        .expect("write what the disk holds");
    checks += 1;
    if run.code != 0 {
        failures.push(format!("{}: failed without a cut: {run:#?}", writer.name));
    } else if let Err(e) = check(&env, writer, &before, &run, "whole") {
        failures.push(format!("{}: cut after it returned: {e}", writer.name));
    }
    let points = cut_points(n, sample);
    for &k in &points {
        let out = format!("cut{k}");
        let (run, _, disk) = run_cut(&env, writer, Some(k), &format!("{out}.run"));
        let mut modes = vec![WriteBack::Nothing, WriteBack::Dirs];
        if random {
            modes.push(WriteBack::Random(k));
        }
        for mode in modes {
            let copy = disk.copy();
            let what = match mode {
                WriteBack::Nothing => String::new(),
                WriteBack::Dirs => {
                    copy.write_back_dirs();
                    ", unsynced directories kept".into()
                }
                WriteBack::Random(seed) => {
                    copy.write_back_some(seed);
                    ", some unsynced inodes kept".into()
                }
            };
            let _ = std::fs::remove_dir_all(env.path(&out));
            copy.write_durable(&env.path(&out))
                .expect("write what the disk holds");
            checks += 1;
            if let Err(e) = check(&env, writer, &before, &run, &out) {
                let e = format!("{}: cut after op {k} of {n}{what}: {e}", writer.name);
                match (mode, writer.writeback_gap) {
                    (WriteBack::Nothing, _) | (_, None) => failures.push(e),
                    (_, Some(_)) => known.push(e),
                }
            }
        }
        // Keep the scratch dir small.
        let _ = std::fs::remove_dir_all(env.path(&out));
    }
    Outcome {
        points: points.len() as u64 + 1,
        checks,
        failures,
        known,
    }
}

fn ci_campaign(name: &str) {
    if !fuse_usable() {
        return;
    }
    let all = std::env::var("REL_POWERCUT_ALL").as_deref() == Ok("1");
    let writer = writers()
        .into_iter()
        .find(|w| w.name == name)
        .expect("a writer of that name");
    let sample = (!all).then_some(writer.ci_points);
    let outcome = campaign(&writer, sample, all);
    assert!(
        outcome.failures.is_empty(),
        "{} of {} cut points failed:\n{}",
        outcome.failures.len(),
        outcome.points,
        outcome.failures.join("\n")
    );
}

#[test]
fn power_cut_during_init() {
    ci_campaign("init");
}

#[test]
fn power_cut_during_a_deploy_of_a_directory() {
    ci_campaign("deploy of a directory");
}

#[test]
fn power_cut_during_a_deploy_of_a_tar_stream() {
    ci_campaign("deploy of a tar stream");
}

#[test]
fn power_cut_during_a_deploy_of_many_files() {
    ci_campaign("deploy of many files");
}

#[test]
fn power_cut_during_a_deploy_of_a_large_file() {
    ci_campaign("deploy of a large file");
}

#[test]
fn power_cut_during_a_deploy_of_mid_size_files() {
    ci_campaign("deploy of mid-size files");
}

#[test]
fn power_cut_during_config_set() {
    ci_campaign("config:set");
}

#[test]
fn power_cut_during_config_unset() {
    ci_campaign("config:unset");
}

#[test]
fn power_cut_during_addons_add() {
    ci_campaign("addons:add");
}

#[test]
fn power_cut_during_addons_remove() {
    ci_campaign("addons:remove");
}

#[test]
fn power_cut_during_rollback() {
    ci_campaign("rollback");
}

#[test]
fn power_cut_during_activate() {
    ci_campaign("activate");
}

#[test]
fn power_cut_during_plumbing_write_slug_write_release_activate() {
    ci_campaign("write-slug, write-release, activate");
}

#[test]
fn power_cut_while_receiving_a_push() {
    ci_campaign("receiving a push");
}

#[test]
fn power_cut_during_gc() {
    ci_campaign("gc");
}

/// Every cut point of every writer, with a tally (benches/powercut.sh).
#[test]
#[ignore = "long: every cut point of every writer; run by benches/powercut.sh"]
fn power_cut_campaign() {
    assert!(fuse_usable(), "the campaign needs FUSE");
    let only = std::env::var("REL_POWERCUT_WRITER").ok();
    let (mut passed, mut failed, mut known) = (0, 0, 0);
    for writer in writers() {
        if only.as_deref().is_some_and(|o| o != writer.name) {
            continue;
        }
        let outcome = campaign(&writer, None, true);
        let bad = outcome.failures.len() as u64;
        eprintln!(
            "{}: {} cut points, {} stores checked, {} failed, {} in its known gap",
            writer.name,
            outcome.points,
            outcome.checks,
            bad,
            outcome.known.len()
        );
        for f in &outcome.failures {
            eprintln!("  FAILED {f}");
        }
        for f in outcome.known.iter().take(3) {
            eprintln!("  known gap ({}): {f}", writer.writeback_gap.unwrap_or(""));
        }
        passed += outcome.checks - bad - outcome.known.len() as u64;
        failed += bad;
        known += outcome.known.len();
    }
    eprintln!("known gaps (not counted as failures): {known}");
    eprintln!("{passed} passed, {failed} failed");
    assert_eq!(failed, 0, "power cuts lost data");
}
