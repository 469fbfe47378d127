//! Symlinks that point outside the slug (a virtualenv's python, links up
//! and out with `..`) are stored and recreated verbatim, and never
//! followed: the canary file and directory outside the app that such links
//! name come through deploy, checkout-slug, `shared` paths, rollback and gc
//! exactly as they were (content, mode, owner, times, link count), as root
//! too.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};

use crate::common::{Env, Run, set_mode};
use crate::fixtures::{current, has, is_root, manifests, rel_env, sh, store, uid};

/// All that would show a touch, but the access time.
#[derive(Debug, PartialEq)]
struct Seen {
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    content: Option<Vec<u8>>,
}

/// `root` and everything below it, as [`Seen`].
fn seen_below(root: &Path) -> BTreeMap<PathBuf, Seen> {
    let mut out = BTreeMap::new();
    let meta = fs::symlink_metadata(root).expect("stat");
    let content = meta.is_file().then(|| fs::read(root).expect("read"));
    out.insert(
        root.to_path_buf(),
        Seen {
            mode: meta.mode(),
            uid: meta.uid(),
            gid: meta.gid(),
            nlink: meta.nlink(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
            content,
        },
    );
    if meta.is_dir() {
        for e in fs::read_dir(root).expect("read dir") {
            out.extend(seen_below(&e.expect("entry").path()));
        }
    }
    out
}

/// The canaries, outside the app: a file and a directory (with a file and
/// an `app/` directory, where a shared path `log/app` would land if rel
/// went through `log -> canary_dir`).
fn canaries(env: &Env) -> PathBuf {
    let dir = env.path("outside");
    env.write("outside/canary.txt", "do not touch\n");
    env.write("outside/canary_dir/inner.txt", "nor this\n");
    env.write("outside/canary_dir/app/keep.txt", "nor this\n");
    set_mode(&dir.join("canary.txt"), 0o640);
    set_mode(&dir.join("canary_dir"), 0o750);
    dir
}

/// The links of the build dir `src`, by path: absolute ones (a virtualenv's
/// interpreter, which need not exist, and the canaries) and relative ones
/// that climb out: from `app/.releases/checkouts/<id>/` they reach the
/// canaries, four and five levels up.
fn links(env: &Env) -> Vec<(&'static str, String)> {
    let outside = env.path("outside");
    let outside = outside.display();
    vec![
        (".venv/bin/python3", "/usr/bin/python3.11".to_string()),
        (".venv/bin/python", "python3".to_string()),
        ("abs_dir", format!("{outside}/canary_dir")),
        ("abs_file", format!("{outside}/canary.txt")),
        (
            "sub/up_dir",
            "../../../../../outside/canary_dir".to_string(),
        ),
        ("up_file", "../../../../outside/canary.txt".to_string()),
    ]
}

/// The links that point outside, and the first in the slug's order
/// (`.venv/bin/python -> python3` points inside).
const WARNING: &str = "warning: 5 symlinks point outside the slug, the first '.venv/bin/python3' -> '/usr/bin/python3.11'\n";

/// The build dir: a few files and [`links`].
fn build_dir(env: &Env, rel: &str) {
    env.write(&format!("{rel}/index.html"), "hello\n");
    env.write(&format!("{rel}/sub/file.txt"), "sub\n");
    env.write(&format!("{rel}/.venv/bin/activate"), "# venv\n");
    for (path, target) in links(env) {
        symlink(&target, env.path(&format!("{rel}/{path}"))).expect("symlink");
    }
}

/// Every link of [`links`] in `dir`, recreated verbatim.
#[track_caller]
fn assert_links(env: &Env, dir: &Path) {
    for (path, target) in links(env) {
        let got = fs::read_link(dir.join(path))
            .unwrap_or_else(|e| panic!("{path} in {}: {e}", dir.display()));
        assert_eq!(got, Path::new(&target), "{path}");
    }
}

/// The checkout `current` names.
fn current_checkout(env: &Env) -> PathBuf {
    fs::canonicalize(env.path("app/current")).expect("current checkout")
}

fn set_shared(env: &Env, paths: &str) {
    let settings = store(env).join("settings.toml");
    let text = fs::read_to_string(&settings).unwrap();
    let text = text.replace("shared = []", &format!("shared = [{paths}]"));
    assert!(text.contains(paths), "{text}");
    fs::write(&settings, text).unwrap();
}

#[track_caller]
fn warns(run: Run) -> Run {
    assert!(run.stderr.contains(WARNING), "{run:#?}");
    run
}

/// [`warns`], with `n` links outside.
#[track_caller]
fn warns_of(n: usize, run: Run) -> Run {
    let warning = WARNING.replace("5 symlinks", &format!("{n} symlinks"));
    assert!(run.stderr.contains(&warning), "{run:#?}");
    run
}

#[test]
fn deploy_stores_and_recreates_links_that_point_outside() {
    for via_tar in [false, true] {
        if via_tar && !has("tar") {
            continue;
        }
        let env = Env::new();
        env.init();
        let outside = canaries(&env);
        build_dir(&env, "src");
        let before = seen_below(&outside);
        let run = if via_tar {
            let tar = sh(&env, "tar -C src -cf - .");
            env.rel_stdin(["deploy", "-"], &tar)
        } else {
            env.rel(["deploy", "../src"])
        };
        let run = warns(run.ok());
        assert!(run.stderr.contains("Launching... done, v1"), "{run:#?}");
        assert_links(&env, &current_checkout(&env));
        // The slug lists them as links with their targets as blobs.
        let ls = env.rel(["ls-slug", "-r", "current"]).ok().stdout;
        assert!(ls.contains("120000 link"), "{ls}");
        assert_eq!(seen_below(&outside), before, "tar: {via_tar}");
    }
}

#[test]
fn write_slug_and_checkout_slug_keep_links_verbatim() {
    let env = Env::new();
    env.init();
    let outside = canaries(&env);
    build_dir(&env, "src");
    let before = seen_below(&outside);
    let slug = warns(env.rel(["write-slug", "../src"]).ok()).line();
    let dry = warns(env.rel(["write-slug", "-n", "../src"]).ok()).line();
    assert_eq!(dry, slug);
    // One link: said in the singular.
    env.write("one/index.html", "x\n");
    symlink("/usr/bin/python3", env.path("one/python")).unwrap();
    let run = env.rel(["write-slug", "../one"]).ok();
    assert!(
        run.stderr.contains(
            "warning: 1 symlink points outside the slug: 'python' -> '/usr/bin/python3'\n"
        ),
        "{run:#?}"
    );
    // Inside links only: no warning.
    fs::remove_file(env.path("one/python")).unwrap();
    symlink("index.html", env.path("one/home")).unwrap();
    let run = env.rel(["write-slug", "../one"]).ok();
    assert!(!run.stderr.contains("warning"), "{run:#?}");
    // Checked out where the relative links climb to the canaries too.
    fs::create_dir_all(env.path("co/a")).unwrap();
    env.rel(["checkout-slug", &slug, "../co/a/b"]).ok();
    assert_links(&env, &env.path("co/a/b"));
    env.rel(["checkout-slug", &slug, "../co2"]).ok();
    assert_links(&env, &env.path("co2"));
    assert_eq!(seen_below(&outside), before);
}

#[test]
fn rollback_and_gc_leave_what_links_point_to_untouched() {
    let env = Env::new();
    env.init();
    let outside = canaries(&env);
    build_dir(&env, "src");
    let before = seen_below(&outside);
    for version in ["one", "two", "three"] {
        env.write("src/index.html", version);
        warns(env.rel(["deploy", "../src"]).ok());
    }
    let slugs: Vec<String> = ["v1", "v2", "v3"]
        .iter()
        .map(|v| env.rel(["rev-parse", "--slug", v]).ok().line())
        .collect();
    let checkouts = store(&env).join("checkouts");
    // gc removes v1's checkout, links and all.
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    assert!(!checkouts.join(&slugs[0]).exists());
    assert_eq!(seen_below(&outside), before);
    // A rollback checks v2 out anew, linking files from v3's checkout.
    fs::remove_dir_all(checkouts.join(&slugs[1])).unwrap();
    env.rel(["rollback"]).ok();
    assert_eq!(current(&env).as_deref(), Some("v4"));
    assert_eq!(current_checkout(&env), checkouts.join(&slugs[1]));
    assert_links(&env, &current_checkout(&env));
    assert_eq!(
        fs::read_to_string(env.path("app/current/index.html")).unwrap(),
        "two"
    );
    // And back; then gc of everything but the current slug.
    env.rel(["rollback"]).ok();
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    assert_eq!(seen_below(&outside), before);
}

#[test]
fn shared_paths_never_go_through_a_slugs_links() {
    let env = Env::new();
    env.init();
    let outside = canaries(&env);
    build_dir(&env, "src");
    let canary_dir = outside.join("canary_dir");
    let canary_dir = canary_dir.display();
    // `log/app` would be `canary_dir/app` through the slug's link `log`.
    symlink(canary_dir.to_string(), env.path("src/log")).unwrap();
    set_shared(&env, "\"log/app\"");
    let before = seen_below(&outside);
    let releases = manifests(&env);
    let run = env.rel(["deploy", "../src"]).code(1);
    let error = run.stderr.lines().last().unwrap_or_default().to_string();
    assert!(
        error.starts_with("rel: error: ")
            && error.contains("'log/app'")
            && error.contains("'log' is a symlink"),
        "{run:#?}"
    );
    assert_eq!(manifests(&env), releases);
    assert_eq!(seen_below(&outside), before);

    // Shared paths that are the slug's links, or directories holding
    // links, are replaced: the links removed, never followed.
    let settings = store(&env).join("settings.toml");
    let text = fs::read_to_string(&settings).unwrap();
    fs::write(
        &settings,
        text.replace(
            "\"log/app\"",
            "\"log\", \"sub\", \".venv/bin\", \"abs_file\"",
        ),
    )
    .unwrap();
    env.rel(["deploy", "../src"]).ok();
    let checkout = current_checkout(&env);
    for (path, target) in [
        ("log", "../../../shared/log"),
        ("sub", "../../../shared/sub"),
        (".venv/bin", "../../../../shared/.venv/bin"),
        ("abs_file", "../../../shared/abs_file"),
    ] {
        assert_eq!(
            fs::read_link(checkout.join(path)).unwrap(),
            Path::new(target)
        );
        assert!(env.path("app/shared").join(path).is_dir(), "{path}");
    }
    assert_eq!(
        fs::read_link(checkout.join("up_file")).unwrap(),
        Path::new("../../../../outside/canary.txt")
    );
    assert_eq!(seen_below(&outside), before);
    // Through rollback and gc too.
    env.write("src/index.html", "two");
    env.rel(["deploy", "../src"]).ok();
    env.rel(["rollback"]).ok();
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    assert_eq!(seen_below(&outside), before);
}

const OTHER: u32 = 65534;

/// Root deploys into a store another user owns and trusts it: every entry
/// of the checkout, links included, is given to the owner with lchown; the
/// canaries, root's, keep their owner and their change time.
#[test]
fn root_gives_links_to_the_store_owner_not_what_they_point_to() {
    if !is_root() {
        return;
    }
    let env = Env::new();
    env.init();
    let outside = canaries(&env);
    build_dir(&env, "src");
    set_shared(&env, "\"log\", \"tmp/cache\"");
    symlink(outside.join("canary_dir"), env.path("src/log")).unwrap();
    sh(&env, &format!("chown -R {OTHER}:{OTHER} app"));
    let before = seen_below(&outside);
    let app = env.path("app").display().to_string();
    let trusted = [("REL_TRUSTED_DIRS", app.as_str())];
    let rel = |args: &[&str], input: Option<&[u8]>| rel_env(&env, "app", args, &trusted, input);
    warns_of(6, rel(&["deploy", "../src"], None).ok());
    let checkout = current_checkout(&env);
    assert_links(&env, &checkout);
    for (path, _) in links(&env) {
        assert_eq!(uid(&checkout.join(path)), OTHER, "{path}");
    }
    for path in ["log", "tmp", "tmp/cache"] {
        assert_eq!(uid(&checkout.join(path)), OTHER, "{path}");
    }
    assert_eq!(uid(&env.path("app/shared/tmp/cache")), OTHER);
    assert_eq!(seen_below(&outside), before);
    // A tar stream, a rollback that checks out anew, and gc.
    env.write("src/index.html", "two");
    let tar = sh(&env, "tar -C src -cf - .");
    warns_of(6, rel(&["deploy", "-"], Some(&tar)).ok());
    let first = rel(&["rev-parse", "--slug", "v1"], None).ok().line();
    fs::remove_dir_all(store(&env).join("checkouts").join(&first)).unwrap();
    rel(&["rollback"], None).ok();
    assert_links(&env, &current_checkout(&env));
    assert_eq!(uid(&current_checkout(&env).join("abs_dir")), OTHER);
    rel(&["gc", "--keep", "1", "--grace", "0s"], None).ok();
    assert_eq!(seen_below(&outside), before);
}

/// A new checkout hard-links files of the previous one only where that
/// checkout still holds them as rel wrote them: never through a link (a
/// shared path, once the settings no longer share it), never a link
/// itself, never a file the app made writable.
#[test]
fn files_are_never_linked_through_the_previous_checkouts_links() {
    if !has("tar") {
        return;
    }
    let env = Env::new();
    env.init();
    env.write("src/index.html", "one\n");
    env.write("src/data/x.txt", "from the slug\n");
    env.write("src/config/db.yml", "from the slug too\n");
    env.write("src/lib/kept.txt", "kept\n");
    set_shared(&env, "\"data\", \"config/db.yml\"");
    env.rel(["deploy", "../src"]).ok();
    // The app writes its shared data.
    let app_file = env.path("app/shared/data/x.txt");
    fs::write(&app_file, "the app's own\n").unwrap();
    // And makes a file of its checkout writable, then changes it.
    let kept = current_checkout(&env).join("lib/kept.txt");
    set_mode(&kept, 0o600);
    fs::write(&kept, "changed\n").unwrap();
    let before = seen_below(&env.path("app/shared"));
    // Sharing nothing any more, the next checkout has the slug's files.
    let settings = store(&env).join("settings.toml");
    let text = fs::read_to_string(&settings).unwrap();
    fs::write(&settings, text.replace("\"data\", \"config/db.yml\"", "")).unwrap();
    // A tar stream: no checkout is prepared while it is stored, so every
    // file the previous checkout holds is linked from there.
    env.write("src/index.html", "two\n");
    let tar = sh(&env, "tar -C src -cf - .");
    env.rel_stdin(["deploy", "-"], &tar).ok();
    let checkout = current_checkout(&env);
    for (path, content) in [
        ("data/x.txt", "from the slug\n"),
        ("config/db.yml", "from the slug too\n"),
        ("lib/kept.txt", "kept\n"),
    ] {
        let meta = fs::symlink_metadata(checkout.join(path)).unwrap();
        assert!(meta.is_file(), "{path} is not a file");
        assert_eq!(meta.nlink(), 1, "{path} is linked to another file");
        assert_eq!(fs::read_to_string(checkout.join(path)).unwrap(), content);
    }
    assert_eq!(seen_below(&env.path("app/shared")), before);
}
