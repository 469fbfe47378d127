//! Objects: ids as stock tools compute them, the file format, cat-object,
//! id prefixes, and canonical trees.

use std::fs;

use crate::common::{Env, have};
use crate::fixtures::{
    assert_is_id, entry_id, files_below, is_root, mode, object_bytes, object_count, object_path,
    place, sh, sh_str, store, write_slug,
};

fn b3sum(env: &Env, path: &str) -> String {
    let out = sh_str(env, &format!("b3sum --no-names '{path}'"));
    out.trim().to_string()
}

#[test]
fn a_blob_id_is_what_b3sum_prints() {
    if !have("b3sum") {
        return;
    }
    let env = Env::new();
    env.init();
    env.write("src/a.txt", "hello, world\n");
    let big: String = (0..300_000).map(|i| format!("{i}\n")).collect();
    env.write("src/big.txt", &big);
    env.write("src/empty", "");
    let slug = write_slug(&env, "src");
    for name in ["a.txt", "big.txt", "empty"] {
        assert_eq!(
            entry_id(&env, &slug, name),
            b3sum(&env, &format!("src/{name}")),
            "{name}"
        );
    }
}

#[test]
fn an_object_file_is_a_zstd_stream_of_the_content() {
    if !have("zstd") {
        return;
    }
    let env = Env::new();
    env.init();
    let big: String = (0..300_000).map(|i| format!("line {i}\n")).collect();
    env.write("src/big.txt", &big);
    env.write("src/small.txt", "small\n");
    let slug = write_slug(&env, "src");
    // The large blob is a file of its own; the small one and the trees are
    // packed, cut out of their pack at the offset and length that
    // `cat-object --where` prints.
    let bytes = |id: &str| match place(&env, id) {
        (path, None) => {
            assert_eq!(mode(&path), 0o400, "objects are read-only");
            format!("cat '{}'", path.display())
        }
        (pack, Some((offset, length))) => {
            assert_eq!(mode(&pack), 0o400, "packs are read-only");
            format!(
                "tail -c +$(({offset}+1)) '{}' | head -c {length}",
                pack.display()
            )
        }
    };
    for (name, packed) in [("big.txt", false), ("small.txt", true)] {
        let id = entry_id(&env, &slug, name);
        assert_eq!(place(&env, &id).1.is_some(), packed, "{name}");
        let content = sh(&env, &format!("{} | zstd -dc", bytes(&id)));
        assert_eq!(content, fs::read(env.path(&format!("src/{name}"))).unwrap());
        if has_b3sum() {
            let piped = sh_str(
                &env,
                &format!("{} | zstd -dc | b3sum --no-names", bytes(&id)),
            );
            assert_eq!(piped, id);
        }
    }
    // The tree object is a zstd stream too.
    sh(&env, &format!("{} | zstd -t -q", bytes(&slug)));
}

fn has_b3sum() -> bool {
    have("b3sum")
}

#[test]
fn cat_object_shows_kind_size_and_content() {
    let env = Env::new();
    env.init();
    env.write("src/a.txt", "hello\n");
    env.write("src/sub/b.txt", "bee\n");
    let slug = write_slug(&env, "src");
    let blob = entry_id(&env, &slug, "a.txt");
    assert_eq!(env.rel(["cat-object", "-t", &blob]).ok().stdout, "blob\n");
    assert_eq!(env.rel(["cat-object", "-s", &blob]).ok().stdout, "6\n");
    assert_eq!(env.rel(["cat-object", "-p", &blob]).ok().stdout, "hello\n");
    assert_eq!(env.rel(["cat-object", &blob]).ok().stdout, "hello\n");
    assert_eq!(env.rel(["cat-object", "-t", &slug]).ok().stdout, "tree\n");
    let tree = env.rel(["cat-object", "-p", &slug]).ok().stdout;
    let sub = entry_id(&env, &slug, "sub");
    assert_eq!(
        tree,
        format!("100644 file {blob} 6\ta.txt\n040000 dir {sub} {}\tsub\n", {
            env.rel(["cat-object", "-s", &sub]).ok().line()
        })
    );
    let config = env.rel_stdin(["write-config"], b"A=1\n").ok().line();
    assert_eq!(
        env.rel(["cat-object", "-t", &config]).ok().stdout,
        "config\n"
    );
    assert!(
        env.rel(["cat-object", "-p", &config])
            .ok()
            .stdout
            .contains("A = \"1\"")
    );
    // Only one of -t, -s, -p.
    env.rel(["cat-object", "-t", "-s", &blob]).code(2);
    // An unknown object.
    let missing = "0".repeat(64);
    env.rel(["cat-object", &missing])
        .code(1)
        .fails_with(&missing);
}

#[test]
fn kinds_never_share_an_id() {
    let env = Env::new();
    env.init();
    let config = env.rel_stdin(["write-config"], b"A=1\n").ok().line();
    // A file holding the config object's exact bytes is another object.
    let bytes = env.rel(["cat-object", "-p", &config]).ok().raw_stdout;
    fs::create_dir_all(env.path("src")).unwrap();
    fs::write(env.path("src/f"), &bytes).unwrap();
    let slug = write_slug(&env, "src");
    let blob = entry_id(&env, &slug, "f");
    assert_ne!(blob, config);
    // An empty directory and an empty file differ too.
    fs::create_dir_all(env.path("empty-dir")).unwrap();
    let empty_tree = write_slug(&env, "empty-dir");
    fs::write(env.path("src/f"), b"").unwrap();
    let empty_blob = entry_id(&env, &write_slug(&env, "src"), "f");
    assert_ne!(empty_tree, empty_blob);
}

#[test]
fn unique_prefixes_of_six_or_more_hex_digits_resolve() {
    let env = Env::new();
    env.init();
    env.write("src/a.txt", "hello\n");
    let slug = write_slug(&env, "src");
    let blob = entry_id(&env, &slug, "a.txt");
    for n in [6, 7, 12, 63, 64] {
        assert_eq!(
            env.rel(["cat-object", "-p", &blob[..n]]).ok().stdout,
            "hello\n",
            "prefix of {n}"
        );
    }
    let upper = blob[..8].to_ascii_uppercase();
    assert_eq!(env.rel(["cat-object", "-t", &upper]).ok().stdout, "blob\n");
    for short in [&blob[..5], &blob[..1]] {
        env.rel(["cat-object", short]).code(1).fails_with(short);
    }
    env.rel(["cat-object", "xyzxyzxyz"])
        .code(1)
        .fails_with("xyzxyzxyz");
    // A prefix of slugs works where a slug is named.
    assert_eq!(
        env.rel(["ls-slug", &slug[..6]]).ok().stdout,
        env.rel(["ls-slug", &slug]).ok().stdout
    );
    // An ambiguous prefix is refused: make a second (loose) object file
    // that shares the first ten digits (a copy of the packed blob's bytes
    // under another name).
    let path = object_path(&env, &blob);
    let twin = path.with_file_name(format!("{}{}", &blob[2..10], "f".repeat(54)));
    fs::create_dir_all(twin.parent().unwrap()).unwrap();
    fs::write(&twin, object_bytes(&env, &blob)).unwrap();
    env.rel(["cat-object", &blob[..8]])
        .code(1)
        .fails_with(&blob[..8]);
    assert_eq!(
        env.rel(["cat-object", "-t", &blob[..11]]).ok().stdout,
        "blob\n"
    );
    fs::remove_file(twin).unwrap();
}

#[test]
fn the_same_tree_has_the_same_id_whatever_its_metadata() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.write("src/lib/deeper/x.txt", "x\n");
    fs::create_dir_all(env.path("src/empty")).unwrap();
    let id = write_slug(&env, "src");
    assert_is_id(&id);
    // Copy elsewhere (new inodes, new mtimes), touch everything, change
    // non-exec mode bits: the same id.
    sh(
        &env,
        "cp -R src copy && touch -h -d '2001-02-03 04:05:06' $(find copy) && chmod 600 copy/index.html && chmod 700 copy/bin/run",
    );
    assert_eq!(write_slug(&env, "copy"), id);
    if is_root() {
        sh(&env, "chown -R -h 65534:65534 copy");
        assert_eq!(write_slug(&env, "copy"), id);
    }
    // Built in another order.
    sh(
        &env,
        "mkdir rev && mkdir rev/empty rev/lib rev/lib/deeper rev/bin && printf 'x\\n' > rev/lib/deeper/x.txt && printf 'shared util\\n' > rev/lib/util.txt && ln -s index.html rev/home.html && printf '#!/bin/sh\\necho running\\n' > rev/bin/run && chmod +x rev/bin/run && printf one > rev/index.html",
    );
    assert_eq!(write_slug(&env, "rev"), id);
    // -n agrees, and works outside any store.
    assert_eq!(env.rel_in(".", ["write-slug", "-n", "rev"]).ok().line(), id);
    // What does change the id: content, exec bit, link target, an empty dir.
    let changes = [
        "chmod -x rev/bin/run",
        "printf two > rev/index.html",
        "ln -sf lib/util.txt rev/home.html",
        "rmdir rev/empty",
        "mv rev/lib/util.txt rev/lib/util2.txt",
    ];
    let mut seen = vec![id.clone()];
    sh(&env, "rm -rf again && cp -R rev again");
    for change in changes {
        sh(&env, &change.replace("rev/", "again/"));
        let changed = env.rel_in(".", ["write-slug", "-n", "again"]).ok().line();
        assert!(!seen.contains(&changed), "{change} did not change the id");
        seen.push(changed);
    }
}

#[test]
fn objects_are_stored_once() {
    let env = Env::new();
    env.init();
    env.write("src/a", "same\n");
    env.write("src/b", "same\n");
    env.write("src/sub/c", "same\n");
    write_slug(&env, "src");
    // One blob, two trees.
    assert_eq!(object_count(&env), 3);
    write_slug(&env, "src");
    assert_eq!(object_count(&env), 3);
    assert!(
        files_below(&store(&env).join("tmp")).is_empty(),
        "tmp/ is left clean"
    );
}

/// write-slug takes no lock: writers of the same objects race to put each
/// in place, and every one of them must succeed with the same id.
#[test]
fn parallel_writers_of_the_same_objects_all_succeed() {
    let env = Env::new();
    env.init();
    for i in 0..40 {
        env.write(&format!("src/d{}/f{i}.txt", i % 4), &format!("file {i}\n"));
    }
    let big: String = (0..200_000).map(|i| format!("{i}\n")).collect();
    env.write("src/big.txt", &big);
    let children: Vec<_> = (0..8)
        .map(|_| {
            env.cmd_in("app")
                .args(["write-slug", "../src"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let mut ids = Vec::new();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ids.push(String::from_utf8(out.stdout).unwrap().trim().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    env.rel(["fsck"]).ok();
    // The same through tar streams.
    let tar = sh(&env, "tar -C src -cf - .");
    let children: Vec<_> = (0..6)
        .map(|_| {
            let mut c = env
                .cmd_in("app")
                .args(["write-slug", "-"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn");
            let mut stdin = c.stdin.take().expect("stdin");
            let tar = tar.clone();
            let w = std::thread::spawn(move || {
                use std::io::Write;
                stdin.write_all(&tar).expect("write");
            });
            (c, w)
        })
        .collect();
    for (child, w) in children {
        let out = child.wait_with_output().expect("wait");
        w.join().expect("writer");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), ids[0]);
    }
    env.rel(["fsck"]).ok();
}
