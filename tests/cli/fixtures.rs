//! Helpers for the store and plumbing tests: looking inside `.releases`,
//! comparing trees byte for byte, crafting tar streams, running tools.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::{Env, Run, run};

/// The store of the app made by `env.init()`.
pub fn store(env: &Env) -> PathBuf {
    env.path("app/.releases")
}

/// Every regular file below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let e = e.expect("dir entry");
        let ft = e.file_type().expect("file type");
        if ft.is_dir() {
            out.extend(files_below(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

/// How many objects the store holds: loose files, and entries of pack
/// indexes (an object stored twice counts twice).
pub fn object_count(env: &Env) -> usize {
    loose_objects(env).len() + packed_objects(env).len()
}

/// The loose object files (`objects/ab/cdef…`).
pub fn loose_objects(env: &Env) -> Vec<PathBuf> {
    files_below(&store(env).join("objects"))
        .into_iter()
        .filter(|p| p.parent().and_then(|d| d.file_name()) != Some(OsStr::new("pack")))
        .collect()
}

/// One entry of a pack index.
#[derive(Clone, Debug)]
pub struct Packed {
    pub id: String,
    pub pack: PathBuf,
    pub offset: u64,
    pub length: u64,
}

/// Every entry of every pack index, read as rel-store(5) lays them out.
pub fn packed_objects(env: &Env) -> Vec<Packed> {
    let mut out = Vec::new();
    for idx in files_below(&store(env).join("objects/pack")) {
        if idx.extension() != Some(OsStr::new("idx")) {
            continue;
        }
        let b = fs::read(&idx).expect("read index");
        assert_eq!(&b[..8], b"RELIDX\0\x01", "{}", idx.display());
        let n = u32::from_le_bytes(b[8..12].try_into().unwrap()) as usize;
        let ids = 12 + 1024;
        let entries = ids + 32 * n;
        for i in 0..n {
            let id: String = b[ids + 32 * i..ids + 32 * (i + 1)]
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect();
            let e = entries + 32 * i;
            out.push(Packed {
                id,
                pack: idx.with_extension("pack"),
                offset: u64::from_le_bytes(b[e..e + 8].try_into().unwrap()),
                length: u64::from_le_bytes(b[e + 8..e + 16].try_into().unwrap()),
            });
        }
    }
    out
}

/// Whether the store holds `id`, loose or in a pack's index.
pub fn stored(env: &Env, id: &str) -> bool {
    object_path(env, id).exists() || packed_objects(env).iter().any(|p| p.id == id)
}

/// Where `rel cat-object --where` says `id` is: a loose file, or a pack
/// and the offset and length of the object's bytes in it.
pub fn place(env: &Env, id: &str) -> (PathBuf, Option<(u64, u64)>) {
    let line = env.rel(["cat-object", "--where", id]).ok().line();
    let fields: Vec<&str> = line.split(' ').collect();
    match fields[..] {
        ["loose", path] => (store(env).join(path), None),
        ["pack", path, offset, length] => (
            store(env).join(path),
            Some((offset.parse().unwrap(), length.parse().unwrap())),
        ),
        _ => panic!("cat-object --where printed {line:?}"),
    }
}

/// The bytes of object `id` (its loose file's, or its bytes in its pack).
pub fn object_bytes(env: &Env, id: &str) -> Vec<u8> {
    let (path, span) = place(env, id);
    let bytes = fs::read(&path).expect("read object");
    match span {
        None => bytes,
        Some((offset, length)) => bytes[offset as usize..(offset + length) as usize].to_vec(),
    }
}

/// Flips one bit in the middle of the content part of object `id`, where
/// `cat-object --where` says it is.
pub fn flip_object_bit(env: &Env, id: &str) {
    let (path, span) = place(env, id);
    let Some((offset, length)) = span else {
        return flip_bit(&path);
    };
    let mut bytes = fs::read(&path).expect("read pack");
    let (start, end) = (offset as usize, (offset + length) as usize);
    let object = &bytes[start..end];
    let header = 8 + u32::from_le_bytes(object[4..8].try_into().expect("4 bytes")) as usize;
    let at = start + header + (end - start - header) * 2 / 3;
    bytes[at] ^= 0x10;
    let mut perms = fs::metadata(&path).expect("stat").permissions();
    perms.set_mode(0o600);
    fs::set_permissions(&path, perms).expect("chmod");
    fs::write(&path, bytes).expect("write pack");
}

/// Removes object `id` from the store: its loose file, or its bytes and
/// entry from its pack, as a gc would (the pack is rewritten without it,
/// under its new hash, with a new index).
pub fn remove_object(env: &Env, id: &str) {
    let loose = object_path(env, id);
    if loose.exists() {
        return fs::remove_file(loose).expect("remove object");
    }
    let all = packed_objects(env);
    let pack = all
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("{id} is not stored"))
        .pack
        .clone();
    let old = fs::read(&pack).expect("read pack");
    let mut kept: Vec<&Packed> = all
        .iter()
        .filter(|p| p.pack == pack && p.id != id)
        .collect();
    kept.sort_by(|a, b| a.id.cmp(&b.id));
    // The pack: its first frame (19 bytes), then the other objects.
    let mut bytes = old[..19].to_vec();
    let mut entries = Vec::new();
    for p in &kept {
        let offset = bytes.len() as u64;
        bytes.extend_from_slice(&old[p.offset as usize..(p.offset + p.length) as usize]);
        entries.push(offset);
    }
    let hash = blake3::hash(&bytes);
    // The index, as rel-store(5) lays it out.
    let idx = fs::read(pack.with_extension("idx")).expect("read index");
    let n = u32::from_le_bytes(idx[8..12].try_into().unwrap()) as usize;
    let entry_of = |hex: &str| {
        let ids = 12 + 1024;
        let i = (0..n)
            .find(|&i| {
                idx[ids + 32 * i..ids + 32 * (i + 1)]
                    .iter()
                    .map(|x| format!("{x:02x}"))
                    .collect::<String>()
                    == hex
            })
            .expect("listed");
        let at = ids + 32 * n + 32 * i;
        (
            idx[ids + 32 * i..ids + 32 * (i + 1)].to_vec(),
            idx[at..at + 32].to_vec(),
        )
    };
    let mut out = b"RELIDX\0\x01".to_vec();
    out.extend_from_slice(&(kept.len() as u32).to_le_bytes());
    let mut fanout = [0u32; 256];
    let listed: Vec<(Vec<u8>, Vec<u8>)> = kept.iter().map(|p| entry_of(&p.id)).collect();
    for (raw_id, _) in &listed {
        for f in &mut fanout[raw_id[0] as usize..] {
            *f += 1;
        }
    }
    for f in fanout {
        out.extend_from_slice(&f.to_le_bytes());
    }
    for (raw_id, _) in &listed {
        out.extend_from_slice(raw_id);
    }
    for ((_, entry), offset) in listed.iter().zip(&entries) {
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&entry[8..]);
    }
    out.extend_from_slice(hash.as_bytes());
    let idx_hash = blake3::hash(&out);
    out.extend_from_slice(idx_hash.as_bytes());
    let dir = pack.parent().expect("pack dir");
    let stem = format!("pack-{}", hash.to_hex());
    fs::remove_file(pack.with_extension("idx")).expect("remove index");
    fs::remove_file(&pack).expect("remove pack");
    if !kept.is_empty() {
        fs::write(dir.join(format!("{stem}.pack")), bytes).expect("write pack");
        fs::write(dir.join(format!("{stem}.idx")), out).expect("write index");
    }
}

/// The release manifests' names, sorted by version (`v1.toml`, `v2.toml`…).
pub fn manifests(env: &Env) -> Vec<u64> {
    let mut out: Vec<u64> = fs::read_dir(store(env).join("releases"))
        .expect("releases dir")
        .map(|e| {
            let name = e.expect("entry").file_name();
            let name = name.to_string_lossy().into_owned();
            name.strip_prefix('v')
                .and_then(|n| n.strip_suffix(".toml"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("odd file in releases/: {name}"))
        })
        .collect();
    out.sort();
    out
}

/// What CURRENT says, if it exists.
pub fn current(env: &Env) -> Option<String> {
    fs::read_to_string(store(env).join("CURRENT"))
        .ok()
        .map(|s| s.trim().to_string())
}

/// Where the `current` link points, if it exists.
pub fn current_link(env: &Env) -> Option<String> {
    fs::read_link(env.path("app/current"))
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

pub fn mode(p: &Path) -> u32 {
    fs::symlink_metadata(p).expect("stat").mode() & 0o7777
}

pub fn uid(p: &Path) -> u32 {
    fs::symlink_metadata(p).expect("stat").uid()
}

pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        crate::common::skip("this test needs root", false);
    }
    root
}

/// Runs rel in `cwd` (relative to the scratch dir) with extra environment.
pub fn rel_env<S: AsRef<OsStr>>(
    env: &Env,
    cwd: &str,
    args: &[S],
    vars: &[(&str, &str)],
    input: Option<&[u8]>,
) -> Run {
    let mut cmd = env.cmd_in(cwd);
    cmd.args(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    run(&mut cmd, input)
}

/// Runs `sh -c SCRIPT` in the scratch dir and returns stdout; panics on failure.
pub fn sh(env: &Env, script: &str) -> Vec<u8> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(env.dir.path())
        .env("REL", env!("CARGO_BIN_EXE_rel"))
        .env("REL_BY", "tester@example.com")
        .env("REL_DATE", crate::common::DATE)
        .env("TZ", "UTC")
        .env_remove("REL_DIR")
        .env_remove("REL_TRUSTED_DIRS")
        .stdin(Stdio::null())
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "sh -c {script:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn sh_str(env: &Env, script: &str) -> String {
    String::from_utf8(sh(env, script))
        .expect("utf-8")
        .trim_end()
        .to_string()
}

/// A file, directory or link, as a tree comparison sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Dir,
    File { content: Vec<u8>, exec: bool },
    Link(Vec<u8>),
}

/// Every entry below `root` by its path bytes: kinds, contents, exec bits
/// and link targets; nothing else (no mtime, owner, or other mode bits).
pub fn snapshot(root: &Path) -> BTreeMap<Vec<u8>, Item> {
    let mut out = BTreeMap::new();
    walk(root, b"", &mut out);
    out
}

fn walk(dir: &Path, rel: &[u8], out: &mut BTreeMap<Vec<u8>, Item>) {
    for e in fs::read_dir(dir).expect("read dir") {
        let e = e.expect("entry");
        let name = e.file_name().as_bytes().to_vec();
        let path = if rel.is_empty() {
            name
        } else {
            [rel, b"/", &name].concat()
        };
        let meta = fs::symlink_metadata(e.path()).expect("stat");
        let ft = meta.file_type();
        if ft.is_dir() {
            out.insert(path.clone(), Item::Dir);
            walk(&e.path(), &path, out);
        } else if ft.is_symlink() {
            let t = fs::read_link(e.path()).expect("readlink");
            out.insert(path, Item::Link(t.as_os_str().as_bytes().to_vec()));
        } else {
            out.insert(
                path,
                Item::File {
                    content: fs::read(e.path()).expect("read"),
                    exec: meta.permissions().mode() & 0o100 != 0,
                },
            );
        }
    }
}

/// Writes `items` (as [`snapshot`] returns them) under `root`.
pub fn materialize(root: &Path, items: &BTreeMap<Vec<u8>, Item>) {
    fs::create_dir_all(root).expect("mkdir root");
    for (path, item) in items {
        let p = root.join(OsStr::from_bytes(path));
        match item {
            Item::Dir => fs::create_dir_all(&p).expect("mkdir"),
            Item::File { content, exec } => {
                fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                fs::write(&p, content).expect("write");
                let m = if *exec { 0o755 } else { 0o644 };
                fs::set_permissions(&p, fs::Permissions::from_mode(m)).expect("chmod");
            }
            Item::Link(t) => {
                fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                std::os::unix::fs::symlink(OsStr::from_bytes(t), &p).expect("symlink");
            }
        }
    }
}

/// A tree with awkward names: spaces, a newline, non-UTF-8 bytes, an empty
/// directory, a symlink, an executable.
pub fn awkward_tree(root: &Path) {
    let mut items = BTreeMap::new();
    let file = |c: &[u8], exec| Item::File {
        content: c.to_vec(),
        exec,
    };
    items.insert(b"plain.txt".to_vec(), file(b"plain\n", false));
    items.insert(b"with space.txt".to_vec(), file(b"space\n", false));
    items.insert(b"new\nline".to_vec(), file(b"newline\n", false));
    items.insert(b"caf\xe9 \xff".to_vec(), file(b"latin-1\n", false));
    items.insert(b"empty".to_vec(), Item::Dir);
    items.insert(b"bin".to_vec(), Item::Dir);
    items.insert(b"bin/run".to_vec(), file(b"#!/bin/sh\necho hi\n", true));
    items.insert(b"bin/empty-file".to_vec(), file(b"", false));
    items.insert(b"bin/up".to_vec(), Item::Link(b"../plain.txt".to_vec()));
    items.insert(b"link".to_vec(), Item::Link(b"bin/run".to_vec()));
    items.insert(b"deep".to_vec(), Item::Dir);
    items.insert(b"deep/er".to_vec(), Item::Dir);
    let long = "n".repeat(150);
    items.insert(
        format!("deep/er/{long}").into_bytes(),
        file(b"a name longer than 100 bytes\n", false),
    );
    items.insert(b"dangling".to_vec(), Item::Link(b"not-there".to_vec()));
    // A link target longer than a tar header holds.
    items.insert(
        b"deep/longlink".to_vec(),
        Item::Link(format!("er/{long}").into_bytes()),
    );
    materialize(root, &items);
}

/// `rel write-slug DIR` (DIR relative to the scratch dir), run in app/.
pub fn write_slug(env: &Env, dir: &str) -> String {
    let id = env.rel(["write-slug", &format!("../{dir}")]).ok().line();
    assert_is_id(&id);
    id
}

#[track_caller]
pub fn assert_is_id(id: &str) {
    assert!(
        id.len() == 64
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "not an id: {id:?}"
    );
}

/// Runs python3 with `script` and returns its stdout (a crafted tar stream).
pub fn python(script: &str) -> Option<Vec<u8>> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

/// Whether a tool is installed; a missing one is a counted skip (see
/// `common::skip`), never a silent one.
pub fn has(tool: &str) -> bool {
    crate::common::have(tool)
}

/// Writes an executable hook script into the store.
pub fn hook(env: &Env, name: &str, script: &str) {
    env.hook(name, script);
}

/// Flips one bit in the middle of the content part of an object file.
pub fn flip_bit(path: &Path) {
    let mut bytes = fs::read(path).expect("read object");
    // Skip the skippable frame (8 bytes + its length) and the zstd frame header.
    let header = 8 + u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
    let at = header + (bytes.len() - header) * 2 / 3;
    bytes[at] ^= 0x10;
    let mut perms = fs::metadata(path).expect("stat").permissions();
    perms.set_mode(0o600);
    fs::set_permissions(path, perms).expect("chmod");
    fs::write(path, bytes).expect("write object");
}

/// The path of an object file.
pub fn object_path(env: &Env, id: &str) -> PathBuf {
    store(env).join("objects").join(&id[..2]).join(&id[2..])
}

/// The id of one entry of a slug, as `ls-slug -r` shows it.
pub fn entry_id(env: &Env, slug: &str, path: &str) -> String {
    let out = env.rel(["ls-slug", "-r", slug]).ok().stdout;
    let line = out
        .lines()
        .find(|l| l.split_once('\t').is_some_and(|(_, name)| name == path))
        .unwrap_or_else(|| panic!("no {path} in {out}"));
    line.split(' ').nth(2).expect("id column").to_string()
}

/// Runs rel in app/ with `input` on stdin, written from a thread: rel may
/// refuse the input and exit before reading it all (a closed pipe is fine).
pub fn rel_stdin_early_exit<S: AsRef<OsStr>>(env: &Env, args: &[S], input: &[u8]) -> Run {
    use std::io::Write;
    let mut cmd = env.cmd_in("app");
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn rel");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer thread");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        raw_stdout: out.stdout,
    }
}
