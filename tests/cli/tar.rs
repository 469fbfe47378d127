//! Bad input to write-slug and deploy: each refused with one line naming the
//! entry, a non-zero exit, and nothing written (no object, no release).

use std::fs;

use crate::common::Env;
use crate::fixtures::{
    current, files_below, is_root, manifests, object_count, python, rel_stdin_early_exit, sh,
    store, write_slug,
};

/// A tar stream made by Python's tarfile: a big and a small good file, then
/// `entries` (Python calls of `add(name, kind, data=b'', link='')`), then
/// another good file. None when python3 is missing.
fn crafted(entries: &str) -> Option<Vec<u8>> {
    let script = format!(
        r#"
import io, sys, tarfile
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode='w', format=tarfile.GNU_FORMAT)
def add(name, kind=tarfile.REGTYPE, data=b'', link=''):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = link
    ti.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        ti.devmajor, ti.devminor = 1, 3
    t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
R, D, S, L = tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
add('big.bin', data=bytes(range(256)) * 12000)
add('ok/small.txt', data=b'good\n')
{entries}
add('after.txt', data=b'after\n')
t.close()
sys.stdout.buffer.write(buf.getvalue())
"#,
        entries = entries.trim()
    );
    let out = python(&script);
    if out.is_none() {
        crate::common::skip("python3 is not installed", true);
    }
    out
}

/// Feeds `tar` to write-slug and deploy; both must refuse it naming `entry`
/// and leave the store as it was.
#[track_caller]
fn refused(env: &Env, tar: &[u8], entry: &str) {
    let objects = object_count(env);
    let releases = manifests(env);
    let cur = current(env);
    for args in [
        vec!["write-slug", "-"],
        vec!["deploy", "-"],
        vec!["write-slug", "-n", "-"],
    ] {
        let run = rel_stdin_early_exit(env, &args, tar);
        assert_eq!(run.code, 1, "{args:?} {entry}: {run:#?}");
        run.fails_with(entry);
        assert_eq!(
            object_count(env),
            objects,
            "{args:?} {entry} stored objects"
        );
        assert_eq!(manifests(env), releases, "{args:?} {entry} made a release");
        assert_eq!(current(env), cur);
        let tmp = files_below(&store(env).join("tmp"));
        assert!(tmp.is_empty(), "{args:?} {entry} left {tmp:?}");
    }
}

fn env_with_a_release() -> Env {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env
}

#[test]
fn good_crafted_stream_is_accepted() {
    // The frame the bad cases share is itself fine.
    let env = env_with_a_release();
    let Some(tar) = crafted(
        "add('sub', D)\nadd('sub/link', S, link='../after.txt')\nadd('hard', L, link='ok/small.txt')",
    ) else {
        return;
    };
    let slug = env.rel_stdin(["write-slug", "-"], &tar).ok().line();
    let ls = env.rel(["ls-slug", "-r", &slug]).ok().stdout;
    for name in [
        "\tbig.bin\n",
        "\tok/small.txt\n",
        "\tsub/link\n",
        "\thard\n",
        "\tafter.txt\n",
    ] {
        assert!(ls.contains(name), "{name} missing from {ls}");
    }
    env.rel_stdin(["deploy", "-"], &tar).ok();
    assert_eq!(current(&env).as_deref(), Some("v2"));
}

#[test]
fn absolute_paths_are_refused() {
    let env = env_with_a_release();
    let target = format!("/tmp/rel-test-absolute-{}", std::process::id());
    let Some(tar) = crafted(&format!("add('{target}', data=b'evil')")) else {
        return;
    };
    refused(&env, &tar, &target);
    assert!(!std::path::Path::new(&target).exists());
}

#[test]
fn dot_dot_is_refused() {
    let env = env_with_a_release();
    for name in ["../evil", "ok/../../evil", "./../evil"] {
        let Some(tar) = crafted(&format!("add('{name}', data=b'evil')")) else {
            return;
        };
        refused(&env, &tar, name);
    }
    assert!(!env.path("evil").exists());
    assert!(!env.path("app/evil").exists());
}

/// A link's target is data: one that points outside is stored as it is
/// and counted in a warning, but nothing may be placed under it, and a hard
/// link may not go through it.
#[test]
fn symlinks_out_of_the_slug_are_kept_and_nothing_goes_under_them() {
    let env = env_with_a_release();
    for (name, link) in [
        ("esc", "../outside"),
        ("ok/deeper", "../../outside"),
        ("abs", "/etc/passwd"),
        ("ok/dotdot", "../.."),
        ("ok/sneaky", "./../x/../../y"),
    ] {
        let Some(tar) = crafted(&format!("add('{name}', S, link='{link}')")) else {
            return;
        };
        let run = env.rel_stdin(["write-slug", "-"], &tar).ok();
        let warning = format!("warning: 1 symlink points outside the slug: '{name}' -> '{link}'\n");
        assert!(run.stderr.contains(&warning), "{run:#?}");
        let out = format!("out-{}", name.replace('/', "-"));
        env.rel(["checkout-slug", &run.line(), &format!("../{out}")])
            .ok();
        let got = fs::read_link(env.path(&format!("{out}/{name}"))).unwrap();
        assert_eq!(got, std::path::Path::new(link));
    }
    let outside = env.path("outside-dir");
    fs::create_dir(&outside).unwrap();
    for (entries, named) in [
        (
            "add('lnk', S, link='/tmp')\nadd('lnk/evil', data=b'x')",
            "lnk/evil",
        ),
        (
            "add('up', S, link='../outside-dir')\nadd('up/evil', data=b'x')",
            "up/evil",
        ),
        ("add('up', S, link='..')\nadd('up/sub', D)", "up/sub"),
        (
            "add('d', S, link='ok')\nadd('h', L, link='d/small.txt')",
            "'h'",
        ),
        ("add('nothing', S, link='')", "nothing"),
    ] {
        let Some(tar) = crafted(entries) else {
            return;
        };
        refused(&env, &tar, named);
    }
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    assert!(!std::path::Path::new("/tmp/evil").exists());
}

#[test]
fn links_inside_the_slug_are_kept() {
    let env = env_with_a_release();
    let Some(tar) = crafted(
        "add('ok/root', S, link='..')\nadd('ok/self', S, link='.')\nadd('ok/dangling', S, link='../nope/../after.txt')",
    ) else {
        return;
    };
    env.rel_stdin(["write-slug", "-"], &tar).ok();
}

/// Each link stays inside on its own, but following one through another
/// leaves the slug: `p/q/c` is `p`, so `p/q/c/../../..` is above the root.
/// Such a link is stored like any other and counted as pointing outside.
#[test]
fn chains_of_symlinks_out_of_the_slug_are_counted() {
    let env = env_with_a_release();
    let counted = |entries: &str, first: &str| {
        let Some(tar) = crafted(entries) else {
            return;
        };
        let run = env.rel_stdin(["write-slug", "-"], &tar).ok();
        let warning = format!("warning: 1 symlink points outside the slug: {first}\n");
        assert!(run.stderr.contains(&warning), "{run:#?}");
    };
    counted(
        "add('p/q', D)\nadd('p/q/c', S, link='..')\nadd('a', S, link='p/q/c/../../../outside')",
        "'a' -> 'p/q/c/../../../outside'",
    );
    // Order does not matter: the link it goes through may come later.
    counted(
        "add('a', S, link='p/q/c/../../../outside')\nadd('p/q', D)\nadd('p/q/c', S, link='..')",
        "'a' -> 'p/q/c/../../../outside'",
    );
    // Through a link to a link.
    counted(
        "add('d/e', D)\nadd('d/up', S, link='..')\nadd('d/e/up2', S, link='../up')\nadd('x', S, link='d/e/up2/..')",
        "'x' -> 'd/e/up2/..'",
    );
    // A link to a link that points outside points inside itself.
    counted(
        "add('v/python3', S, link='/usr/bin/python3')\nadd('v/python', S, link='python3')",
        "'v/python3' -> '/usr/bin/python3'",
    );
    // And from a directory.
    fs::create_dir_all(env.path("chain/p/q")).unwrap();
    std::os::unix::fs::symlink("..", env.path("chain/p/q/c")).unwrap();
    std::os::unix::fs::symlink("p/q/c/../../../outside", env.path("chain/a")).unwrap();
    for args in [
        &["write-slug", "../chain"][..],
        &["write-slug", "-n", "../chain"],
    ] {
        let run = env.rel(args).ok();
        assert!(
            run.stderr.contains(
                "warning: 1 symlink points outside the slug: 'a' -> 'p/q/c/../../../outside'\n"
            ),
            "{run:#?}"
        );
    }
    // A loop of links leads nowhere, so it is kept, as git keeps it.
    let Some(tar) =
        crafted("add('l1', S, link='l2')\nadd('l2', S, link='l1')\nadd('l3', S, link='l1/..')")
    else {
        return;
    };
    let run = env.rel_stdin(["write-slug", "-"], &tar).ok();
    assert!(!run.stderr.contains("warning"), "{run:#?}");
}

#[test]
fn files_written_through_a_symlink_are_refused() {
    let env = env_with_a_release();
    let Some(tar) =
        crafted("add('sub', D)\nadd('lnk', S, link='sub')\nadd('lnk/file', data=b'through')")
    else {
        return;
    };
    refused(&env, &tar, "lnk/file");
    let Some(tar) = crafted("add('here', S, link='.')\nadd('here/x', data=b'through')") else {
        return;
    };
    refused(&env, &tar, "here/x");
    // A directory entry through a link is refused just the same.
    let Some(tar) = crafted("add('sub', D)\nadd('lnk', S, link='sub')\nadd('lnk/d', D)") else {
        return;
    };
    refused(&env, &tar, "lnk/d");
}

#[test]
fn hard_links_to_what_the_stream_does_not_hold_are_refused() {
    let env = env_with_a_release();
    for (name, link) in [
        ("hl", "etc/passwd"),
        ("hl-abs", "/etc/passwd"),
        ("hl-up", "../big.bin"),
        ("hl-dir", "ok"),
    ] {
        let Some(tar) = crafted(&format!("add('{name}', L, link='{link}')")) else {
            return;
        };
        refused(&env, &tar, name);
    }
    // A link to a file that comes later is not "earlier in the stream".
    let Some(tar) = crafted("add('early', L, link='late.txt')\nadd('late.txt', data=b'x')") else {
        return;
    };
    refused(&env, &tar, "early");
}

#[test]
fn devices_and_fifos_are_refused() {
    let env = env_with_a_release();
    for (name, kind) in [
        ("dev/null", "tarfile.CHRTYPE"),
        ("sda", "tarfile.BLKTYPE"),
        ("pipe", "tarfile.FIFOTYPE"),
    ] {
        let Some(tar) = crafted(&format!("add('{name}', {kind})")) else {
            return;
        };
        refused(&env, &tar, name);
    }
}

#[test]
fn an_entry_type_rel_does_not_store_is_named_with_what_to_do() {
    let env = env_with_a_release();
    // A contiguous file is stored as a regular one; type 'V' (a GNU volume
    // label) is not a file at all.
    let Some(tar) = crafted("add('label', b'V')") else {
        return;
    };
    refused(&env, &tar, "tar entry 'label' is of tar entry type 'V'");
    let run = env.rel_stdin(["write-slug", "-"], &tar).code(1);
    assert!(
        run.stderr
            .contains("leave it out of the stream (tar --exclude)"),
        "{}",
        run.stderr
    );
}

#[test]
fn devices_and_fifos_from_gnu_tar_and_directories_are_refused() {
    let env = env_with_a_release();
    env.write("bad/ok.txt", "fine\n");
    sh(&env, "mkfifo bad/fifo");
    let tar = sh(&env, "tar -C bad -cf - .");
    refused(&env, &tar, "fifo");
    env.rel(["write-slug", "../bad"]).code(1).fails_with("fifo");
    env.rel(["deploy", "../bad"]).code(1).fails_with("fifo");
    fs::remove_file(env.path("bad/fifo")).unwrap();
    if is_root() {
        sh(&env, "mknod bad/null c 1 3");
        let tar = sh(&env, "tar -C bad -cf - .");
        refused(&env, &tar, "null");
        env.rel(["write-slug", "../bad"]).code(1).fails_with("null");
        fs::remove_file(env.path("bad/null")).unwrap();
    }
    assert_eq!(manifests(&env), vec![1]);
}

#[test]
fn empty_and_entryless_input_is_refused() {
    let env = env_with_a_release();
    refused(&env, b"", "empty");
    // Two zero blocks: a valid tar with no entries.
    refused(&env, &[0u8; 1024], "no entries");
    if let Some(tar) = python(
        "import io,sys,tarfile\nb=io.BytesIO()\ntarfile.open(fileobj=b,mode='w').close()\nsys.stdout.buffer.write(b.getvalue())",
    ) {
        refused(&env, &tar, "no entries");
    }
    // Not a tar at all.
    let junk: Vec<u8> = b"this is not a tar stream\n".repeat(100);
    refused(&env, &junk, "tar");
    // A tar cut short in the middle of a file.
    let tar = sh(&env, "tar -C src -cf - .");
    let header_and_part = &tar[..700];
    refused(&env, header_and_part, "tar");
}

#[test]
fn a_truncated_zstd_stream_is_refused() {
    if !crate::common::have("zstd") {
        return;
    }
    let env = env_with_a_release();
    let zst = sh(&env, "tar -C src -cf - . | zstd -q -c");
    let cut = &zst[..zst.len() / 2];
    let objects = object_count(&env);
    let run = rel_stdin_early_exit(&env, &["deploy", "-"], cut);
    assert_eq!(run.code, 1, "{run:#?}");
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{run:#?}");
    assert_eq!(object_count(&env), objects);
    assert_eq!(manifests(&env), vec![1]);
}

#[test]
fn other_compressions_are_named() {
    let env = env_with_a_release();
    for (flag, name) in [("j", "bzip2"), ("J", "xz")] {
        if !crate::common::have(name) {
            continue;
        }
        let tar = sh(&env, &format!("tar -C src -c{flag}f - ."));
        refused(&env, &tar, name);
    }
}

/// A tree of a directory and three files, one of them over several blocks.
fn cut_tree(env: &Env) {
    env.write("cut/a.txt", "first\n");
    env.write("cut/big.bin", &"0123456789".repeat(300));
    env.write("cut/sub/c.txt", "third\n");
}

/// Each entry's header offset, name and data size in a plain tar stream,
/// and where its end-of-archive marker ends.
fn tar_layout(tar: &[u8]) -> (Vec<(usize, String, usize)>, usize) {
    let mut entries = Vec::new();
    let mut at = 0;
    while tar[at..at + 512].iter().any(|&b| b != 0) {
        let name = String::from_utf8_lossy(&tar[at..at + 100])
            .trim_end_matches('\0')
            .to_string();
        let field = std::str::from_utf8(&tar[at + 124..at + 136]).expect("octal size");
        let size = usize::from_str_radix(field.trim_matches(['\0', ' ']), 8).expect("octal size");
        entries.push((at, name, size));
        at += 512 + size.div_ceil(512) * 512;
    }
    (entries, at + 1024)
}

#[test]
fn a_tar_stream_cut_before_the_end_of_its_marker_is_refused() {
    if !crate::common::have("tar") {
        return;
    }
    let env = env_with_a_release();
    cut_tree(&env);
    let tar = sh(&env, "tar -C cut -cf - .");
    let (entries, end) = tar_layout(&tar);
    assert_eq!(entries.len(), 5, "{entries:?}");
    // Where each cut is, and what the refusal says of it.
    let mut cuts: Vec<(usize, String)> = Vec::new();
    for (i, (at, name, size)) in entries.iter().enumerate() {
        let (at, size) = (*at, *size);
        if i > 0 {
            let before = &entries[i - 1].1;
            cuts.push((
                at,
                format!("after tar entry '{before}', without the end-of-archive marker"),
            ));
            for inside in [1, 100, 511] {
                cuts.push((
                    at + inside,
                    format!("inside the header after tar entry '{before}'"),
                ));
            }
        }
        for inside in [
            1,
            size / 2,
            size.saturating_sub(1),
            (size.div_ceil(512) * 512).saturating_sub(1),
        ] {
            if inside > 0 && size > 0 {
                cuts.push((at + 512 + inside, format!("inside tar entry '{name}'")));
            }
        }
    }
    let last = &entries[entries.len() - 1].1;
    cuts.push((end - 1024, format!("after tar entry '{last}', without")));
    for inside in [1, 511] {
        cuts.push((end - 1024 + inside, format!("after tar entry '{last}'")));
    }
    for inside in [0, 1, 511] {
        cuts.push((
            end - 512 + inside,
            format!("after tar entry '{last}', inside its end-of-archive marker"),
        ));
    }
    let objects = object_count(&env);
    for (cut, said) in &cuts {
        let run = rel_stdin_early_exit(&env, &["write-slug", "-"], &tar[..*cut]);
        assert_eq!(run.code, 1, "cut at {cut}: {run:#?}");
        run.fails_with("tar stream on standard input is cut short")
            .fails_with(said)
            .fails_with("nothing was stored");
    }
    assert_eq!(object_count(&env), objects);
    // deploy and write-slug -n too, at entry boundaries and inside data.
    for (at, _, _) in &entries[1..] {
        refused(&env, &tar[..*at], "cut short");
        refused(&env, &tar[..at + 600], "cut short");
    }
    refused(&env, &tar[..end - 512], "cut short");
    // The stream ends with its marker; the record's padding may follow.
    let whole = env.rel_stdin(["write-slug", "-"], &tar[..end]).ok().line();
    assert_eq!(env.rel_stdin(["write-slug", "-"], &tar).ok().line(), whole);
    assert_eq!(write_slug(&env, "cut"), whole);
    env.rel_stdin(["deploy", "-"], &tar[..end]).ok();
    assert_eq!(current(&env).as_deref(), Some("v2"));
}

#[test]
fn a_compressed_stream_is_read_whole_or_refused() {
    let env = env_with_a_release();
    cut_tree(&env);
    let plain = sh(&env, "tar -C cut -cf - .");
    let slug = write_slug(&env, "cut");
    let (entries, _) = tar_layout(&plain);
    let mut tools = 0;
    for (tool, compress) in [("zstd", "zstd -q -c"), ("gzip", "gzip -c")] {
        if !crate::common::have(tool) {
            continue;
        }
        tools += 1;
        // Whole, as tar writes it: read like the plain stream.
        let whole = sh(&env, &format!("tar -C cut -cf - . | {compress}"));
        let run = env.rel_stdin(["write-slug", "-"], &whole).ok();
        assert_eq!(run.line(), slug, "{tool}");
        // A whole frame of a cut tar stream.
        for (at, _, _) in &entries[1..] {
            let cut = sh(
                &env,
                &format!("tar -C cut -cf - . | head -c {at} | {compress}"),
            );
            refused(&env, &cut, "tar stream on standard input is cut short");
        }
        // A cut frame of a whole tar stream, up to its last byte.
        for cut in [12, whole.len() / 2, whole.len() - 4, whole.len() - 1] {
            refused(
                &env,
                &whole[..cut],
                &format!("the {tool} stream on standard input is cut short"),
            );
        }
    }
    if crate::common::have("gzip") {
        // What users hold: tar -z, and a gzip of several members.
        let tgz = sh(&env, "tar -C cut -czf - .");
        assert_eq!(env.rel_stdin(["write-slug", "-"], &tgz).ok().line(), slug);
        let members = sh(
            &env,
            "tar -C cut -cf - . > t && head -c 1000 t | gzip -c && tail -c +1001 t | gzip -c",
        );
        assert_eq!(
            env.rel_stdin(["write-slug", "-"], &members).ok().line(),
            slug
        );
        env.rel_stdin(["deploy", "-"], &tgz).ok();
        assert_eq!(current(&env).as_deref(), Some("v2"));
    }
    assert!(tools > 0, "neither zstd nor gzip is installed");
}

/// Asserts that an error line holds no control byte but its newline.
#[track_caller]
fn no_control_bytes(run: &crate::common::Run) {
    let line = run.stderr.trim_end_matches('\n');
    assert!(
        !line.chars().any(char::is_control),
        "a control byte reached the terminal: {:?}",
        run.stderr
    );
}

#[test]
fn control_bytes_in_names_never_reach_the_terminal() {
    let env = env_with_a_release();
    let title = r"\x1b]0;PWNED\x07";
    let clear = r"\x1b[2J";
    for (entries, shown) in [
        // An entry name, a hard link's target, an absolute path.
        (
            format!("add('{title}', tarfile.FIFOTYPE)"),
            r#"'"\033]0;PWNED\007"'"#,
        ),
        (format!("add('hl', L, link='{clear}')"), r#"'"\033[2J"'"#),
        (format!("add('/{clear}x', data=b'x')"), r#"'"/\033[2Jx"'"#),
    ] {
        let Some(tar) = crafted(&entries) else {
            return;
        };
        refused(&env, &tar, shown);
        let run = env.rel_stdin(["write-slug", "-"], &tar).code(1);
        no_control_bytes(&run);
    }
    // A directory's fifo.
    let name = "bad/\u{1b}]0;PWNED\u{7}";
    env.write("bad/ok.txt", "fine\n");
    sh(&env, &format!("mkfifo '{name}'"));
    let run = env.rel(["write-slug", "../bad"]).code(1);
    let run = run.fails_with(r"\033]0;PWNED\007");
    no_control_bytes(&run);
    // And what no message quotes: the error line is escaped as a whole.
    let run = env.rel(["write-slug", "../nowhere\u{1b}[2J"]).code(1);
    let run = run.fails_with(r"nowhere\033[2J");
    no_control_bytes(&run);
    let slug = write_slug(&env, "src");
    let run = env
        .rel(["checkout-slug", &slug, "../out\u{1b}[2J/deeper/still"])
        .code(1);
    no_control_bytes(&run);
}

/// A stream of one entry with a name of `len` bytes ('n' repeated) in the
/// given tarfile format, or with the name `name`.
fn long_named(format: &str, name: &str) -> Option<Vec<u8>> {
    let out = python(&format!(
        r#"
import io, sys, tarfile
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode='w', format=tarfile.{format})
ti = tarfile.TarInfo({name})
ti.size = 2
t.addfile(ti, io.BytesIO(b'hi'))
t.close()
sys.stdout.buffer.write(buf.getvalue())
"#
    ));
    if out.is_none() {
        crate::common::skip("python3 is not installed", true);
    }
    out
}

#[test]
fn names_too_long_for_a_system_are_refused_while_reading() {
    let env = env_with_a_release();
    for format in ["GNU_FORMAT", "PAX_FORMAT"] {
        // 50 MiB in one component: refused in a short line, naming its start.
        let Some(tar) = long_named(format, "'n' * (50 << 20)") else {
            return;
        };
        let shown = format!("'{}...'", "n".repeat(100));
        refused(&env, &tar, &shown);
        let run = rel_stdin_early_exit(&env, &["deploy", "-"], &tar);
        assert!(run.stderr.len() < 400, "{format}: {}", run.stderr);
        run.fails_with("longer than a path can be (4096 bytes)");
        // One component over 255 bytes, and a path over 4096 in short ones.
        let Some(tar) = long_named(format, "'d/' + 'c' * 256") else {
            return;
        };
        refused(&env, &tar, "has a name of 256 bytes");
        let Some(tar) = long_named(format, "'/'.join(['p' * 200] * 21)") else {
            return;
        };
        refused(&env, &tar, "has a path of 4220 bytes");
        // At the limits, it is stored.
        let Some(tar) = long_named(format, "'/'.join(['q' * 255] * 16)") else {
            return;
        };
        env.rel_stdin(["write-slug", "-"], &tar).ok();
    }
    // A symlink's target over 4096 bytes.
    for format in ["GNU_FORMAT", "PAX_FORMAT"] {
        let Some(tar) = python(&format!(
            r#"
import io, sys, tarfile
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode='w', format=tarfile.{format})
ti = tarfile.TarInfo('link')
ti.type = tarfile.SYMTYPE
ti.linkname = 't/' * 3000
t.addfile(ti)
t.close()
sys.stdout.buffer.write(buf.getvalue())
"#
        )) else {
            return;
        };
        refused(&env, &tar, "link target of 6000 bytes");
    }
}

#[test]
fn a_pax_size_that_is_not_a_size_is_refused_naming_its_entry() {
    let env = env_with_a_release();
    for (size, said) in [
        ("-1", "tar entry 'odd.txt' has a pax size of '-1'"),
        (
            "100000000000000000000000000",
            "tar entry 'odd.txt' has a pax size of '100000000000000000000000000'",
        ),
        (
            "18446744073709551615",
            "tar entry 'odd.txt' has a size of 18446744073709551615 bytes",
        ),
    ] {
        let Some(tar) = python(&format!(
            r#"
import io, sys, tarfile
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT)
ti = tarfile.TarInfo('first.txt')
ti.size = 2
t.addfile(ti, io.BytesIO(b'hi'))
ti = tarfile.TarInfo('odd.txt')
ti.size = 5
ti.pax_headers = {{'size': '{size}'}}
t.addfile(ti, io.BytesIO(b'hello'))
t.close()
sys.stdout.buffer.write(buf.getvalue())
"#
        )) else {
            return;
        };
        refused(&env, &tar, said);
    }
}

#[test]
fn what_the_tar_reader_finds_wrong_is_said_of_its_entry() {
    if !crate::common::have("tar") {
        return;
    }
    let env = env_with_a_release();
    cut_tree(&env);
    let mut tar = sh(&env, "tar -C cut -cf - .");
    let (entries, _) = tar_layout(&tar);
    let (at, name, _) = entries
        .iter()
        .find(|e| e.1.ends_with("a.txt"))
        .expect("a.txt")
        .clone();
    // A mode that is not octal, under a right checksum.
    tar[at + 100..at + 108].copy_from_slice(b"zzzzzzz\0");
    tar[at + 148..at + 156].fill(b' ');
    let sum: u32 = tar[at..at + 512].iter().map(|&b| u32::from(b)).sum();
    tar[at + 148..at + 156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    refused(&env, &tar, &format!("tar entry '{name}' is malformed"));
    // A wrong checksum.
    tar[at + 148] = b'7';
    refused(&env, &tar, "a header's checksum is wrong");
}
