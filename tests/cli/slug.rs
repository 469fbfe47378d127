//! Slugs: write-slug (directories and tar streams from real tools),
//! ls-slug, checkout-slug and export-slug, and their round trips.

use std::fs;
use std::process::{Command, Stdio};

use crate::common::{Env, have};
use crate::fixtures::{
    Item, assert_is_id, awkward_tree, entry_id, files_below, materialize, object_count, python, sh,
    snapshot, store, stored, write_slug,
};

/// Runs `script` in the scratch dir and returns its stdout (a tar stream).
fn tar_of(env: &Env, script: &str) -> Vec<u8> {
    sh(env, script)
}

fn write_slug_stdin(env: &Env, input: &[u8]) -> String {
    let id = env.rel_stdin(["write-slug", "-"], input).ok().line();
    assert_is_id(&id);
    id
}

#[test]
fn write_slug_prints_the_id_and_dry_run_stores_nothing() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let before = object_count(&env);
    let dry = env.rel(["write-slug", "-n", "../src"]).ok().line();
    assert_is_id(&dry);
    assert_eq!(object_count(&env), before, "-n stored objects");
    let dry_stdin = env
        .rel_stdin(
            ["write-slug", "-n", "-"],
            &tar_of(&env, "tar -C src -cf - ."),
        )
        .ok()
        .line();
    assert_eq!(dry_stdin, dry);
    assert_eq!(object_count(&env), before, "-n - stored objects");
    // Outside any store.
    assert_eq!(
        env.rel_in(".", ["write-slug", "-n", "src"]).ok().line(),
        dry
    );
    env.rel_in(".", ["write-slug", "src"])
        .code(1)
        .fails_with("rel init");
    // Storing gives the same id, and stores the objects.
    assert_eq!(write_slug(&env, "src"), dry);
    assert!(object_count(&env) > before);
    // Nothing else changed: no release.
    assert!(files_below(&store(&env).join("releases")).is_empty());
}

#[test]
fn write_slug_refuses_what_is_not_a_directory() {
    let env = Env::new();
    env.init();
    env.write("file", "x");
    env.rel(["write-slug", "../file"])
        .code(1)
        .fails_with("file");
    env.rel(["write-slug", "../missing"])
        .code(1)
        .fails_with("missing");
}

#[test]
fn slugignore_git_and_releases_are_not_stored() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.write("src/.slugignore", "*.log\n/tmp/\nsecret.txt\n!keep.log\n");
    env.write("src/debug.log", "noise");
    env.write("src/keep.log", "kept");
    env.write("src/lib/deep.log", "noise");
    env.write("src/tmp/cache", "noise");
    env.write("src/lib/tmp/kept", "a tmp not at the root");
    env.write("src/secret.txt", "s3cret");
    env.write("src/.git/HEAD", "ref: refs/heads/main\n");
    env.write("src/lib/.git", "gitdir: ../.git/modules/lib\n");
    env.write("src/sub/.releases/format", "rel-store 1\n");
    let expect = [
        ".slugignore",
        "bin",
        "bin/run",
        "home.html",
        "index.html",
        "keep.log",
        "lib",
        "lib/tmp",
        "lib/tmp/kept",
        "lib/util.txt",
        "sub",
    ];
    let slug = write_slug(&env, "src");
    assert_eq!(names(&env, &slug), expect);
    // The same rules apply to a tar stream.
    let tar = tar_of(&env, "tar -C src -cf - .");
    assert_eq!(write_slug_stdin(&env, &tar), slug);
    // Deploying the app directory itself never stores its store.
    env.write("app/index.html", "app");
    let app_slug = env.rel(["write-slug", "."]).ok().line();
    assert_eq!(names(&env, &app_slug), ["index.html"]);
}

#[test]
fn ignored_files_of_a_tar_stream_reach_no_object_in_a_new_store() {
    // A tar stream is staged before its .slugignore is applied. The ignored
    // file's object shares its fan directory (objects/ab/) with a kept one,
    // which a new store does not have yet.
    let secret = b"s3cret\n";
    let fan = |bytes: &[u8]| blake3::hash(bytes).as_bytes()[0];
    let kept = (0..)
        .map(|i| format!("kept {i}\n"))
        .find(|k| fan(k.as_bytes()) == fan(secret))
        .unwrap();
    let env = Env::new();
    env.init();
    env.write("src/.slugignore", "*.log\n");
    env.write("src/secret.log", std::str::from_utf8(secret).unwrap());
    env.write("src/kept.txt", &kept);
    let tar = tar_of(&env, "tar -C src -cf - .");
    let slug = write_slug_stdin(&env, &tar);
    assert_eq!(names(&env, &slug), [".slugignore", "kept.txt"]);
    let id = |bytes: &[u8]| blake3::hash(bytes).to_hex().to_string();
    assert!(stored(&env, &id(kept.as_bytes())));
    assert!(!stored(&env, &id(secret)), "the ignored file was stored");
    env.rel(["fsck"]).ok();
}

/// `ls-slug -r` paths.
fn names(env: &Env, slug: &str) -> Vec<String> {
    env.rel(["ls-slug", "-r", slug])
        .ok()
        .stdout
        .lines()
        .map(|l| l.split_once('\t').expect("tab").1.to_string())
        .collect()
}

#[test]
fn ls_slug_lists_entries() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let slug = write_slug(&env, "src");
    let blob = |p: &str| entry_id(&env, &slug, p);
    let root = env.rel(["ls-slug", &slug]).ok().stdout;
    assert_eq!(
        root,
        format!(
            "040000 dir {} {}\tbin\n120000 link {} 10\thome.html\n100644 file {} 3\tindex.html\n040000 dir {} {}\tlib\n",
            blob("bin"),
            env.rel(["cat-object", "-s", &blob("bin")]).ok().line(),
            blob("home.html"),
            blob("index.html"),
            blob("lib"),
            env.rel(["cat-object", "-s", &blob("lib")]).ok().line(),
        )
    );
    assert_eq!(
        env.rel(["cat-object", "-p", &blob("home.html")])
            .ok()
            .stdout,
        "index.html"
    );
    // A directory PATH lists its entries; a file PATH that one entry.
    let bin = env.rel(["ls-slug", &slug, "bin"]).ok().stdout;
    assert_eq!(
        bin,
        format!("100755 exec {} 23\tbin/run\n", blob("bin/run"))
    );
    assert_eq!(env.rel(["ls-slug", &slug, "bin/"]).ok().stdout, bin);
    let one = env.rel(["ls-slug", &slug, "lib/util.txt"]).ok().stdout;
    assert!(
        one.starts_with("100644 file ") && one.ends_with(" 12\tlib/util.txt\n"),
        "{one}"
    );
    // -r lists everything with full paths.
    assert_eq!(
        names(&env, &slug),
        [
            "bin",
            "bin/run",
            "home.html",
            "index.html",
            "lib",
            "lib/util.txt"
        ]
    );
    let sub = env.rel(["ls-slug", "-r", &slug, "lib"]).ok().stdout;
    assert!(sub.ends_with("\tlib/util.txt\n"), "{sub}");
    // Revisions name their slug.
    env.rel(["deploy", "../src"]).ok();
    assert_eq!(env.rel(["ls-slug", "v1"]).ok().stdout, root);
    assert_eq!(env.rel(["ls-slug", "current"]).ok().stdout, root);
    // Missing paths and non-slugs are refused.
    env.rel(["ls-slug", &slug, "nope"])
        .code(1)
        .fails_with("nope");
    env.rel(["ls-slug", &slug, "index.html/x"])
        .code(1)
        .fails_with("index.html");
    env.rel(["ls-slug", &blob("index.html")])
        .code(1)
        .fails_with("not a slug");
    env.rel(["ls-slug", "v9"]).code(1).fails_with("v9");
}

#[test]
fn ls_slug_quotes_odd_names_and_z_keeps_them_raw() {
    let env = Env::new();
    env.init();
    awkward_tree(&env.path("src"));
    let slug = write_slug(&env, "src");
    let quoted = env.rel(["ls-slug", &slug]).ok().stdout;
    // One line per entry, whatever the names.
    assert_eq!(quoted.lines().count(), 9, "{quoted}");
    assert!(quoted.contains("\t\"new\\nline\"\n"), "{quoted}");
    assert!(quoted.contains("\t\"caf\\351 \\377\"\n"), "{quoted}");
    assert!(quoted.contains("\twith space.txt\n"), "{quoted}");
    let raw = env.rel(["ls-slug", "-z", "-r", &slug]).ok().raw_stdout;
    let records: Vec<&[u8]> = raw.split(|&b| b == 0).filter(|r| !r.is_empty()).collect();
    let paths: Vec<Vec<u8>> = records
        .iter()
        .map(|r| {
            let tab = r.iter().position(|&b| b == b'\t').expect("tab");
            r[tab + 1..].to_vec()
        })
        .collect();
    let want: Vec<Vec<u8>> = snapshot(&env.path("src")).into_keys().collect();
    let mut got = paths.clone();
    got.sort();
    assert_eq!(got, want);
    assert!(paths.contains(&b"new\nline".to_vec()));
    assert!(paths.contains(&b"caf\xe9 \xff".to_vec()));
}

#[test]
fn checkout_slug_round_trips_an_awkward_tree() {
    let env = Env::new();
    env.init();
    awkward_tree(&env.path("src"));
    let slug = write_slug(&env, "src");
    env.rel(["checkout-slug", &slug, "../out"]).ok();
    assert_eq!(snapshot(&env.path("out")), snapshot(&env.path("src")));
    // Into an existing empty directory, by prefix.
    fs::create_dir(env.path("empty")).unwrap();
    env.rel(["checkout-slug", &slug[..8], "../empty"]).ok();
    assert_eq!(snapshot(&env.path("empty")), snapshot(&env.path("src")));
    // A non-empty DEST is refused and left alone.
    env.write("busy/keep.txt", "mine");
    env.rel(["checkout-slug", &slug, "../busy"])
        .code(1)
        .fails_with("busy");
    assert_eq!(
        snapshot(&env.path("busy")).into_keys().collect::<Vec<_>>(),
        vec![b"keep.txt".to_vec()]
    );
    // DEST that is a file is refused too.
    env.write("afile", "x");
    env.rel(["checkout-slug", &slug, "../afile"])
        .code(1)
        .fails_with("afile");
    assert_eq!(fs::read_to_string(env.path("afile")).unwrap(), "x");
    // Files of a plain checkout are the user's to edit; exec bits kept.
    let meta = fs::metadata(env.path("out/bin/run")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o100, 0o100);
}

#[test]
fn export_slug_extracts_to_an_identical_tree_and_reads_back_the_same() {
    if !have("tar") {
        return;
    }
    let env = Env::new();
    env.init();
    awkward_tree(&env.path("src"));
    let slug = write_slug(&env, "src");
    let tar = env.rel(["export-slug", &slug]).ok().raw_stdout;
    // Deterministic bytes.
    assert_eq!(env.rel(["export-slug", &slug]).ok().raw_stdout, tar);
    fs::write(env.path("slug.tar"), &tar).unwrap();
    sh(&env, "mkdir x && tar -C x -xf slug.tar");
    assert_eq!(snapshot(&env.path("x")), snapshot(&env.path("src")));
    // And back in: the same id, stored or not.
    assert_eq!(write_slug_stdin(&env, &tar), slug);
    let piped = sh(
        &env,
        "\"$REL\" -C app export-slug current 2>/dev/null || true",
    );
    assert!(piped.is_empty(), "no release yet, so nothing to export");
    let piped = sh(
        &env,
        &format!("\"$REL\" -C app export-slug {slug} | \"$REL\" -C app write-slug -"),
    );
    assert_eq!(String::from_utf8(piped).unwrap().trim(), slug);
    // Compressed with zstd, too.
    if have("zstd") {
        let zst = sh(&env, "zstd -q -c slug.tar");
        assert_eq!(write_slug_stdin(&env, &zst), slug);
    }
}

#[test]
fn tar_streams_from_gnu_tar() {
    let env = Env::new();
    env.init();
    awkward_tree(&env.path("src"));
    let slug = write_slug(&env, "src");
    for script in [
        "tar -C src -cf - .",
        "tar -C src --format=gnu -cf - .",
        "tar -C src --format=posix -cf - .",
        "tar -C src --format=ustar -cf - bin empty link plain.txt 2>/dev/null || true",
        "cd src && tar -cf - *",
        "tar -C src -cf - . | zstd -q -c",
    ] {
        if script.contains("zstd") && !have("zstd") {
            continue;
        }
        let tar = tar_of(&env, script);
        if script.contains("ustar") {
            // ustar cannot hold every name: compare with that part only.
            let part = write_slug_stdin(&env, &tar);
            let names = names(&env, &part);
            assert_eq!(
                names,
                [
                    "bin",
                    "bin/empty-file",
                    "bin/run",
                    "bin/up",
                    "empty",
                    "link",
                    "plain.txt"
                ]
            );
            continue;
        }
        // `*` skips nothing here (no dot files), so every stream is the tree.
        assert_eq!(write_slug_stdin(&env, &tar), slug, "{script}");
    }
}

#[test]
fn tar_streams_from_bsdtar() {
    if !have("bsdtar") {
        return;
    }
    let env = Env::new();
    env.init();
    awkward_tree(&env.path("src"));
    let slug = write_slug(&env, "src");
    for script in [
        "bsdtar -C src -cf - .",
        "bsdtar -C src --format pax -cf - .",
        "bsdtar -C src --format gnutar -cf - .",
    ] {
        assert_eq!(
            write_slug_stdin(&env, &tar_of(&env, script)),
            slug,
            "{script}"
        );
    }
    // bsdtar can compress with zstd itself.
    if have("zstd") {
        let zst = tar_of(&env, "bsdtar -C src --zstd -cf - .");
        assert_eq!(write_slug_stdin(&env, &zst), slug);
    }
}

/// A file with holes, and a hard link to it: the tar tools write it in
/// their sparse formats when asked (GNU tar -S) or on their own (bsdtar).
fn sparse_tree(env: &Env) {
    sh(
        env,
        "mkdir src && truncate -s 3M src/holes && \
         printf hello | dd of=src/holes bs=1 seek=700000 conv=notrunc 2>/dev/null && \
         printf tail | dd of=src/holes bs=1 seek=2500000 conv=notrunc 2>/dev/null && \
         truncate -s 9000 src/empty-sparse && echo plain > src/plain && \
         ln src/holes src/link",
    );
}

#[test]
fn sparse_files_in_tar_streams_store_their_real_bytes() {
    let env = Env::new();
    env.init();
    sparse_tree(&env);
    let slug = write_slug(&env, "src");
    let mut scripts = Vec::new();
    if have("tar") {
        scripts.extend([
            "tar -C src -cSf - .",
            "tar -C src --format=posix -cSf - .",
            "tar -C src --format=posix --sparse-version=0.0 -cSf - .",
            "tar -C src --format=posix --sparse-version=0.1 -cSf - .",
            "tar -C src --format=posix --sparse-version=1.0 -cSf - .",
        ]);
    }
    if have("bsdtar") {
        scripts.extend([
            "bsdtar -C src -cf - .",
            "bsdtar -C src --format pax -cf - .",
        ]);
    }
    for script in scripts {
        assert_eq!(
            write_slug_stdin(&env, &tar_of(&env, script)),
            slug,
            "{script}"
        );
    }
    env.rel(["checkout-slug", &slug, "../out"]).ok();
    let holes = fs::read(env.path("out/holes")).unwrap();
    assert_eq!(holes.len(), 3 << 20);
    assert_eq!(&holes[700_000..700_005], b"hello");
    assert_eq!(&holes[2_500_000..2_500_004], b"tail");
    assert_eq!(holes.iter().filter(|&&b| b != 0).count(), 9);
    assert_eq!(
        fs::read(env.path("out/empty-sparse")).unwrap(),
        vec![0; 9000]
    );
}

/// A stream with one file of 10 bytes whose data is `data`, and `pax`
/// (Python dict items) as its pax records.
fn sparse_by_hand(pax: &str, data: &str) -> Option<Vec<u8>> {
    python(&format!(
        r#"
import io, sys, tarfile
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT)
ti = tarfile.TarInfo('holes')
ti.size = len({data})
ti.pax_headers = {{{pax}}}
t.addfile(ti, io.BytesIO({data}))
t.close()
sys.stdout.buffer.write(buf.getvalue())
"#
    ))
}

#[test]
fn sparse_maps_that_do_not_fit_their_file_are_refused_and_nothing_is_stored() {
    let env = Env::new();
    env.init();
    let size = "'GNU.sparse.size': '10'";
    let before = object_count(&env);
    for (pax, data, said) in [
        // Regions that overlap, pass the end, or do not add up to the data.
        (
            format!("{size}, 'GNU.sparse.map': '0,5,3,5'"),
            "b'x' * 10",
            "overlap",
        ),
        (
            format!("{size}, 'GNU.sparse.map': '8,5'"),
            "b'x' * 5",
            "pass the file's size",
        ),
        (
            format!("{size}, 'GNU.sparse.map': '0,3'"),
            "b'x' * 5",
            "does not match",
        ),
        (
            format!("{size}, 'GNU.sparse.map': '0,3,7'"),
            "b'x' * 3",
            "pairs of numbers",
        ),
        (
            format!("{size}, 'GNU.sparse.numblocks': '2', 'GNU.sparse.map': '0,3'"),
            "b'x' * 3",
            "numblocks",
        ),
        (
            "'GNU.sparse.major': '2', 'GNU.sparse.minor': '0', 'GNU.sparse.realsize': '10'"
                .to_string(),
            "b'x'",
            "pax sparse format 2.0",
        ),
    ] {
        let Some(tar) = sparse_by_hand(&pax, data) else {
            crate::common::skip("python3 is not installed", true);
            return;
        };
        env.rel_stdin(["write-slug", "-"], &tar)
            .code(1)
            .fails_with("tar entry 'holes' is a sparse file")
            .fails_with(said);
    }
    assert_eq!(object_count(&env), before, "refused maps stored objects");
    // The frame of those cases is fine: format 0.1, as GNU tar writes it.
    let Some(tar) = sparse_by_hand(&format!("{size}, 'GNU.sparse.map': '0,2,8,2'"), "b'abyz'")
    else {
        return;
    };
    let slug = env.rel_stdin(["write-slug", "-"], &tar).ok().line();
    env.rel(["checkout-slug", &slug, "../out"]).ok();
    assert_eq!(
        fs::read(env.path("out/holes")).unwrap(),
        b"ab\0\0\0\0\0\0yz"
    );
}

#[test]
fn tar_streams_from_git_archive() {
    if !have("git") {
        return;
    }
    let env = Env::new();
    env.init();
    // git keeps no empty directories; the rest of an awkward tree it keeps.
    awkward_tree(&env.path("src"));
    fs::remove_dir(env.path("src/empty")).unwrap();
    let slug = write_slug(&env, "src");
    sh(
        &env,
        "cd src && git init -q && git -c core.quotepath=false add -A && \
         git -c user.name=t -c user.email=t@example.com commit -q -m one",
    );
    // .git is never stored, so the work tree still gives the same slug.
    assert_eq!(write_slug(&env, "src"), slug);
    let tar = tar_of(&env, "cd src && git archive --format=tar HEAD");
    assert_eq!(write_slug_stdin(&env, &tar), slug);
    let tar = tar_of(&env, "cd src && git archive --format=tar --prefix=./ HEAD");
    assert_eq!(write_slug_stdin(&env, &tar), slug);
    let tgz = tar_of(&env, "cd src && git archive --format=tar.gz HEAD");
    assert_eq!(write_slug_stdin(&env, &tgz), slug);
}

#[test]
fn hard_links_inside_the_stream_are_stored_as_files() {
    let env = Env::new();
    env.init();
    env.write("src/a.txt", "shared bytes\n");
    fs::create_dir(env.path("src/sub")).unwrap();
    fs::hard_link(env.path("src/a.txt"), env.path("src/sub/b.txt")).unwrap();
    let dir = write_slug(&env, "src");
    let tar = tar_of(&env, "tar -C src -cf - .");
    assert_eq!(write_slug_stdin(&env, &tar), dir);
    assert_eq!(
        entry_id(&env, &dir, "a.txt"),
        entry_id(&env, &dir, "sub/b.txt")
    );
}

#[test]
fn big_files_stream_through_tar_and_checkout() {
    let env = Env::new();
    env.init();
    // Larger than the in-memory threshold, so every path streams.
    let mut big = Vec::with_capacity(3 << 20);
    let mut x: u32 = 1;
    while big.len() < (3 << 20) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        big.extend_from_slice(&x.to_le_bytes());
    }
    fs::create_dir(env.path("src")).unwrap();
    fs::write(env.path("src/big.bin"), &big).unwrap();
    let slug = write_slug(&env, "src");
    let tar = tar_of(&env, "tar -C src -cf - .");
    let count = object_count(&env);
    // Fresh store: the stream path stores the same objects.
    let env2 = Env::new();
    env2.init();
    assert_eq!(write_slug_stdin(&env2, &tar), slug);
    assert_eq!(object_count(&env2), count);
    env2.rel(["checkout-slug", &slug, "../out"]).ok();
    assert_eq!(fs::read(env2.path("out/big.bin")).unwrap(), big);
    let exported = env2.rel(["export-slug", &slug]).ok().raw_stdout;
    assert_eq!(write_slug_stdin(&env, &exported), slug);
}

#[test]
fn export_slug_streams_into_a_pipe_that_closes_early() {
    let env = Env::new();
    env.init();
    let big: String = (0..200_000).map(|i| format!("{i}\n")).collect();
    env.write("src/big.txt", &big);
    let slug = write_slug(&env, "src");
    // `| head -c 10` closes the pipe: rel says nothing and exits 0.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "\"$REL\" export-slug {slug} | head -c 10 >/dev/null"
        ))
        .current_dir(env.path("app"))
        .env("REL", env!("CARGO_BIN_EXE_rel"))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn materialize_helper_matches_snapshot() {
    // The comparison the round-trip tests rely on sees every difference.
    let env = Env::new();
    awkward_tree(&env.path("a"));
    let snap = snapshot(&env.path("a"));
    materialize(&env.path("b"), &snap);
    assert_eq!(snapshot(&env.path("b")), snap);
    fs::set_permissions(env.path("b/bin/run"), {
        use std::os::unix::fs::PermissionsExt;
        fs::Permissions::from_mode(0o644)
    })
    .unwrap();
    assert_ne!(snapshot(&env.path("b")), snap);
    assert!(matches!(snap.get(&b"link"[..]), Some(Item::Link(_))));
    assert_eq!(snap.get(&b"empty"[..]), Some(&Item::Dir));
}

#[test]
fn an_empty_slug_exports_and_reads_back() {
    let env = Env::new();
    env.init();
    fs::create_dir(env.path("nothing")).unwrap();
    let slug = write_slug(&env, "nothing");
    assert_eq!(env.rel(["ls-slug", &slug]).ok().stdout, "");
    let tar = env.rel(["export-slug", &slug]).ok().raw_stdout;
    assert_eq!(write_slug_stdin(&env, &tar), slug);
    // GNU tar's stream of an empty directory, too.
    let tar = tar_of(&env, "tar -C nothing -cf - .");
    assert_eq!(write_slug_stdin(&env, &tar), slug);
    env.rel(["checkout-slug", &slug, "../out"]).ok();
    assert!(snapshot(&env.path("out")).is_empty());
}

#[test]
fn hard_linked_symlinks_from_gnu_tar_are_symlinks() {
    let env = Env::new();
    env.init();
    env.write("src/target.txt", "t\n");
    fs::create_dir(env.path("src/sub")).unwrap();
    std::os::unix::fs::symlink("target.txt", env.path("src/l1")).unwrap();
    // A hard link to the symlink itself, not to what it points to.
    sh(&env, "ln -P src/l1 src/l2 && ln -P src/l1 src/sub/l3");
    let dir = write_slug(&env, "src");
    let tar = tar_of(&env, "tar -C src -cf - .");
    // sub/l3 -> target.txt is fine as a link (dangling there); the stream
    // gives the tree the directory gives.
    assert_eq!(write_slug_stdin(&env, &tar), dir);
    // One that leaves the slug from where it stands is kept, and counted.
    fs::create_dir_all(env.path("esc/a/b")).unwrap();
    std::os::unix::fs::symlink("../x", env.path("esc/a/b/l1")).unwrap();
    sh(&env, "ln -P esc/a/b/l1 esc/l2");
    let tar = tar_of(&env, "tar -C esc -cf - .");
    let run = env.rel_stdin(["write-slug", "-"], &tar).ok();
    assert!(
        run.stderr
            .contains("warning: 1 symlink points outside the slug: 'l2' -> '../x'\n"),
        "{run:#?}"
    );
    assert_eq!(run.line(), write_slug(&env, "esc"));
}
