//! The store itself: init, discovery, permissions, trust and the format file.

use std::fs;
use std::os::unix::fs::MetadataExt;

use crate::common::Env;
use crate::fixtures::{current, files_below, is_root, manifests, mode, rel_env, sh, store, uid};

#[test]
fn init_creates_the_layout_and_makes_no_release() {
    let env = Env::new();
    let run = env.rel_in(".", ["init", "app", "--name", "myapp"]).ok();
    assert!(run.stdout.is_empty(), "init prints no data: {run:?}");
    let s = store(&env);
    assert_eq!(
        fs::read_to_string(s.join("format")).unwrap(),
        "rel-store 2\n"
    );
    let settings = fs::read_to_string(s.join("settings.toml")).unwrap();
    assert!(settings.contains("name = \"myapp\""), "{settings}");
    for sub in ["objects", "releases", "checkouts", "hooks", "tmp"] {
        assert!(s.join(sub).is_dir(), "{sub} missing");
    }
    assert!(manifests(&env).is_empty());
    assert_eq!(current(&env), None);
    assert!(!env.path("app/current").exists());
    // The first change is v1.
    env.rel(["config:set", "A=1"]).ok();
    assert_eq!(manifests(&env), vec![1]);
}

#[test]
fn init_names_the_app_after_its_directory() {
    let env = Env::new();
    env.rel_in(".", ["init", "shop"]).ok();
    let settings = fs::read_to_string(env.path("shop/.releases/settings.toml")).unwrap();
    assert!(settings.contains("name = \"shop\""), "{settings}");
    // Without PATH: the working directory.
    fs::create_dir(env.path("blog")).unwrap();
    env.rel_in("blog", ["init"]).ok();
    assert!(env.path("blog/.releases/format").is_file());
}

#[test]
fn init_twice_is_refused_and_changes_nothing() {
    let env = Env::new();
    env.init();
    let before = fs::read(store(&env).join("settings.toml")).unwrap();
    env.rel_in(".", ["init", "app", "--name", "other"])
        .fails_with("already");
    assert_eq!(fs::read(store(&env).join("settings.toml")).unwrap(), before);
}

/// Directories 0700, files 0600 or 0400 (0500 for executables in checkouts).
#[test]
fn the_store_is_private_to_its_owner() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env.rel(["config:set", "SECRET=hunter2"]).ok();
    let s = store(&env);
    assert_eq!(mode(&s), 0o700);
    let mut dirs = 0;
    let mut files = 0;
    for entry in walk_all(&s) {
        let meta = fs::symlink_metadata(&entry).unwrap();
        let m = meta.mode() & 0o7777;
        if meta.is_dir() {
            dirs += 1;
            assert_eq!(m, 0o700, "{}", entry.display());
        } else if meta.is_file() {
            files += 1;
            assert!(
                [0o600, 0o400, 0o500].contains(&m),
                "{} has mode {m:o}",
                entry.display()
            );
        }
    }
    assert!(
        dirs > 8 && files > 8,
        "walked {dirs} dirs and {files} files"
    );
    for f in files_below(&s.join("objects")) {
        assert_eq!(mode(&f), 0o400, "objects are read-only: {}", f.display());
    }
    assert_eq!(mode(&s.join("releases/v1.toml")), 0o400);
    assert_eq!(mode(&s.join("settings.toml")), 0o600);
}

fn walk_all(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let ft = e.file_type().unwrap();
        out.push(e.path());
        if ft.is_dir() {
            out.extend(walk_all(&e.path()));
        }
    }
    out
}

/// A group other than ours when we can give files to it (root), else ours.
fn some_group() -> Option<(String, u32)> {
    let groups = fs::read_to_string("/etc/group").ok()?;
    let parsed: Vec<(String, u32)> = groups
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?.to_string();
            let gid = f.nth(1)?.parse().ok()?;
            Some((name, gid))
        })
        .collect();
    // SAFETY: getegid and geteuid cannot fail.
    let (egid, euid) = unsafe { (libc::getegid(), libc::geteuid()) };
    if euid == 0
        && let Some(g) = parsed.iter().find(|(_, gid)| *gid != egid && *gid != 0)
    {
        return Some(g.clone());
    }
    parsed.into_iter().find(|(_, gid)| *gid == egid)
}

#[test]
fn init_group_makes_the_store_group_readable_never_world_readable() {
    let Some((group, gid)) = some_group() else {
        crate::common::skip("no group found in /etc/group", false);
        return;
    };
    let env = Env::new();
    env.rel_in(".", ["init", "app", "--name", "myapp", "--group", &group])
        .ok();
    let settings = fs::read_to_string(store(&env).join("settings.toml")).unwrap();
    assert!(
        settings.contains(&format!("group = \"{group}\"")),
        "{settings}"
    );
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env.rel(["config:set", "SECRET=x"]).ok();
    // Through a tar stream (staged objects) and a release hook (its output).
    env.hook("release", "#!/bin/sh\necho released\n");
    env.write("src/index.html", "two");
    let tar = sh(&env, "tar -C src -cf - .");
    env.rel_stdin(["deploy", "-"], &tar).ok();
    std::fs::remove_file(store(&env).join("hooks/release")).unwrap();
    let s = store(&env);
    for entry in std::iter::once(s.clone()).chain(walk_all(&s)) {
        let meta = fs::symlink_metadata(&entry).unwrap();
        if meta.file_type().is_symlink() {
            continue;
        }
        let m = meta.mode() & 0o777;
        assert_eq!(meta.gid(), gid, "{} not in group {group}", entry.display());
        if meta.is_dir() {
            assert_eq!(m, 0o750, "{}", entry.display());
        } else {
            assert!(
                [0o640, 0o440, 0o550].contains(&m),
                "{} has mode {m:o}",
                entry.display()
            );
        }
    }
    assert_eq!(mode(&s.join("settings.toml")) & 0o777, 0o640);
    assert_eq!(mode(&s.join("releases/v1.toml")) & 0o777, 0o440);
}

#[test]
fn init_with_an_unknown_group_is_refused_and_creates_nothing() {
    let env = Env::new();
    env.rel_in(".", ["init", "app", "--group", "no-such-group-rel"])
        .fails_with("no-such-group-rel");
    assert!(!env.path("app/.releases").exists());
}

#[test]
fn discovery_by_dash_c_rel_dir_and_upward_search() {
    let env = Env::new();
    env.init();
    env.rel(["config:set", "A=1"]).ok();
    // -C, from the scratch dir.
    assert_eq!(
        env.rel_in(".", ["-C", "app", "rev-parse", "current"])
            .ok()
            .line(),
        "v1"
    );
    // -C after the command.
    assert_eq!(
        env.rel_in(".", ["rev-parse", "current", "-C", "app"])
            .ok()
            .line(),
        "v1"
    );
    // Upward search from a subdirectory.
    fs::create_dir_all(env.path("app/deep/er")).unwrap();
    assert_eq!(
        env.rel_in("app/deep/er", ["rev-parse", "current"])
            .ok()
            .line(),
        "v1"
    );
    // REL_DIR names .releases itself, relative or absolute.
    let abs = store(&env).to_string_lossy().into_owned();
    for dir in ["app/.releases", abs.as_str()] {
        let r = rel_env(
            &env,
            ".",
            &["rev-parse", "current"],
            &[("REL_DIR", dir)],
            None,
        );
        assert_eq!(r.ok().line(), "v1");
    }
    // REL_DIR wins over the upward search.
    env.rel_in(".", ["init", "other", "--name", "other"]).ok();
    let r = rel_env(
        &env,
        "app",
        &["rev-parse", "current"],
        &[("REL_DIR", "../other/.releases")],
        None,
    );
    r.fails_with("current");
}

#[test]
fn outside_a_store_says_to_run_init() {
    let env = Env::new();
    fs::create_dir(env.path("nowhere")).unwrap();
    for args in [
        vec!["releases"],
        vec!["rev-parse", "current"],
        vec!["config:set", "A=1"],
        vec!["fsck"],
    ] {
        env.rel_in("nowhere", &args).code(1).fails_with("rel init");
    }
    let r = rel_env(
        &env,
        "nowhere",
        &["releases"],
        &[("REL_DIR", "nowhere")],
        None,
    );
    r.code(1).fails_with("nowhere");
    env.rel_in(".", ["-C", "missing-dir", "releases"])
        .code(1)
        .fails_with("missing-dir");
}

#[test]
fn a_store_of_another_format_is_refused_untouched() {
    let env = Env::new();
    env.init();
    let format = store(&env).join("format");
    fs::write(&format, "rel-store 3\n").unwrap();
    for args in [
        vec!["releases"],
        vec!["config:set", "A=1"],
        vec!["fsck"],
        vec!["gc"],
    ] {
        env.rel(&args).code(1).fails_with("rel-store 3");
    }
    assert!(manifests(&env).is_empty());
    assert_eq!(fs::read_to_string(&format).unwrap(), "rel-store 3\n");
    // A store without a format file is not a store.
    fs::remove_file(&format).unwrap();
    env.rel(["releases"]).code(1).fails_with("rel init");
}

const OTHER: u32 = 65534;

fn give_away(env: &Env) {
    sh(env, &format!("chown -R {OTHER}:{OTHER} app"));
}

#[test]
fn a_store_owned_by_another_user_is_refused() {
    if !is_root() {
        return;
    }
    let env = Env::new();
    env.init();
    env.rel(["config:set", "A=1"]).ok();
    env.hook("release", "#!/bin/sh\ntouch \"$MARK\"\n");
    give_away(&env);
    let mark = env.path("hook-ran");
    let mark_s = mark.to_string_lossy().into_owned();
    let before = manifests(&env);
    for args in [
        vec!["releases"],
        vec!["config:set", "B=2"],
        vec!["rev-parse", "current"],
    ] {
        let r = rel_env(&env, "app", &args, &[("MARK", &mark_s)], None);
        r.code(1).fails_with(&format!("uid {OTHER}"));
    }
    assert!(!mark.exists(), "rel ran another user's hook");
    assert_eq!(manifests(&env), before);
    // Being root under sudo by someone else does not help.
    rel_env(&env, "app", &["releases"], &[("SUDO_UID", "1234")], None)
        .code(1)
        .fails_with("REL_TRUSTED_DIRS");
    // Unrelated trusted dirs do not help either.
    rel_env(
        &env,
        "app",
        &["releases"],
        &[("REL_TRUSTED_DIRS", "/tmp:/nonexistent")],
        None,
    )
    .code(1)
    .fails_with("REL_TRUSTED_DIRS");
}

#[test]
fn trusted_stores_are_used_and_keep_their_owner() {
    if !is_root() {
        return;
    }
    let env = Env::new();
    env.init();
    env.source("src", "one");
    give_away(&env);
    let app = env.path("app").to_string_lossy().into_owned();
    let rel_dir = store(&env).to_string_lossy().into_owned();
    let trusted_app = format!("/nonexistent:{app}");
    let cases: [(&str, &str); 3] = [
        ("REL_TRUSTED_DIRS", &trusted_app),
        ("REL_TRUSTED_DIRS", &rel_dir),
        ("SUDO_UID", "65534"),
    ];
    for (i, (k, v)) in cases.iter().enumerate() {
        fs::write(env.path("src/index.html"), format!("version {i}")).unwrap();
        rel_env(&env, "app", &["deploy", "../src"], &[(k, v)], None).ok();
        rel_env(
            &env,
            "app",
            &["config:set", &format!("K{i}=v")],
            &[(k, v)],
            None,
        )
        .ok();
    }
    // A tar stream (staged objects) and a release hook (its output kept).
    env.hook("release", "#!/bin/sh\necho released\n");
    sh(
        &env,
        &format!("chown -h {OTHER}:{OTHER} app/.releases/hooks/release"),
    );
    fs::write(env.path("src/index.html"), "from tar").unwrap();
    let tar = sh(&env, "tar -C src -cf - .");
    rel_env(
        &env,
        "app",
        &["deploy", "-"],
        &[("SUDO_UID", "65534")],
        Some(&tar),
    )
    .ok();
    fs::remove_file(store(&env).join("hooks/release")).unwrap();
    assert_eq!(manifests(&env), (1..=7).collect::<Vec<_>>());
    // Everything root wrote belongs to the store's owner.
    let s = store(&env);
    for entry in walk_all(&s) {
        assert_eq!(uid(&entry), OTHER, "{} is not the owner's", entry.display());
        let gid = fs::symlink_metadata(&entry).unwrap().gid();
        assert_eq!(gid, OTHER, "{} is not the owner's group", entry.display());
    }
    assert_eq!(uid(&env.path("app/current")), OTHER);
    // And the owner's store still works for a trusted root.
    let slug = {
        let r = rel_env(
            &env,
            "app",
            &["write-slug", "../src"],
            &[("SUDO_UID", "65534")],
            None,
        );
        r.ok().line()
    };
    assert_eq!(slug.len(), 64);
}

#[test]
fn shared_paths_root_makes_in_a_trusted_store_are_the_owners() {
    if !is_root() {
        return;
    }
    let env = Env::new();
    env.init();
    let settings = store(&env).join("settings.toml");
    let text = fs::read_to_string(&settings).unwrap();
    let text = text.replace("shared = []", "shared = [\"log\", \"tmp/cache\"]");
    assert!(text.contains("tmp/cache"), "{text}");
    fs::write(&settings, text).unwrap();
    env.source("src", "one");
    give_away(&env);
    rel_env(
        &env,
        "app",
        &["deploy", "../src"],
        &[("SUDO_UID", "65534")],
        None,
    )
    .ok();
    for p in [
        "app/shared",
        "app/shared/log",
        "app/shared/tmp",
        "app/shared/tmp/cache",
    ] {
        assert_eq!(uid(&env.path(p)), OTHER, "{p} is root's");
    }
    let slug = rel_env(
        &env,
        "app",
        &["rev-parse", "--slug", "current"],
        &[("SUDO_UID", "65534")],
        None,
    )
    .ok()
    .line();
    let checkout = store(&env).join("checkouts").join(&slug);
    for p in ["log", "tmp", "tmp/cache"] {
        assert_eq!(uid(&checkout.join(p)), OTHER, "checkout {p} is root's");
    }
    // The app, running as the owner, can write its logs.
    assert!(fs::read_link(checkout.join("log")).is_ok());
}

/// New objects take the zstd level of `compression`, 1 unless set.
#[test]
fn objects_take_the_compression_level_of_the_settings() {
    let body: String = (0..20_000)
        .map(|i| format!("entry {} of group {}\n", i * 7919 % 10_007, i % 13))
        .collect();
    let mut sizes = Vec::new();
    for level in [None, Some(19)] {
        let env = Env::new();
        env.init();
        let settings = store(&env).join("settings.toml");
        let text = fs::read_to_string(&settings).unwrap();
        assert!(text.contains("compression = 1\n"), "{text}");
        if let Some(level) = level {
            let text = text.replace("compression = 1", &format!("compression = {level}"));
            fs::write(&settings, text).unwrap();
        }
        env.write("src/data.txt", &body);
        env.rel(["deploy", "../src"]).ok();
        env.rel(["fsck"]).ok();
        let objects: u64 = files_below(&store(&env).join("objects"))
            .iter()
            .map(|p| fs::metadata(p).unwrap().len())
            .sum();
        sizes.push(objects);
    }
    assert!(
        sizes[1] < sizes[0],
        "level 19 stores less than 1: {sizes:?}"
    );
}
