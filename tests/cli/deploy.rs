//! `rel deploy`: sources (directory, tar, zstd tar, git work tree), the
//! change description, `by` and `created_at`, the status lines, identical
//! slugs, `--force`, failed release hooks and refused input.

use crate::common::{self, DATE, Env, have};
use crate::porcelain::{
    assert_hex, current, deployed, json, manifests, rel_env, slug_of, store_state,
};

/// What the slug of `Env::source` occupies in the store: its 38 bytes of
/// files ("one", bin/run and lib/util.txt) and its link and trees, each a
/// compressed object with a header.
const SOURCE_SIZE: &str = "602B";

#[test]
fn compressing_shows_what_the_slug_occupies_in_the_store() {
    let env = Env::new();
    env.init();
    env.write("src/zeros", &"\0".repeat(1_000_000));
    env.write("src/a", "a");
    // Only the slug's objects are in the store: its size is the store's.
    env.rel(["write-slug", "../src"]).ok();
    let status = env.rel(["status"]).ok().stdout;
    let stored = status
        .lines()
        .find_map(|l| l.strip_prefix("Store:"))
        .and_then(|l| l.split(" in ").next())
        .map(str::trim)
        .unwrap_or_else(|| panic!("no Store: line in {status}"));
    let run = env.rel(["deploy", "../src"]).ok();
    assert!(
        run.stderr
            .starts_with(&format!("-----> Compressing... done, {stored}\n")),
        "{run:#?}"
    );
    // A megabyte of zeros compresses to a few hundred bytes: not 1.0MB.
    assert!(
        stored.ends_with('B') && stored[..stored.len() - 1].parse::<u32>().is_ok(),
        "{stored}"
    );
}

#[test]
fn deploy_prints_status_lines_on_stderr_and_nothing_on_stdout() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let run = env.rel(["deploy", "../src"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!("-----> Compressing... done, {SOURCE_SIZE}\n-----> Launching... done, v1\n")
    );
    assert_eq!(current(&env), "v1");
    assert_eq!(
        std::fs::read_to_string(env.path("app/current/index.html")).unwrap(),
        "one"
    );
}

#[test]
fn quiet_deploy_prints_nothing() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let run = env.rel(["-q", "deploy", "../src"]).ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    let run = env.rel(["deploy", "../src", "--quiet"]).ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    assert_eq!(manifests(&env), ["v1.toml"]);
}

#[test]
fn change_names_seven_hex_of_the_slug_without_a_commit() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let slug = slug_of(&env, "src");
    env.rel(["deploy", "../src"]).ok();
    let info = json(&env.rel(["releases:info", "v1", "--json"]).ok());
    assert_eq!(info["change"], format!("Deploy {}", &slug[..7]));
    assert_eq!(info["slug"], slug.as_str());
    assert!(info.get("commit").is_none(), "{info}");
}

#[test]
fn change_names_seven_hex_of_commit_and_keeps_the_full_revision() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let rev = "de63889c20a96347679af2c5160c390727fa6749";
    env.rel(["deploy", "../src", "--commit", rev]).ok();
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["change"], "Deploy de63889");
    assert_eq!(info["commit"], rev);
    let manifest = std::fs::read_to_string(env.path("app/.releases/releases/v1.toml")).unwrap();
    assert!(
        manifest.contains(&format!("commit = \"{rev}\"")),
        "{manifest}"
    );
}

#[test]
fn change_names_head_of_a_git_work_tree_and_git_is_not_stored() {
    if !have("git") {
        return;
    }
    let env = Env::new();
    env.init();
    let src = env.source("src", "one");
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&src)
            .args([
                "-c",
                "user.name=T",
                "-c",
                "user.email=t@example.com",
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", env.path("."))
            .output()
            .expect("run git");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    let head = git(&["rev-parse", "HEAD"]);
    assert_hex(&head, 40);

    let run = env.rel(["deploy", "../src"]).ok();
    assert_eq!(run.stdout, "");
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["change"], format!("Deploy {}", &head[..7]));
    assert_eq!(info["commit"], head.as_str());
    assert!(!env.path("app/current/.git").exists());
    let slug = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    let listing = env.rel(["ls-slug", "-r", &slug]).ok().stdout;
    assert!(!listing.contains(".git"), "{listing}");

    // --commit wins over HEAD.
    env.write("src/index.html", "two");
    env.rel(["deploy", "../src", "--commit", "0123456789abcdef"])
        .ok();
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["change"], "Deploy 0123456");

    // Run from a git hook, GIT_DIR names another repository: SOURCE's
    // HEAD still counts.
    git(&["commit", "-q", "-am", "second"]);
    let head = git(&["rev-parse", "HEAD"]);
    rel_env(
        &env,
        &[
            ("GIT_DIR", Some("/nonexistent/repo.git")),
            ("GIT_WORK_TREE", Some("/")),
        ],
        ["deploy", "../src", "--force"],
    )
    .ok();
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["change"], format!("Deploy {}", &head[..7]));

    // --commit takes what git knows in SOURCE: a tag, HEAD.
    git(&["tag", "v1.2.3"]);
    env.write("src/index.html", "three");
    env.rel(["deploy", "../src", "--commit", "v1.2.3"]).ok();
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["change"], format!("Deploy {}", &head[..7]));
    assert_eq!(info["commit"], head.as_str());
    // For a tar stream, git looks where rel runs.
    let tar = std::process::Command::new("tar")
        .args(["-C", src.to_str().unwrap(), "-c", "."])
        .output()
        .expect("tar")
        .stdout;
    common::run(
        env.cmd_in("src")
            .env("REL_DIR", env.path("app/.releases"))
            .args(["deploy", "-", "--commit", "HEAD", "--force"]),
        Some(&tar),
    )
    .ok();
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["commit"], head.as_str());
}

#[test]
fn a_commit_that_is_neither_an_id_nor_known_to_git_is_refused() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let before = store_state(&env);
    for rev in ["v1.2.3-release", "HEAD", "--all", "abc"] {
        env.rel(["deploy", "../src", &format!("--commit={rev}")])
            .code(1)
            .fails_with(&format!("--commit '{rev}' is not a commit id"));
        assert_eq!(store_state(&env), before, "--commit {rev} wrote something");
    }
    // An id is kept as git prints it, lowercase.
    env.rel(["deploy", "../src", "--commit", "ABCDEF0123"]).ok();
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["commit"], "abcdef0123");
    assert_eq!(info["change"], "Deploy abcdef0");
}

#[test]
fn by_comes_from_flag_rel_by_sudo_user_user_or_the_password_database() {
    let env = Env::new();
    env.init();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .split('.')
        .next()
        .unwrap()
        .to_string();
    let by = |env: &Env, v: &str| {
        let info = json(&env.rel(["releases:info", v, "--json"]).ok());
        info["by"].as_str().unwrap().to_string()
    };
    for (i, marker) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        env.source(&format!("src{i}"), marker);
    }
    env.rel(["deploy", "../src0", "--by", "alice@example.com"])
        .ok();
    assert_eq!(by(&env, "v1"), "alice@example.com");
    env.rel(["deploy", "../src1"]).ok();
    assert_eq!(by(&env, "v2"), "tester@example.com");
    rel_env(
        &env,
        &[
            ("REL_BY", None),
            ("SUDO_USER", Some("carol")),
            ("USER", Some("bob")),
        ],
        ["deploy", "../src2"],
    )
    .ok();
    assert_eq!(by(&env, "v3"), format!("carol@{host}"));
    rel_env(
        &env,
        &[("REL_BY", None), ("USER", Some("bob"))],
        ["deploy", "../src3"],
    )
    .ok();
    assert_eq!(by(&env, "v4"), format!("bob@{host}"));
    rel_env(
        &env,
        &[("REL_BY", None), ("USER", None), ("LOGNAME", None)],
        ["deploy", "../src4"],
    )
    .ok();
    let me = crate::porcelain::sh("id -un", &env.path("."));
    assert_eq!(by(&env, "v5"), format!("{}@{host}", me.trim()));
}

#[test]
fn created_at_comes_from_rel_date() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    rel_env(
        &env,
        &[("REL_DATE", Some("2025-01-31T12:34:56+02:00"))],
        ["deploy", "../src"],
    )
    .ok();
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["created_at"], "2025-01-31T10:34:56Z");
    rel_env(
        &env,
        &[("REL_DATE", Some("yesterday"))],
        ["deploy", "../src", "--force"],
    )
    .fails_with("REL_DATE 'yesterday'");
    assert_eq!(manifests(&env), ["v1.toml"]);
}

#[test]
fn an_identical_slug_makes_no_release_even_with_another_commit() {
    let env = Env::new();
    deployed(&env);
    let slug = slug_of(&env, "src");
    let before = store_state(&env);
    let run = env.rel(["deploy", "../src"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!(
            "-----> Compressing... done, {SOURCE_SIZE}\n\
             -----> Nothing to deploy: v1 already runs slug {}; no new release (use --force to make one)\n",
            &slug[..7]
        )
    );
    let run = env.rel(["deploy", "../src", "--commit", "abcdef0123"]).ok();
    assert!(run.stderr.contains("Nothing to deploy"), "{run:#?}");
    assert_eq!(store_state(&env), before);

    let run = env.rel(["deploy", "../src", "--force"]).ok();
    assert_eq!(
        run.stderr,
        format!("-----> Compressing... done, {SOURCE_SIZE}\n-----> Launching... done, v2\n")
    );
    assert_eq!(manifests(&env), ["v1.toml", "v2.toml"]);
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["change"], format!("Deploy {}", &slug[..7]));
}

#[test]
fn deploy_reads_a_tar_stream_plain_or_zstd() {
    if !have("tar") {
        return;
    }
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let slug = slug_of(&env, "src");
    let tar = std::process::Command::new("tar")
        .args(["-C", "src", "-cf", "-", "."])
        .current_dir(env.path("."))
        .output()
        .expect("tar");
    assert!(tar.status.success());
    let run = env.rel_stdin(["deploy", "-"], &tar.stdout).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!("-----> Compressing... done, {SOURCE_SIZE}\n-----> Launching... done, v1\n")
    );
    assert_eq!(
        env.rel(["rev-parse", "--slug", "current"]).ok().line(),
        slug
    );

    if !have("zstd") {
        return;
    }
    env.write("src/index.html", "two");
    let slug2 = slug_of(&env, "src");
    let zst = std::process::Command::new("sh")
        .args(["-c", "tar -C src -cf - . | zstd -q -c"])
        .current_dir(env.path("."))
        .output()
        .expect("tar | zstd");
    assert!(zst.status.success());
    assert_eq!(&zst.stdout[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
    env.rel_stdin(["deploy", "-", "--commit", "fedcba9876"], &zst.stdout)
        .ok();
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["slug"], slug2.as_str());
    assert_eq!(info["change"], "Deploy fedcba9");
}

#[test]
fn slugignore_and_git_and_releases_dirs_are_not_stored() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.write("src/.slugignore", "*.log\n/tmp/\n!keep.log\n");
    env.write("src/debug.log", "noise\n");
    env.write("src/keep.log", "kept\n");
    env.write("src/tmp/cache", "x\n");
    env.write("src/lib/tmp/real", "kept\n");
    env.write("src/.git/HEAD", "ref: refs/heads/main\n");
    env.write("src/.releases/format", "rel-store 1\n");
    env.write("src/lib/.git/config", "\n");
    env.rel(["deploy", "../src"]).ok();
    let cur = env.path("app/current");
    assert!(cur.join("index.html").exists());
    assert!(cur.join("keep.log").exists());
    assert!(cur.join("lib/tmp/real").exists());
    for gone in ["debug.log", "tmp", ".git", ".releases", "lib/.git"] {
        assert!(
            std::fs::symlink_metadata(cur.join(gone)).is_err(),
            "{gone} was stored"
        );
    }
}

#[test]
fn a_failed_release_hook_records_a_failed_release_that_is_not_activated() {
    let env = Env::new();
    deployed(&env);
    env.hook(
        "release",
        "#!/bin/sh\necho \"migrating $REL_VERSION\"\necho 'migration failed' >&2\nexit 3\n",
    );
    env.write("src/index.html", "two");
    let run = env.rel(["deploy", "../src"]).code(1);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!(
            "-----> Compressing... done, 600B\n\
             migrating v2\n\
             migration failed\n\
             -----> Launching... failed, v2\n\
             rel: error: v2 failed: the release hook failed, so v2 was not activated; its output: 'rel releases:output v2'\n"
        )
    );
    assert_eq!(current(&env), "v1");
    assert_eq!(
        std::fs::read_to_string(env.path("app/current/index.html")).unwrap(),
        "one"
    );
    let info = json(&env.rel(["releases:info", "v2", "--json"]).ok());
    assert_eq!(info["status"], "failed");
    assert_eq!(info["current"], false);
    let out = env.rel(["releases:output", "v2"]).ok();
    assert_eq!(out.stdout, "migrating v2\nmigration failed\n");
    assert_eq!(out.stderr, "");
}

#[test]
fn a_missing_directory_is_one_line_and_writes_nothing() {
    let env = Env::new();
    deployed(&env);
    let before = store_state(&env);
    let run = env.rel(["deploy", "../nowhere"]).fails_with("nowhere");
    assert!(run.stderr.starts_with("rel: error: "), "{run:#?}");
    assert_eq!(run.stdout, "");
    env.write("afile", "x");
    env.rel(["deploy", "../afile"])
        .fails_with("is not a directory");
    assert_eq!(store_state(&env), before);
}

#[test]
fn an_empty_tar_stream_is_one_line_and_writes_nothing() {
    let env = Env::new();
    deployed(&env);
    let before = store_state(&env);
    env.rel_stdin(["deploy", "-"], b"")
        .fails_with("standard input is empty");
    env.rel_stdin(["deploy", "-"], &[0u8; 1024])
        .fails_with("no entries");
    env.rel_stdin(["deploy", "-"], b"this is not a tar stream at all, but long enough to look at it twice over and over again, yes indeed it is quite a lot of text for a header block of five hundred and twelve bytes, so let us keep typing until we get there: lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.")
        .fails_with("rel: error: ");
    assert_eq!(store_state(&env), before);
}

#[test]
fn deploy_outside_a_store_says_to_run_init() {
    let env = Env::new();
    env.source("src", "one");
    std::fs::create_dir_all(env.path("app")).unwrap();
    env.rel(["deploy", "../src"]).fails_with("rel init");
}

#[test]
fn the_first_deploy_keeps_config_set_before_it() {
    let env = Env::new();
    env.init();
    env.rel(["config:set", "A=1"]).ok();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    let out = env.rel(["exec", "--", "sh", "-c", "echo $A"]).ok();
    assert_eq!(out.stdout, "1\n");
    let list = json(&env.rel(["releases", "--json"]).ok());
    assert_eq!(list[0]["config"], list[1]["config"]);
    assert!(list[1].get("slug").is_none(), "{list}");
}

#[test]
fn deploy_pins_the_date_and_author_in_the_manifest() {
    let env = Env::new();
    deployed(&env);
    let manifest = std::fs::read_to_string(env.path("app/.releases/releases/v1.toml")).unwrap();
    assert!(
        manifest.contains(&format!("created_at = \"{DATE}\"")),
        "{manifest}"
    );
    assert!(
        manifest.contains("by = \"tester@example.com\""),
        "{manifest}"
    );
}

#[test]
fn settings_keep_prunes_after_every_deploy() {
    let env = Env::new();
    env.init();
    let settings = env.path("app/.releases/settings.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, format!("keep = 1\n{text}")).unwrap();
    for (i, m) in ["a", "b", "c"].iter().enumerate() {
        env.source(&format!("s{i}"), m);
        env.rel(["deploy", &format!("../s{i}")]).ok();
        // Objects younger than the grace period survive: make them old.
        crate::porcelain::sh(
            "find .releases/objects -type f -exec touch -d '2000-01-01' {} +",
            &env.path("app"),
        );
    }
    env.source("s3", "d");
    let run = env.rel(["deploy", "../s3"]).ok();
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("-----> Compressing... done, 598B\n-----> Launching... done, v4\n-----> "),
        "{run:#?}"
    );
    let list = json(&env.rel(["releases", "--json"]).ok());
    let pruned: Vec<bool> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["pruned"].as_bool().unwrap())
        .collect();
    assert_eq!(pruned, [false, false, true, true]);
}

#[test]
fn an_empty_source_is_refused_unless_allow_empty() {
    let env = Env::new();
    deployed(&env);
    let before = store_state(&env);
    std::fs::create_dir_all(env.path("empty")).unwrap();
    env.write("gitonly/.git/HEAD", "ref: refs/heads/main\n");
    for dir in ["empty", "gitonly"] {
        let run = env.rel(["deploy", &format!("../{dir}")]).code(1);
        assert_eq!(
            run.stderr,
            format!(
                "rel: error: '{}' holds no files to deploy, so its release would run nothing; check the path, or give --allow-empty to deploy it anyway; nothing was released\n",
                env.path(&format!("app/../{dir}")).display()
            )
        );
        assert_eq!(run.stdout, "");
    }
    assert_eq!(
        store_state(&env),
        before,
        "a refused deploy wrote to the store"
    );
    // Everything left out by .slugignore, or only empty directories.
    env.write("ignored/.slugignore", "*\n");
    env.write("ignored/app.js", "x");
    std::fs::create_dir_all(env.path("dirs/public/assets")).unwrap();
    for dir in ["ignored", "dirs"] {
        env.rel(["deploy", &format!("../{dir}")])
            .code(1)
            .fails_with("holds no files to deploy");
    }
    if have("tar") {
        let tar = std::process::Command::new("tar")
            .args(["-C", "dirs", "-cf", "-", "."])
            .current_dir(env.path("."))
            .output()
            .expect("tar");
        env.rel_stdin(["deploy", "-"], &tar.stdout)
            .code(1)
            .fails_with("rel: error: the tar stream on standard input holds no files to deploy");
    }
    assert_eq!(manifests(&env), ["v1.toml"]);
    assert_eq!(current(&env), "v1");
    // On purpose: a release of nothing.
    let run = env.rel(["deploy", "../empty", "--allow-empty"]).ok();
    assert!(
        run.stderr.ends_with("-----> Launching... done, v2\n"),
        "{run:#?}"
    );
    assert_eq!(env.rel(["ls-slug", "current"]).ok().stdout, "");
}

#[test]
fn deploy_dash_on_a_terminal_says_to_pipe_a_tar_stream() {
    let env = Env::new();
    env.init();
    let command = format!("'{}' deploy -; echo \"exit=$?\"", env!("CARGO_BIN_EXE_rel"));
    // Refused at once: without the check, rel would wait for the keyboard.
    let Some(term) = crate::terminal::Terminal::spawn(&command, &env.path("app"), &[]) else {
        return;
    };
    let screen = term.wait_for(
        0,
        &[
            "rel: error: standard input is a terminal, not a tar stream; pipe one into rel (tar -C DIR -c . | rel deploy -), or name a directory instead of -",
            "exit=1",
        ],
    );
    assert!(!screen.contains("Launching"), "{screen:?}");
    drop(term);
    assert!(manifests(&env).is_empty());
}

/// Runs git in `dir` with a pinned identity; its trimmed stdout.
fn git_in(env: &Env, dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", env.path("."))
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn a_work_tree_with_changes_to_tracked_files_deploys_as_dirty() {
    if !have("git") {
        return;
    }
    let env = Env::new();
    env.init();
    let src = env.source("src", "one");
    env.write("src/.gitignore", "*.log\n");
    git_in(&env, &src, &["init", "-q"]);
    git_in(&env, &src, &["add", "."]);
    git_in(&env, &src, &["commit", "-q", "-m", "first"]);
    let head = git_in(&env, &src, &["rev-parse", "HEAD"]);
    let short = &head[..7];

    // Untracked and ignored files (build output) leave the tree clean.
    env.write("src/public/app.js", "built");
    env.write("src/debug.log", "noise");
    let run = env.rel(["deploy", "../src"]).ok();
    assert!(!run.stderr.contains("warning"), "{run:#?}");
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["change"], format!("Deploy {short}"));
    assert_eq!(info.get("dirty"), None);

    // A changed tracked file: the change, the manifest and a warning say so.
    env.write("src/index.html", "two");
    let run = env.rel(["deploy", "../src"]).ok();
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        format!(
            "warning: '{}' has uncommitted changes to tracked files, so the slug is not commit {short}: it deploys as {short}-dirty (commit them for a deploy that names one commit)",
            env.path("app/../src").display()
        )
    );
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["change"], format!("Deploy {short}-dirty"));
    assert_eq!(info["commit"], head.as_str());
    assert_eq!(info["dirty"], true);
    let toml = env.rel(["show-release", "v2"]).ok().stdout;
    assert!(toml.contains("\ndirty = true\n"), "{toml}");
    // The releases that keep its slug keep saying so.
    env.rel(["config:set", "A=1"]).ok();
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["dirty"], true);

    // Staged but not committed is dirty too; --commit names what it names.
    env.write("src/lib/util.txt", "changed\n");
    git_in(&env, &src, &["add", "lib/util.txt"]);
    env.rel(["deploy", "../src"]).ok();
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["change"], format!("Deploy {short}-dirty"));
    env.write("src/index.html", "three");
    let run = env.rel(["deploy", "../src", "--commit", &head]).ok();
    assert!(!run.stderr.contains("warning"), "{run:#?}");
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["change"], format!("Deploy {short}"));
    assert_eq!(info.get("dirty"), None);

    // Committed: clean again.
    git_in(&env, &src, &["commit", "-q", "-am", "second"]);
    env.write("src/index.html", "four");
    git_in(&env, &src, &["commit", "-q", "-am", "third"]);
    let head = git_in(&env, &src, &["rev-parse", "HEAD"]);
    let run = env.rel(["deploy", "../src"]).ok();
    assert!(!run.stderr.contains("warning"), "{run:#?}");
    let info = json(&env.rel(["releases:info", "--json"]).ok());
    assert_eq!(info["change"], format!("Deploy {}", &head[..7]));
    // The plumbing records the same: write-release --dirty.
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
            &head,
            "--dirty",
            "--change",
            "Deploy x-dirty",
        ])
        .ok()
        .line();
    let toml = env.rel(["show-release", &v]).ok().stdout;
    assert!(toml.contains("\ndirty = true\n"), "{toml}");
    env.rel([
        "write-release",
        "--slug",
        &slug,
        "--config",
        &config,
        "--dirty",
        "--change",
        "x",
    ])
    .code(2);
}
