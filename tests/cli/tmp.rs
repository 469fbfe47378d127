//! `.releases/tmp`: a killed writer's temporary files never make a later
//! command fail; the next writer removes those of writers that are gone,
//! never a live process's; `fsck` warns about them and `status` reports
//! them until then.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::common::{Env, Run, run, set_mode};

/// When process `pid` started: field 22 of `/proc/<pid>/stat`.
fn start_of(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    let rest = &stat[stat.rfind(')').expect("comm ends") + 1..];
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

/// The pid and start time of a process that has ended.
fn dead_process() -> (u32, u64) {
    let out = Command::new("sh")
        .args(["-c", "echo $$ $(cut -d' ' -f22 /proc/$$/stat)"])
        .output()
        .expect("run sh");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().unwrap());
    (fields.next().unwrap() as u32, fields.next().unwrap())
}

/// Runs `script` in `sh` in the app directory, with `$REL` the binary: a
/// script that ends in `exec "$REL" …` runs rel with the shell's pid.
fn sh(env: &Env, script: &str) -> Run {
    run(
        Command::new("sh")
            .args(["-c", script])
            .current_dir(env.path("app"))
            .env("REL", env!("CARGO_BIN_EXE_rel"))
            .env("REL_BY", "tester@example.com")
            .env("REL_DATE", crate::common::DATE)
            .env("TZ", "UTC")
            .env_remove("REL_DIR"),
        None,
    )
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn backdate(path: &Path, age: Duration) {
    fs::File::options()
        .write(true)
        .open(path)
        .or_else(|_| fs::File::open(path))
        .unwrap()
        .set_modified(SystemTime::now() - age)
        .unwrap();
}

/// Every name a writer with the shell's pid could pick, in the earlier
/// form `<kind>-<pid>-<n>` and in the form with its start time, is taken
/// before rel (exec keeps the pid) starts: rel still writes.
#[test]
fn names_of_a_dead_writer_with_the_same_pid_never_fail_a_writer() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let script = r#"
        s=$(cut -d' ' -f22 /proc/$$/stat)
        for k in write object current-link checkout prepared staging index hook-output trash; do
            for n in 0 1 2 3 4 5 6 7 8 9; do
                : > .releases/tmp/$k-$$-$n
                : > .releases/tmp/$k-$$-$s-$n
            done
        done
        exec "$REL" "$@"
    "#;
    let with = |args: &str| format!("set -- {args}\n{script}");
    sh(&env, &with("config:set A=1")).ok();
    sh(&env, &with("deploy ../src")).ok();
    sh(&env, &with("config:set B=2")).ok();
    let run = env.rel(["releases", "--json"]).ok();
    assert!(run.stdout.contains("\"version\": 3"), "{run:#?}");
    // Those writers are gone now: their names are leftovers.
    let run = env.rel(["fsck"]).ok();
    assert!(
        run.stderr
            .contains("temporary files of writers that are gone"),
        "{run:#?}"
    );
    env.rel(["fsck", "--repair"]).ok();
    assert_eq!(names(&env.path("app/.releases/tmp")), Vec::<String>::new());
}

/// Files, and directories holding read-only files and symbolic links, of a
/// process that has ended (or of a pid now used by a process that started
/// at another time) are reported, then removed by the next writer without
/// following the links; a name that is not rel's stays.
#[test]
fn leftovers_of_gone_writers_are_reported_and_removed_by_the_next_writer() {
    let env = Env::new();
    env.init();
    let tmp = env.path("app/.releases/tmp");
    let (pid, start) = dead_process();
    let outside = env.write("outside/keep.txt", "keep\n");
    set_mode(&outside, 0o400);

    fs::write(tmp.join(format!("write-{pid}-{start}-0")), "half").unwrap();
    let staging = tmp.join(format!("staging-{pid}-{start}-1"));
    fs::create_dir_all(staging.join("ab")).unwrap();
    let object = staging.join("ab/cdef");
    fs::write(&object, "x").unwrap();
    set_mode(&object, 0o400);
    std::os::unix::fs::symlink(&outside, staging.join("ab/file-link")).unwrap();
    std::os::unix::fs::symlink(env.path("outside"), staging.join("dir-link")).unwrap();
    let checkout = tmp.join(format!("checkout-{pid}-{start}-2"));
    fs::create_dir_all(checkout.join("lib/deep")).unwrap();
    fs::write(checkout.join("lib/deep/run"), "#!/bin/sh\n").unwrap();
    set_mode(&checkout.join("lib/deep/run"), 0o500);
    fs::write(tmp.join(format!("object-{pid}-3")), "earlier form").unwrap();
    // Our own pid, but another start time: the pid was reused.
    let me = std::process::id();
    fs::write(tmp.join(format!("write-{me}-{}-0", start_of(me) + 1)), "").unwrap();
    fs::write(tmp.join("notes.txt"), "not rel's").unwrap();

    let run = env.rel(["fsck"]).ok();
    assert!(
        run.stderr.contains(&format!(
            "warning: '{}' holds 5 temporary files of writers that are gone (such as 'checkout-{pid}-{start}-2'); \
             the next command that takes the lock, or 'rel fsck --repair', removes them\n",
            tmp.display()
        )),
        "{run:#?}"
    );
    let run = env.rel(["status"]).ok();
    assert!(
        run.stdout.contains(
            "holds 5 temporary files of writers that are gone (such as \
             'checkout-"
        ) && run
            .stdout
            .contains("; remove them with 'rel fsck --repair'"),
        "{run:#?}"
    );

    env.rel(["config:set", "A=1"]).ok();
    assert_eq!(names(&tmp), vec!["notes.txt".to_string()]);
    assert_eq!(fs::read_to_string(&outside).unwrap(), "keep\n");
    let run = env.rel(["fsck"]).ok();
    assert!(!run.stderr.contains("warning"), "{run:#?}");
    let run = env.rel(["status"]).ok();
    assert!(run.stdout.contains("in sync"), "{run:#?}");
}

/// The temporary files of a live process (`write-slug` writes without the
/// lock) survive every writer and gc, however old; once the process has
/// ended they are leftovers. An earlier-form name of a live pid counts as
/// gone only once it is a day old.
#[test]
fn a_live_writers_temporary_files_survive_writers_and_gc() {
    let env = Env::new();
    env.init();
    let tmp = env.path("app/.releases/tmp");
    let mut sleeper = Command::new("sleep")
        .arg("1000")
        .spawn()
        .expect("run sleep");
    let pid = sleeper.id();
    let start = start_of(pid);

    let file = tmp.join(format!("write-{pid}-{start}-0"));
    fs::write(&file, "being written").unwrap();
    let staging = tmp.join(format!("staging-{pid}-{start}-1"));
    fs::create_dir_all(staging.join("ab")).unwrap();
    fs::write(staging.join("ab/cdef"), "x").unwrap();
    let earlier = tmp.join(format!("object-{pid}-2"));
    fs::write(&earlier, "earlier form").unwrap();
    let earlier_old = tmp.join(format!("object-{pid}-3"));
    fs::write(&earlier_old, "earlier form, two days old").unwrap();
    backdate(&earlier_old, Duration::from_secs(2 * 24 * 3600));
    backdate(&file, Duration::from_secs(2 * 24 * 3600));
    backdate(&staging, Duration::from_secs(2 * 24 * 3600));

    let run = env.rel(["fsck"]).ok();
    assert!(
        run.stderr.contains(&format!(
            "holds 1 temporary file of writers that are gone (such as 'object-{pid}-3')"
        )),
        "{run:#?}"
    );
    env.rel(["config:set", "A=1"]).ok();
    env.rel(["gc", "--keep", "1"]).ok();
    let live = vec![
        format!("object-{pid}-2"),
        format!("staging-{pid}-{start}-1"),
        format!("write-{pid}-{start}-0"),
    ];
    assert_eq!(names(&tmp), live);
    let run = env.rel(["fsck"]).ok();
    assert!(!run.stderr.contains("warning"), "{run:#?}");

    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    let run = env.rel(["fsck"]).ok();
    assert!(
        run.stderr
            .contains("holds 3 temporary files of writers that are gone"),
        "{run:#?}"
    );
    env.rel(["config:set", "B=2"]).ok();
    assert_eq!(names(&tmp), Vec::<String>::new());
}
