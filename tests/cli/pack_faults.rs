//! Damaged, truncated and mutated packs and indexes, read by the commands
//! that read them, and mutated pack streams into `rel receive-pack`: each
//! is an error naming the file (for a packed object, its id and its offset
//! too), never a panic, a hang or a wrong object, and refused input leaves
//! the store as it was.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Env, Run, set_mode};
use crate::fixtures::{Item, files_below, packed_objects, snapshot, store, stored};

/// xorshift: the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Runs `cmd` with `input` on stdin; a run still going after a minute is a
/// hang (a bound, not a timing: every run here takes milliseconds).
fn bounded(cmd: &mut Command, input: &[u8]) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rel");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    // rel may refuse the input before reading it all: a closed pipe is fine.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rel hung: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().expect("output");
    writer.join().expect("writer thread");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        raw_stdout: out.stdout,
    }
}

fn rel_in(env: &Env, dir: &str, args: &[&str], input: &[u8]) -> Run {
    bounded(env.cmd_in(dir).args(args), input)
}

/// Not a panic.
#[track_caller]
fn no_panic(run: &Run, what: &str) {
    assert!(
        run.code != 101 && !run.stderr.contains("panicked"),
        "{what}: rel panicked: {run:#?}"
    );
}

/// Neither a panic nor an error of more than one line.
#[track_caller]
fn sane(run: &Run, what: &str) {
    no_panic(run, what);
    if run.code != 0 {
        assert!(
            run.stderr.starts_with("rel: error: ") && run.stderr.trim_end().lines().count() == 1,
            "{what}: not one error line: {run:#?}"
        );
    }
}

/// Replaces a (read-only) store file.
fn put(path: &Path, bytes: &[u8]) {
    set_mode(path, 0o600);
    fs::write(path, bytes).expect("write");
}

/// The pack files and their indexes, by pack.
fn pack_files(env: &Env) -> Vec<(PathBuf, PathBuf)> {
    files_below(&store(env).join("objects/pack"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .map(|p| (p.with_extension("idx"), p))
        .collect()
}

/// A source of `n` small files, in a few directories, marked `marker`.
fn source(env: &Env, dir: &str, n: usize, marker: &str) {
    for i in 0..n {
        env.write(
            &format!("{dir}/d{}/f{i}.txt", i % 3),
            &format!("{marker} {i}\n").repeat(1 + i * 40),
        );
    }
}

/// v1 from one source and v2 (current) from another: v1's slug is all in
/// the first pack. Returns v1's slug, its pack and index, every object of
/// it with its content, and its checkout.
struct Fixture {
    slug: String,
    idx: PathBuf,
    pack: PathBuf,
    objects: Vec<(String, Vec<u8>)>,
    files: BTreeMap<Vec<u8>, Item>,
}

fn two_releases(env: &Env) -> Fixture {
    env.init();
    source(env, "one", 10, "first");
    env.rel(["deploy", "../one"]).ok();
    let slug = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    let packs = pack_files(env);
    assert_eq!(packs.len(), 1, "{packs:?}");
    let (idx, pack) = packs[0].clone();
    source(env, "two", 10, "second");
    env.rel(["deploy", "../two"]).ok();
    let objects: Vec<(String, Vec<u8>)> = env
        .rel(["list-objects", &slug])
        .ok()
        .stdout
        .lines()
        .map(|id| {
            let bytes = env.rel(["cat-object", id]).ok().raw_stdout;
            (id.to_string(), bytes)
        })
        .collect();
    // Every object of v1 is in its pack: damage there is damage to v1.
    let entries = packed_objects(env);
    for (id, _) in &objects {
        assert!(
            entries.iter().any(|e| &e.id == id && e.pack == pack),
            "{id} not in {}",
            pack.display()
        );
    }
    let checkout = store(env).join("checkouts").join(&slug);
    let files = snapshot(&checkout);
    fs::remove_dir_all(&checkout).expect("remove v1's checkout");
    Fixture {
        slug,
        idx,
        pack,
        objects,
        files,
    }
}

/// The checks after one piece of damage to v1's pack or index. `hit` is
/// the object whose bytes were damaged, with its offset, if one was.
fn check_damage(env: &Env, fx: &Fixture, what: &str, hit: Option<(&str, u64)>) {
    let stem = fx.idx.file_stem().unwrap().to_string_lossy().into_owned();
    // fsck names the file; for a damaged object, its id and offset too.
    let run = rel_in(env, "app", &["fsck"], b"");
    no_panic(&run, what);
    assert_eq!(run.code, 1, "{what}: fsck: {run:#?}");
    assert!(
        run.stdout.lines().any(|l| l.contains(&stem)),
        "{what}: fsck does not name {stem}: {run:#?}"
    );
    if let Some((id, offset)) = hit {
        assert!(
            run.stdout.lines().any(|l| l.contains(id)
                && l.contains(&stem)
                && l.contains(&format!("offset {offset}"))),
            "{what}: fsck does not name {id} at offset {offset}: {run:#?}"
        );
    }
    // Reads give the right bytes or an error naming the pack; an object
    // the damage hit is never read.
    let mut refused = false;
    let n = fx.objects.len();
    let read: Vec<&(String, Vec<u8>)> = fx
        .objects
        .iter()
        .enumerate()
        .filter(|(i, (id, _))| *i == 0 || *i == n / 2 || hit.is_some_and(|(h, _)| h == id))
        .map(|(_, o)| o)
        .collect();
    for (id, content) in read {
        let run = rel_in(env, "app", &["cat-object", id], b"");
        sane(&run, what);
        if run.code == 0 {
            assert_eq!(
                &run.raw_stdout, content,
                "{what}: cat-object {id}: wrong bytes"
            );
            assert!(hit.is_none_or(|(h, _)| h != id), "{what}: {id} was read");
        } else {
            refused = true;
            assert!(
                run.stderr.contains(&stem),
                "{what}: cat-object {id}: {run:#?}"
            );
        }
    }
    // A checkout of v1 is whole and right, or refused naming the pack.
    let out = env.path("out");
    let _ = fs::remove_dir_all(&out);
    let run = rel_in(env, "app", &["checkout-slug", &fx.slug, "../out"], b"");
    sane(&run, what);
    if run.code == 0 {
        assert!(!refused, "{what}: checked out what cat-object refused");
        assert!(snapshot(&out) == fx.files, "{what}: a wrong checkout");
    } else {
        assert!(run.stderr.contains(&stem), "{what}: {run:#?}");
    }
    // So is a rollback to it, which then leaves no checkout of v1 behind.
    if refused {
        let run = rel_in(env, "app", &["rollback"], b"");
        sane(&run, what);
        assert_eq!(run.code, 1, "{what}: rollback to a damaged slug: {run:#?}");
        assert!(run.stderr.contains(&stem), "{what}: {run:#?}");
        assert_eq!(
            env.rel(["rev-parse", "current"]).ok().line(),
            "v2",
            "{what}"
        );
        assert!(
            !store(env).join("checkouts").join(&fx.slug).exists(),
            "{what}: a checkout of the damaged slug was left"
        );
    }
}

/// The entries of a pack, as its index lists them: id, offset, length.
fn spans(env: &Env, pack: &Path) -> Vec<(String, u64, u64)> {
    let mut out: Vec<_> = packed_objects(env)
        .into_iter()
        .filter(|e| e.pack == pack)
        .map(|e| (e.id, e.offset, e.length))
        .collect();
    out.sort_by_key(|e| e.1);
    out
}

/// One bit flipped in every region of an index (magic, count, fanout, ids,
/// each field of an entry, both hashes) and of a pack (its first frame,
/// each object's header frame, the start, middle and end of its data
/// frame), and both cut at many lengths.
#[test]
fn damage_anywhere_in_a_pack_or_its_index_is_named_and_never_read_as_an_object() {
    let env = Env::new();
    let fx = two_releases(&env);
    let idx = fs::read(&fx.idx).unwrap();
    let pack = fs::read(&fx.pack).unwrap();
    let entries = spans(&env, &fx.pack);
    let n = entries.len();
    let (ids_at, entries_at) = (12 + 1024, 12 + 1024 + 32 * n);
    // The index.
    let mut at: Vec<usize> = vec![0, 5, 7, 8, 11, 12, 12 + 4 * 0x7f, 12 + 1020];
    for i in [0, n / 2, n - 1] {
        at.extend([ids_at + 32 * i, ids_at + 32 * i + 31]);
        let e = entries_at + 32 * i;
        at.extend([e, e + 7, e + 8, e + 15, e + 16, e + 24, e + 25, e + 31]);
    }
    at.extend([
        idx.len() - 64,
        idx.len() - 33,
        idx.len() - 32,
        idx.len() - 1,
    ]);
    for a in at {
        let mut bad = idx.clone();
        bad[a] ^= 1 << (a % 8);
        put(&fx.idx, &bad);
        check_damage(&env, &fx, &format!("index byte {a} flipped"), None);
    }
    for len in [
        0,
        7,
        12,
        500,
        ids_at,
        entries_at,
        idx.len() - 33,
        idx.len() - 1,
    ] {
        put(&fx.idx, &idx[..len]);
        check_damage(&env, &fx, &format!("index cut to {len} bytes"), None);
    }
    put(&fx.idx, &idx);
    env.rel(["fsck"]).ok();
    // The pack.
    for a in [0, 4, 8, 12, 18] {
        let mut bad = pack.clone();
        bad[a] ^= 1 << (a % 8);
        put(&fx.pack, &bad);
        check_damage(&env, &fx, &format!("pack byte {a} flipped"), None);
    }
    for (i, (id, offset, length)) in entries.iter().enumerate() {
        let header = 8 + u64::from(pack[*offset as usize + 4]);
        let mut at = vec![offset + 9, offset + (header + length) / 2];
        if i % 5 == 0 {
            at.extend([
                offset + 1,
                offset + header,
                offset + header + 5,
                offset + length - 1,
            ]);
        }
        for a in at {
            let mut bad = pack.clone();
            bad[a as usize] ^= 1 << (a % 8);
            put(&fx.pack, &bad);
            check_damage(
                &env,
                &fx,
                &format!("pack byte {a} (object {id}) flipped"),
                Some((id, *offset)),
            );
        }
    }
    for len in [
        0,
        10,
        19,
        entries[0].1 + 5,
        pack.len() as u64 / 2,
        pack.len() as u64 - 1,
    ] {
        put(&fx.pack, &pack[..len as usize]);
        check_damage(&env, &fx, &format!("pack cut to {len} bytes"), None);
    }
    put(&fx.pack, &pack);
    env.rel(["fsck"]).ok();
    env.rel(["rollback"]).ok();
}

/// Damage behind a good checksum, and random mutations (flipped, changed,
/// inserted, deleted and copied bytes) of indexes and packs, read by
/// `cat-object`, `ls-slug` and `fsck`: never a panic or a hang, never a
/// wrong object.
#[test]
fn mutated_indexes_and_packs_never_panic_or_give_a_wrong_object() {
    let env = Env::new();
    let fx = two_releases(&env);
    let idx = fs::read(&fx.idx).unwrap();
    let pack = fs::read(&fx.pack).unwrap();
    let mut rng = Rng(0x0ddb_a115_eed0_0001);
    for round in 0..120 {
        let in_idx = round % 2 == 0;
        let mut bad = mutate(&mut rng, if in_idx { &idx } else { &pack });
        // Half of the damaged indexes get a checksum that fits, so that
        // every structural check is reached.
        if in_idx && round % 4 == 0 && bad.len() >= 32 {
            let body = bad.len() - 32;
            let hash = blake3::hash(&bad[..body]);
            bad[body..].copy_from_slice(hash.as_bytes());
        }
        put(if in_idx { &fx.idx } else { &fx.pack }, &bad);
        let what = format!("round {round}");
        for (id, content) in fx.objects.iter().step_by(5) {
            let run = rel_in(&env, "app", &["cat-object", id], b"");
            sane(&run, &what);
            if run.code == 0 {
                assert_eq!(&run.raw_stdout, content, "{what}: cat-object {id}");
            }
        }
        let run = rel_in(&env, "app", &["ls-slug", "-r", &fx.slug], b"");
        sane(&run, &what);
        let run = rel_in(&env, "app", &["fsck"], b"");
        no_panic(&run, &what);
        put(&fx.idx, &idx);
        put(&fx.pack, &pack);
    }
    env.rel(["fsck"]).ok();
}

/// Up to eight random mutations of `data`.
fn mutate(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut b = data.to_vec();
    for _ in 0..1 + rng.below(8) {
        if b.is_empty() {
            b.push(0);
        }
        let at = rng.below(b.len());
        match rng.below(7) {
            0 => b[at] ^= 1 << rng.below(8),
            1 => b[at] = rng.below(256) as u8,
            2 => {
                let end = (at + 1 + rng.below(16)).min(b.len());
                b.drain(at..end);
            }
            3 => {
                let bytes: Vec<u8> = (0..1 + rng.below(8))
                    .map(|_| rng.below(256) as u8)
                    .collect();
                b.splice(at..at, bytes);
            }
            4 => {
                let from = rng.below(b.len());
                let end = (from + 1 + rng.below(200)).min(b.len());
                let copy = b[from..end].to_vec();
                b.splice(at..at, copy);
            }
            5 => b.truncate(at),
            _ => {
                // A field set to an extreme value.
                let v: [u8; 4] = match rng.below(3) {
                    0 => [0xff; 4],
                    1 => [0; 4],
                    _ => [0x52, 0x2a, 0x4d, 0x18],
                };
                let end = (at + 4).min(b.len());
                b[at..end].copy_from_slice(&v[..end - at]);
            }
        }
    }
    b
}

/// Every file below a store, by path: what a refused receive must leave.
fn store_files(dir: &Path) -> Vec<PathBuf> {
    files_below(dir)
}

/// Mutated pack streams into `rel receive-pack`: never a panic or a hang;
/// refused, they leave the store's files exactly as they were (nothing in
/// `tmp/`, no quarantine); accepted, the slug is whole and fsck is clean.
#[test]
fn receive_pack_fed_mutated_packs_never_panics_and_stores_nothing_it_refuses() {
    let env = Env::new();
    env.rel_in(".", ["init", "prod", "--name", "prod"]).ok();
    env.init();
    source(&env, "src", 8, "pushed");
    // One blob large enough to go through the quarantine.
    let big: String = (0..300_000).map(|i| format!("{i:x}")).collect();
    assert!(big.len() > 1 << 20);
    env.write("src/big.txt", &big);
    env.rel(["deploy", "../src"]).ok();
    let slug = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    let ids = env.rel(["list-objects", &slug]).ok().stdout;
    let pack = env
        .rel_stdin(["pack-objects"], ids.as_bytes())
        .ok()
        .raw_stdout;
    let prod = env.path("prod/.releases");
    let before = store_files(&prod);
    let mut rng = Rng(0x5eed_0f7a_c000_0002);
    let (mut refused, mut accepted) = (0, 0);
    for round in 0..250 {
        let bad = mutate(&mut rng, &pack);
        let what = format!("round {round}");
        let run = rel_in(&env, "prod", &["receive-pack", "--slug", &slug], &bad);
        sane(&run, &what);
        if run.code != 0 {
            refused += 1;
            assert_eq!(store_files(&prod), before, "{what}: {run:#?}");
            continue;
        }
        // Accepted (a mutation that kept every object whole): all there.
        accepted += 1;
        rel_in(&env, "prod", &["fsck"], b"").ok();
        for id in ids.lines() {
            assert!(stored_in(&env, id), "{what}: {id} missing");
        }
        fs::remove_dir_all(env.path("prod")).unwrap();
        env.rel_in(".", ["init", "prod", "--name", "prod"]).ok();
    }
    assert!(refused > 200, "{refused} refused, {accepted} accepted");
    // The pack itself still goes in.
    rel_in(&env, "prod", &["receive-pack", "--slug", &slug], &pack).ok();
    rel_in(&env, "prod", &["checkout-slug", &slug, "../out"], b"").ok();
    assert_eq!(fs::read_to_string(env.path("out/big.txt")).unwrap(), big);
}

fn stored_in(env: &Env, id: &str) -> bool {
    rel_in(env, "prod", &["cat-object", "--where", id], b"").code == 0
}

/// A damaged index hides its pack: gc, which cannot tell what the objects
/// in it need, deletes nothing until it is repaired.
#[test]
fn gc_deletes_nothing_while_an_index_is_damaged() {
    let env = Env::new();
    env.init();
    // x is in v1's pack only; v3 needs it again, v2 does not.
    env.write("src/a.txt", "a\n");
    env.write("src/x.txt", "x, in v1 and v3\n");
    env.rel(["deploy", "../src"]).ok();
    fs::remove_file(env.path("src/x.txt")).unwrap();
    env.rel(["deploy", "../src"]).ok();
    let before: Vec<_> = pack_files(&env);
    env.write("src/x.txt", "x, in v1 and v3\n");
    env.write("src/new.txt", "new\n");
    env.rel(["deploy", "../src"]).ok();
    let (idx, _) = pack_files(&env)
        .into_iter()
        .find(|p| !before.contains(p))
        .expect("v3's pack");
    crate::porcelain::sh(
        "find .releases/objects -type f -exec touch -d '2000-01-01' {} +",
        &env.path("app"),
    );
    let v3 = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    let x = crate::fixtures::entry_id(&env, &v3, "x.txt");
    let bytes = fs::read(&idx).unwrap();
    put(&idx, &bytes[..bytes.len() / 2]);
    let name = idx.display().to_string();
    let run = env
        .rel(["gc", "--keep", "1", "--grace", "0s"])
        .code(1)
        .fails_with(&name);
    assert!(run.stderr.contains("deletes nothing"), "{run:#?}");
    put(&idx, &bytes);
    assert!(stored(&env, &x), "gc deleted what v3 needs");
    env.rel(["fsck"]).ok();
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    env.rel(["fsck"]).ok();
    env.rel(["checkout-slug", &v3, "../out"]).ok();
    assert_eq!(
        fs::read_to_string(env.path("out/x.txt")).unwrap(),
        "x, in v1 and v3\n"
    );
}
