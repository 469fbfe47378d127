//! rel push to app directories on this host, and the plumbing it speaks:
//! list-objects, missing-objects, pack-objects, receive-pack, write-release
//! --base. (Over ssh, and rel serve: ssh.rs.)

use std::fs;

use crate::common::{Env, Run, set_mode};
use crate::fixtures::{files_below, sh_str};

const COMMIT: &str = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";

/// The app `app` (myapp) with one deploy of `src` and a config var, and an
/// empty store `dir` (named `name`) to push to.
fn staging_and(env: &Env, dests: &[&str]) {
    env.init();
    env.source("src", "hello from staging\n");
    env.rel(["deploy", "../src", "--commit", COMMIT]).ok();
    env.rel(["config:set", "STAGE=staging"]).ok();
    for dest in dests {
        env.rel_in(".", ["init", dest, "--name", dest]).ok();
    }
}

fn in_dir<const N: usize>(env: &Env, dir: &str, args: [&str; N]) -> Run {
    env.rel_in(dir, args)
}

fn json(run: Run) -> serde_json::Value {
    serde_json::from_str(&run.ok().stdout).expect("json")
}

fn objects_in(env: &Env, dir: &str) -> usize {
    files_below(&env.path(&format!("{dir}/.releases/objects"))).len()
}

#[test]
fn push_makes_the_destinations_next_release_with_its_own_config_and_addons() {
    let env = Env::new();
    staging_and(&env, &["prod"]);
    in_dir(&env, "prod", ["config:set", "DATABASE_URL=postgres://prod"]).ok();
    in_dir(&env, "prod", ["addons:add", "memcachier:dev"]).ok();

    let run = env.rel(["push", "../prod"]).ok();
    assert_eq!(run.stdout, "../prod v3\n");
    assert!(run.stderr.contains("v3 is current"), "{run:#?}");

    let v3 = json(in_dir(&env, "prod", ["show-release", "current", "--json"]));
    assert_eq!(v3["version"], 3);
    assert_eq!(v3["change"], "Promote 1a2b3c4 from myapp v2");
    assert_eq!(v3["commit"], COMMIT);
    assert_eq!(v3["by"], "tester@example.com");
    assert_eq!(v3["status"], "succeeded");
    let slug = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    assert_eq!(v3["slug"], slug.as_str());
    assert_eq!(v3["addons"][0]["plan"], "memcachier:dev");
    // The destination keeps its config (and its add-on's), not staging's.
    assert_eq!(
        in_dir(&env, "prod", ["read-config", "current"]).ok().stdout,
        "DATABASE_URL=postgres://prod\n"
    );
    assert_eq!(
        fs::read_to_string(env.path("prod/current/index.html")).expect("served"),
        "hello from staging\n"
    );
    in_dir(&env, "prod", ["fsck"]).ok();
    assert!(
        files_below(&env.path("prod/.releases/tmp")).is_empty(),
        "a quarantine is left"
    );
}

#[test]
fn a_repeated_push_sends_nothing_and_makes_no_release() {
    let env = Env::new();
    staging_and(&env, &["prod"]);
    env.rel(["push", "../prod"]).ok();
    let objects = objects_in(&env, "prod");
    let run = env.rel(["push", "../prod"]).ok();
    assert_eq!(run.stdout, "../prod v1\n");
    assert!(run.stderr.contains("nothing sent"), "{run:#?}");
    assert_eq!(objects_in(&env, "prod"), objects);
    in_dir(&env, "prod", ["show-release", "v2"]).code(1);
}

#[test]
fn only_the_objects_the_destination_lacks_travel() {
    let env = Env::new();
    staging_and(&env, &["prod"]);
    env.rel(["push", "../prod"]).ok();
    env.write("src/lib/util.txt", "changed util\n");
    env.rel(["deploy", "../src"]).ok();

    // The plumbing says what push sends: the changed blob, its directory's
    // tree and the root tree.
    let missing = sh_str(
        &env,
        "cd app && $REL list-objects current | $REL -C ../prod missing-objects",
    );
    let lib = env.rel(["ls-slug", "current", "lib"]).ok().stdout;
    let lib_tree = sh_str(
        &env,
        "cd app && $REL ls-slug current | grep 'lib$' | cut -d' ' -f3",
    );
    let root = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    let blob = lib.split_whitespace().nth(2).expect("id").to_string();
    let mut want = vec![root, lib_tree, blob];
    let mut got: Vec<String> = missing.lines().map(str::to_string).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);

    let run = env.rel(["push", "../prod"]).ok();
    assert_eq!(run.stdout, "../prod v2\n");
    assert!(run.stderr.contains("(3 objects sent"), "{run:#?}");
    assert_eq!(
        fs::read_to_string(env.path("prod/current/lib/util.txt")).expect("file"),
        "changed util\n"
    );
    in_dir(&env, "prod", ["fsck"]).ok();
}

#[test]
fn with_config_sends_the_releases_config_vars() {
    let env = Env::new();
    staging_and(&env, &["prod"]);
    in_dir(&env, "prod", ["config:set", "OWN=1"]).ok();
    env.rel(["push", "../prod", "--with-config"]).ok();
    assert_eq!(
        in_dir(&env, "prod", ["read-config", "current"]).ok().stdout,
        "STAGE=staging\n"
    );
    // The same slug with another config is a change.
    in_dir(&env, "prod", ["config:set", "OWN=2"]).ok();
    let run = env.rel(["push", "../prod", "--with-config"]).ok();
    assert_eq!(run.stdout, "../prod v4\n");
}

#[test]
fn a_destination_without_a_store_is_named_and_none_is_activated() {
    let env = Env::new();
    staging_and(&env, &["prod"]);
    let run = env
        .rel(["-q", "push", "../prod", "../nostore"])
        .code(1)
        .fails_with("../nostore has no rel store; make one with 'rel init ../nostore'");
    assert!(
        run.stderr.contains("no destination was activated"),
        "{run:#?}"
    );
    assert!(!env.path("prod/.releases/CURRENT").exists());
    assert!(!env.path("prod/current").exists());
    assert!(!env.path("nostore").exists());
}

#[test]
fn a_failed_release_hook_on_one_destination_activates_none() {
    let env = Env::new();
    staging_and(&env, &["prod1", "prod2"]);
    let hook = env.write(
        "prod2/.releases/hooks/release",
        "#!/bin/sh\necho migration failed\nexit 3\n",
    );
    set_mode(&hook, 0o755);
    let run = env
        .rel(["push", "../prod1", "../prod2", "--jobs", "1"])
        .code(1);
    assert!(
        run.stderr
            .contains("push to ../prod2 failed: v1 failed: the release hook failed"),
        "{run:#?}"
    );
    assert!(
        run.stderr.contains("no destination was activated"),
        "{run:#?}"
    );
    // prod1 made its release, but did not switch to it.
    assert!(env.path("prod1/.releases/releases/v1.toml").exists());
    assert!(!env.path("prod1/.releases/CURRENT").exists());
    assert!(!env.path("prod2/.releases/CURRENT").exists());
}

#[test]
fn a_failed_activation_rolls_back_every_destination_this_push_switched() {
    let env = Env::new();
    staging_and(&env, &["prod1", "prod2"]);
    env.rel(["push", "../prod1", "../prod2"]).ok();
    let old = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    env.write("src/index.html", "new code\n");
    env.rel(["deploy", "../src"]).ok();
    let hook = env.write("prod2/.releases/hooks/restart", "#!/bin/sh\nexit 1\n");
    set_mode(&hook, 0o755);

    let run = env.rel(["push", "../prod1", "../prod2"]).code(1);
    assert_eq!(run.stdout, "../prod1 v3\n../prod2 v3\n", "{run:#?}");
    assert!(
        run.stderr
            .contains("every destination this push switched was rolled back"),
        "{run:#?}"
    );
    for dest in ["prod1", "prod2"] {
        let now = json(in_dir(&env, dest, ["show-release", "current", "--json"]));
        assert_eq!(now["version"], 3, "{dest}");
        assert_eq!(now["change"], "Rollback to v1", "{dest}");
        assert_eq!(now["slug"], old.as_str(), "{dest}");
        assert_eq!(
            fs::read_to_string(env.path(&format!("{dest}/current/index.html"))).expect("file"),
            "hello from staging\n",
            "{dest}"
        );
    }
}

#[test]
fn write_release_base_keeps_the_config_and_addons_of_a_release() {
    let env = Env::new();
    env.init();
    env.source("src", "x\n");
    let slug = crate::fixtures::write_slug(&env, "src");
    // Before the first release, the base is nothing.
    let v = env
        .rel([
            "write-release",
            "--slug",
            &slug,
            "--base",
            "current",
            "--change",
            "Promote",
        ])
        .ok()
        .line();
    assert_eq!(v, "v1");
    assert_eq!(env.rel(["read-config", "v1"]).ok().stdout, "");
    env.rel(["activate", "v1"]).ok();
    env.rel(["addons:add", "redis", "--config", "REDIS_URL=r"])
        .ok();
    env.rel(["config:set", "A=1"]).ok();
    let v = env
        .rel([
            "write-release",
            "--slug",
            &slug,
            "--base",
            "current",
            "--change",
            "Again",
        ])
        .ok()
        .line();
    let base = json(env.rel(["show-release", "current", "--json"]));
    let new = json(env.rel(["show-release", &v, "--json"]));
    assert_eq!(new["config"], base["config"]);
    assert_eq!(new["addons"], base["addons"]);
    env.rel([
        "write-release",
        "--slug",
        &slug,
        "--base",
        "current",
        "--addon",
        "a=b",
        "--change",
        "x",
    ])
    .code(2);
}

/// A pack of every object of the current slug, and that slug.
fn whole_pack(env: &Env) -> (Vec<u8>, String) {
    let slug = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    let ids = env.rel(["list-objects", &slug]).ok().stdout;
    let pack = env
        .rel_stdin(["pack-objects"], ids.as_bytes())
        .ok()
        .raw_stdout;
    (pack, slug)
}

fn receive(env: &Env, slug: &str, pack: &[u8]) -> Run {
    crate::common::run(
        env.cmd_in("prod").args(["receive-pack", "--slug", slug]),
        Some(pack),
    )
}

#[test]
fn receive_pack_stores_a_whole_pack_and_the_slug_checks_out() {
    let env = Env::new();
    staging_and(&env, &["prod"]);
    let (pack, slug) = whole_pack(&env);
    assert_eq!(&pack[..4], &0x184D_2A53u32.to_le_bytes());
    let run = receive(&env, &slug, &pack).ok();
    assert!(run.stderr.contains("Received 7 objects"), "{run:#?}");
    in_dir(&env, "prod", ["fsck"]).ok();
    in_dir(&env, "prod", ["checkout-slug", &slug, "../out"]).ok();
    assert_eq!(
        fs::read_to_string(env.path("out/index.html")).expect("file"),
        "hello from staging\n"
    );
}

#[test]
fn receive_pack_refuses_damaged_streams_and_stores_nothing() {
    let env = Env::new();
    staging_and(&env, &["prod"]);
    let (pack, slug) = whole_pack(&env);
    let nothing_stored = |what: &str| {
        assert_eq!(objects_in(&env, "prod"), 0, "{what}: objects were stored");
        assert!(
            files_below(&env.path("prod/.releases/tmp")).is_empty()
                && fs::read_dir(env.path("prod/.releases/tmp"))
                    .expect("tmp")
                    .next()
                    .is_none(),
            "{what}: a quarantine is left"
        );
    };
    // A byte changed anywhere (a bit flipped in transit, or a mutated
    // pack): refused and nothing stored, unless the change left every
    // object's content whole (a bit of a compressed frame that its decoder
    // does not use): then the objects are verified by their ids, stored,
    // and the slug checks out the same.
    let mut refused = 0;
    for at in (0..pack.len()).step_by(7).chain([pack.len() - 1]) {
        let mut flipped = pack.clone();
        flipped[at] ^= 0x10;
        let run = receive(&env, &slug, &flipped);
        if run.code == 0 {
            in_dir(&env, "prod", ["fsck"]).ok();
            in_dir(&env, "prod", ["checkout-slug", &slug, "../check"]).ok();
            assert_eq!(
                fs::read_to_string(env.path("check/index.html")).expect("file"),
                "hello from staging\n",
                "byte {at}"
            );
            fs::remove_dir_all(env.path("check")).expect("rm");
            fs::remove_dir_all(env.path("prod")).expect("rm");
            env.rel_in(".", ["init", "prod", "--name", "prod"]).ok();
            continue;
        }
        refused += 1;
        assert!(
            run.code == 1
                && run.stderr.starts_with("rel: error: ")
                && run.stderr.contains("nothing was stored")
                && run.stderr.lines().count() == 1,
            "byte {at}: {run:#?}"
        );
        nothing_stored("flipped");
    }
    assert!(refused > pack.len() / 7 * 9 / 10, "{refused} refused");
    // In the header of an object: the object is named as corrupt.
    let mut flipped = pack.clone();
    flipped[8 + 11 + 8] ^= 0x01;
    receive(&env, &slug, &flipped)
        .code(1)
        .fails_with("object 1 of the pack stream is corrupt");
    // Cut short, inside an object.
    receive(&env, &slug, &pack[..pack.len() - 5])
        .code(1)
        .fails_with("cut short");
    nothing_stored("truncated");
    // Not a pack at all.
    receive(&env, &slug, b"hello")
        .code(1)
        .fails_with("not a rel pack stream");
    nothing_stored("garbage");
    // A pack without one of the slug's blobs.
    let ids = env.rel(["list-objects", &slug]).ok().stdout;
    let fewer: Vec<&str> = ids.lines().skip(1).collect();
    let partial = env
        .rel_stdin(["pack-objects"], fewer.join("\n").as_bytes())
        .ok()
        .raw_stdout;
    receive(&env, &slug, &partial).code(1).fails_with(&format!(
        "slug {slug} is incomplete: tree {slug} is neither in the pack nor in the store"
    ));
    nothing_stored("incomplete");
    // Every object ends at a frame boundary: cut after the header, too.
    for cut in [8 + 11 + 4, pack.len() / 2] {
        let run = receive(&env, &slug, &pack[..cut]).code(1);
        assert!(run.stderr.contains("nothing was stored"), "{cut}: {run:#?}");
        nothing_stored("cut");
    }
    // Then the whole pack goes in.
    receive(&env, &slug, &pack).ok();
    in_dir(&env, "prod", ["fsck"]).ok();
}

#[test]
fn missing_objects_names_a_bad_line() {
    let env = Env::new();
    env.init();
    env.rel_stdin(["missing-objects"], b"not-an-id\n")
        .code(1)
        .fails_with("line 1 of standard input, 'not-an-id', is not an object id");
    let id = "ab".repeat(32);
    assert_eq!(
        env.rel_stdin(["missing-objects"], format!("{id}\n").as_bytes())
            .ok()
            .stdout,
        format!("{id}\n")
    );
}

#[test]
fn the_plumbing_pipeline_of_the_push_page_promotes() {
    let env = Env::new();
    staging_and(&env, &["prod"]);
    let v = sh_str(
        &env,
        r#"cd app
r="$REL -C ../prod/.releases"
s=$($REL rev-parse --slug current)
$REL list-objects "$s" | $r missing-objects | $REL pack-objects |
    $r receive-pack --slug "$s"
v=$($r write-release --slug "$s" --base current \
    --change "Promote $(printf %.7s "$s") from myapp v24")
$r activate "$v"
echo "$v""#,
    );
    assert_eq!(v, "v1");
    assert_eq!(
        fs::read_to_string(env.path("prod/current/index.html")).expect("file"),
        "hello from staging\n"
    );
}

#[test]
fn small_objects_arrive_as_one_pack_and_large_ones_loose_and_travel_on() {
    let env = Env::new();
    env.init();
    env.source("src", "packed\n");
    let big: String = (0..300_000).map(|i| format!("{i:x}")).collect();
    assert!(big.len() > 1 << 20);
    env.write("src/big.txt", &big);
    env.rel(["deploy", "../src"]).ok();
    for dest in ["prod", "dr"] {
        env.rel_in(".", ["init", dest]).ok();
    }
    env.rel(["push", "../prod"]).ok();
    let packs: Vec<_> = fs::read_dir(env.path("prod/.releases/objects/pack"))
        .expect("a pack")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    assert_eq!(packs.len(), 2, "{packs:?}");
    assert!(packs.iter().all(|p| p.starts_with("pack-")), "{packs:?}");
    let blob = crate::fixtures::entry_id(&env, "current", "big.txt");
    assert!(
        env.path(&format!(
            "prod/.releases/objects/{}/{}",
            &blob[..2],
            &blob[2..]
        ))
        .is_file(),
        "the large blob is not loose"
    );
    // From the pack onwards: prod's packed objects are sent as they are.
    let run = in_dir(&env, "prod", ["push", "../dr"]).ok();
    assert_eq!(run.stdout, "../dr v1\n");
    assert!(run.stderr.contains("(8 objects sent"), "{run:#?}");
    assert_eq!(
        fs::read_to_string(env.path("dr/current/big.txt")).expect("file"),
        big
    );
    in_dir(&env, "dr", ["fsck"]).ok();
}

#[test]
fn a_dirty_release_is_promoted_as_dirty() {
    let env = Env::new();
    staging_and(&env, &["prod"]);
    let slug = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    let config = env.rel(["rev-parse", "--config", "current"]).ok().line();
    let v = env
        .rel([
            "write-release",
            "--slug",
            &slug,
            "--config",
            &config,
            "--commit",
            COMMIT,
            "--dirty",
            "--change",
            "Deploy 1a2b3c4-dirty",
        ])
        .ok()
        .line();
    env.rel(["activate", &v]).ok();
    env.rel(["push", "../prod"]).ok();
    let now = json(in_dir(&env, "prod", ["show-release", "current", "--json"]));
    assert_eq!(now["change"], "Promote 1a2b3c4-dirty from myapp v3");
    assert_eq!(now["commit"], COMMIT);
    assert_eq!(now["dirty"], true);
}

#[test]
fn a_receiver_killed_mid_stream_leaves_nothing_after_the_next_writer() {
    use std::io::Write;
    use std::time::{Duration, Instant};
    let env = Env::new();
    staging_and(&env, &["prod"]);
    let big: String = (0..400_000).map(|i| format!("{i:x}")).collect();
    env.write("src/big.txt", &big);
    env.rel(["deploy", "../src"]).ok();
    let (pack, slug) = whole_pack(&env);
    let mut child = env
        .cmd_in("prod")
        .args(["receive-pack", "--slug", &slug])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&pack[..pack.len() / 2]).expect("write");
    stdin.flush().expect("flush");
    // Wait until it has something in tmp/ (a bound on a hang, not a timing).
    let tmp = env.path("prod/.releases/tmp");
    let deadline = Instant::now() + Duration::from_secs(60);
    while files_below(&tmp).is_empty() {
        assert!(Instant::now() < deadline, "receive-pack wrote nothing");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    drop(stdin);
    assert!(!files_below(&tmp).is_empty());
    in_dir(&env, "prod", ["config:set", "NEXT=writer"]).ok();
    assert!(files_below(&tmp).is_empty(), "{:?}", files_below(&tmp));
    // None of the slug's objects was published.
    let ids = env.rel(["list-objects", &slug]).ok().stdout;
    let missing = crate::common::run(
        env.cmd_in("prod").arg("missing-objects"),
        Some(ids.as_bytes()),
    );
    assert_eq!(missing.ok().stdout, ids);
    in_dir(&env, "prod", ["fsck"]).ok();
}

/// `--ssh` for a host that is this machine: runs the remote command with
/// sh, and keeps what push writes to `missing-objects` in `asked.log`.
fn local_ssh(env: &Env) -> String {
    let log = env.path("asked.log");
    let script = env.write(
        "fake-ssh",
        &format!(
            "#!/bin/sh\nshift\ncase \"$1\" in\n*missing-objects*) tee -a '{}' | sh -c \"$1\" ;;\n*) sh -c \"$1\" ;;\nesac\n",
            log.display()
        ),
    );
    set_mode(&script, 0o755);
    script.display().to_string()
}

#[test]
fn a_one_file_push_asks_only_about_ids_outside_the_destinations_slug() {
    let env = Env::new();
    staging_and(&env, &["prod", "other"]);
    for i in 0..200 {
        env.write(&format!("src/many/f{i}.txt"), &format!("file {i}\n"));
    }
    env.rel(["deploy", "../src"]).ok();
    let ssh = local_ssh(&env);
    let rel = env!("CARGO_BIN_EXE_rel");
    let prod = format!("localhost:{}", env.path("prod").display());
    let push = |dest: &str| {
        env.rel(["push", dest, "--ssh", &ssh, "--rel", rel]).ok();
    };
    push(&prod);
    let first = fs::read_to_string(env.path("asked.log")).expect("log");
    assert!(first.lines().count() > 200, "{first}");

    // One file changed: only the ids the slug prod runs lacks are asked
    // about (the blob, its tree and the root), not every id of the tree.
    fs::remove_file(env.path("asked.log")).expect("rm");
    env.write("src/many/f7.txt", "changed\n");
    env.rel(["deploy", "../src"]).ok();
    push(&prod);
    let asked = fs::read_to_string(env.path("asked.log")).expect("log");
    assert_eq!(asked.lines().count(), 3, "{asked}");
    assert_eq!(
        fs::read_to_string(env.path("prod/current/many/f7.txt")).expect("file"),
        "changed\n"
    );
    in_dir(&env, "prod", ["fsck"]).ok();

    // A destination running a slug this store never held is asked about
    // every id, and the push completes.
    env.source("elsewhere", "built elsewhere\n");
    env.rel_in("other", ["deploy", "../elsewhere"]).ok();
    fs::remove_file(env.path("asked.log")).expect("rm");
    push(&format!("localhost:{}", env.path("other").display()));
    let asked = fs::read_to_string(env.path("asked.log")).expect("log");
    assert!(asked.lines().count() > 200, "{asked}");
    assert_eq!(
        fs::read_to_string(env.path("other/current/many/f7.txt")).expect("file"),
        "changed\n"
    );
    in_dir(&env, "other", ["fsck"]).ok();
}
