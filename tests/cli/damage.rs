//! A damaged history: a release whose slug went missing is a problem that
//! fsck names, told apart from one gc pruned (gc records what it prunes);
//! a manifest with an unknown or missing field is a problem; and one
//! unreadable manifest hides nothing else from `releases` and `status`.

use std::fs;

use crate::common::Env;
use crate::fixtures::{remove_object, store, stored};
use crate::porcelain::json;

/// v1..v4, one deploy each (v4 current), then gc keeping one: v1 and v2
/// pruned, v3 kept as the default rollback target. Returns the slugs.
fn pruned_history(env: &Env) -> Vec<String> {
    env.init();
    let slugs: Vec<String> = ["one", "two", "three", "four"]
        .iter()
        .map(|m| {
            env.source("src", m);
            env.rel(["deploy", "../src"]).ok();
            env.rel(["rev-parse", "--slug", "current"]).ok().line()
        })
        .collect();
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    slugs
}

fn manifest(env: &Env, v: u64) -> std::path::PathBuf {
    store(env).join(format!("releases/v{v}.toml"))
}

/// Rewrites a (read-only) manifest; returns its old text.
fn rewrite(env: &Env, v: u64, edit: impl Fn(&str) -> String) -> String {
    let path = manifest(env, v);
    let text = fs::read_to_string(&path).unwrap();
    fs::remove_file(&path).unwrap();
    fs::write(&path, edit(&text)).unwrap();
    text
}

fn restore(env: &Env, v: u64, text: &str) {
    let path = manifest(env, v);
    fs::remove_file(&path).unwrap();
    fs::write(&path, text).unwrap();
}

/// `id` with its last hex digit changed.
fn other_id(id: &str) -> String {
    let last = if id.ends_with('0') { "1" } else { "0" };
    format!("{}{last}", &id[..id.len() - 1])
}

/// fsck fails, and one of its problem lines holds every needle.
#[track_caller]
fn fsck_names(env: &Env, needles: &[&str]) {
    let run = env.rel(["fsck"]).code(1);
    assert!(
        run.stdout
            .lines()
            .any(|l| needles.iter().all(|n| l.contains(n))),
        "no problem line names {needles:?}: {run:#?}"
    );
}

#[test]
fn pruned_releases_pass_fsck_and_say_pruned() {
    let env = Env::new();
    let slugs = pruned_history(&env);
    let run = env.rel(["fsck"]).ok();
    assert_eq!(run.stdout, "", "{run:#?}");
    assert!(!run.stderr.contains("warning"), "{run:#?}");
    let record = fs::read_to_string(store(&env).join("pruned")).unwrap();
    assert_eq!(
        record,
        format!("rel-pruned 1\nv1 {}\nv2 {}\n", slugs[0], slugs[1])
    );
    let releases = env.rel(["releases"]).ok().stdout;
    for (v, pruned) in [("v4", false), ("v3", false), ("v2", true), ("v1", true)] {
        let row = releases.lines().find(|l| l.starts_with(v)).unwrap();
        assert_eq!(row.contains("(pruned)"), pruned, "{releases}");
    }
    let info = env.rel(["releases:info", "v1"]).ok().stdout;
    assert!(info.contains("(pruned)"), "{info}");
    // Another gc prunes nothing new and records nothing twice.
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    assert_eq!(
        fs::read_to_string(store(&env).join("pruned")).unwrap(),
        record
    );
}

#[test]
fn a_slug_whose_root_tree_is_deleted_is_a_problem() {
    let env = Env::new();
    let slugs = pruned_history(&env);
    // v3's slug was kept: its root tree going missing is damage.
    remove_object(&env, &slugs[2]);
    fsck_names(&env, &["v3", &slugs[2], "missing"]);
    // releases and status tell it from the pruned ones.
    let releases = env.rel(["releases"]).ok().stdout;
    let row = releases.lines().find(|l| l.starts_with("v3")).unwrap();
    assert!(
        row.contains("(slug missing; run 'rel fsck')") && !row.contains("pruned"),
        "{releases}"
    );
    assert_eq!(releases.matches("(pruned)").count(), 2, "{releases}");
    let status = env.rel(["status"]).ok().stdout;
    assert!(
        status.contains(
            "Out of sync: the slug of v3 is missing, and gc did not prune it; run 'rel fsck'"
        ),
        "{status}"
    );
}

#[test]
fn a_changed_slug_id_in_a_manifest_is_a_problem() {
    let env = Env::new();
    let slugs = pruned_history(&env);
    // In a kept release.
    let changed = other_id(&slugs[2]);
    let text = rewrite(&env, 3, |t| t.replace(&slugs[2], &changed));
    fsck_names(&env, &["v3", &changed, "missing"]);
    restore(&env, 3, &text);
    env.rel(["fsck"]).ok();
    // In a pruned release: gc recorded another slug for it.
    let changed = other_id(&slugs[0]);
    rewrite(&env, 1, |t| t.replace(&slugs[0], &changed));
    fsck_names(&env, &["v1", &changed, &slugs[0]]);
}

#[test]
fn a_renamed_slug_key_is_a_problem() {
    let env = Env::new();
    pruned_history(&env);
    rewrite(&env, 3, |t| t.replace("\nslug = ", "\nsltg = "));
    fsck_names(&env, &["releases/v3.toml", "sltg"]);
    // In a pruned release too.
    rewrite(&env, 2, |t| t.replace("\nslug = ", "\nsltg = "));
    fsck_names(&env, &["releases/v2.toml", "sltg"]);
}

#[test]
fn unknown_and_missing_manifest_fields_are_problems() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env.rel(["addons:add", "memcachier:dev"]).ok();
    env.rel(["fsck"]).ok();
    let text = fs::read_to_string(manifest(&env, 2)).unwrap();
    for field in [
        "version",
        "change",
        "by",
        "created_at",
        "config",
        "status",
        "addons",
    ] {
        rewrite(&env, 2, |t| match field {
            // The add-on tables end the manifest.
            "addons" => t[..t.find("[[addons]]").unwrap()].to_string(),
            _ => t
                .lines()
                .filter(|l| !l.starts_with(&format!("{field} = ")))
                .map(|l| format!("{l}\n"))
                .collect(),
        });
        fsck_names(&env, &["releases/v2.toml", field]);
        restore(&env, 2, &text);
    }
    env.rel(["fsck"]).ok();
    // Unknown fields, in the release and in an add-on.
    rewrite(&env, 2, |t| format!("colour = \"red\"\n{t}"));
    fsck_names(&env, &["releases/v2.toml", "colour"]);
    rewrite(&env, 2, |_| format!("{text}rating = 5\n"));
    fsck_names(&env, &["releases/v2.toml", "rating"]);
    // Elsewhere, such a manifest is refused, naming it.
    env.rel(["show-release", "v2"])
        .code(1)
        .fails_with("releases/v2.toml");
}

#[test]
fn a_store_without_a_prune_record_judges_missing_slugs_as_before_until_gc() {
    let env = Env::new();
    let slugs = pruned_history(&env);
    // As an older rel left it: pruned, but nothing recorded.
    fs::remove_file(store(&env).join("pruned")).unwrap();
    let run = env.rel(["fsck"]).ok();
    assert!(
        run.stderr.contains("warning") && run.stderr.contains("v1, v2"),
        "{run:#?}"
    );
    let releases = env.rel(["releases"]).ok().stdout;
    assert_eq!(releases.matches("(pruned)").count(), 2, "{releases}");
    // The next gc starts the record with them; from then on it is exact.
    env.rel(["gc"]).ok();
    assert_eq!(
        fs::read_to_string(store(&env).join("pruned")).unwrap(),
        format!("rel-pruned 1\nv1 {}\nv2 {}\n", slugs[0], slugs[1])
    );
    let run = env.rel(["fsck"]).ok();
    assert!(!run.stderr.contains("warning"), "{run:#?}");
    remove_object(&env, &slugs[2]);
    fsck_names(&env, &["v3", &slugs[2]]);
}

#[test]
fn gc_that_cannot_record_a_prune_deletes_nothing() {
    let env = Env::new();
    env.init();
    let slugs: Vec<String> = ["one", "two", "three"]
        .iter()
        .map(|m| {
            env.source("src", m);
            env.rel(["deploy", "../src"]).ok();
            env.rel(["rev-parse", "--slug", "current"]).ok().line()
        })
        .collect();
    let record = store(&env).join("pruned");
    fs::remove_file(&record).unwrap();
    fs::create_dir(&record).unwrap();
    env.rel(["gc", "--keep", "1", "--grace", "0s"])
        .code(1)
        .fails_with("pruned");
    assert!(stored(&env, &slugs[0]));
    // A record that names a release whose slug is still whole (a gc killed
    // after recording, before deleting) is harmless.
    fs::remove_dir(&record).unwrap();
    fs::write(
        &record,
        format!("rel-pruned 1\nv1 {}\nv2 {}\n", slugs[0], slugs[1]),
    )
    .unwrap();
    env.rel(["fsck"]).ok();
    let releases = env.rel(["releases"]).ok().stdout;
    assert!(!releases.contains("pruned"), "{releases}");
    env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    assert!(!stored(&env, &slugs[0]));
    env.rel(["fsck"]).ok();
    // A damaged record is a problem.
    fs::write(&record, "rel-pruned 1\nnot a line\n").unwrap();
    fsck_names(&env, &["pruned", "line 2"]);
}

/// v1..v5 (config changes), v3's manifest unreadable.
fn one_unreadable(env: &Env) {
    env.init();
    for i in 1..=5 {
        env.rel(["config:set", &format!("A={i}")]).ok();
    }
    rewrite(env, 3, |_| "this is not toml\n".to_string());
}

#[test]
fn releases_lists_every_readable_release_and_the_unreadable_one_in_its_place() {
    let env = Env::new();
    one_unreadable(&env);
    let run = env
        .rel(["releases", "--all"])
        .code(1)
        .fails_with("releases/v3.toml");
    assert!(run.stderr.starts_with("rel: error: "), "{run:#?}");
    let rows: Vec<&str> = run.stdout.lines().skip(3).collect();
    assert_eq!(rows.len(), 5, "{run:#?}");
    for (row, v) in rows.iter().zip([5, 4, 3, 2, 1]) {
        assert!(row.starts_with(&format!("v{v} ")), "{run:#?}");
        if v == 3 {
            assert!(
                row.contains("unreadable") && row.contains("rel fsck"),
                "{run:#?}"
            );
        } else {
            assert!(row.contains("Set A config vars"), "{run:#?}");
        }
    }
    // JSON: every release, and in v3's place its version and the error.
    let run = env
        .rel(["releases", "--all", "--json"])
        .code(1)
        .fails_with("releases/v3.toml");
    let list = json(&run);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 5, "{run:#?}");
    for (entry, v) in list.iter().zip([5, 4, 3, 2, 1]) {
        assert_eq!(entry["version"], v, "{run:#?}");
        if v == 3 {
            let obj = entry.as_object().unwrap();
            assert_eq!(obj.len(), 2, "{run:#?}");
            assert!(
                entry["error"]
                    .as_str()
                    .unwrap()
                    .contains("releases/v3.toml"),
                "{run:#?}"
            );
        } else {
            assert_eq!(entry["change"], "Set A config vars", "{run:#?}");
            assert!(entry.get("error").is_none(), "{run:#?}");
        }
    }
    // -n reads only the manifests it shows.
    env.rel(["releases", "-n", "2"]).ok();
    // Two unreadable manifests: both named at the end.
    rewrite(&env, 1, |_| String::new());
    env.rel(["releases", "--all"]).code(1).fails_with("v3, v1");
}

#[test]
fn status_reports_an_unreadable_manifest() {
    let env = Env::new();
    one_unreadable(&env);
    let run = env.rel(["status"]).ok();
    assert!(
        run.stdout
            .contains("Out of sync: the manifest of v3 cannot be read; run 'rel fsck'"),
        "{run:#?}"
    );
    assert!(!run.stdout.contains("in sync\n"), "{run:#?}");
    // The newest manifest unreadable too.
    rewrite(&env, 5, |_| String::new());
    let run = env.rel(["status"]).ok();
    assert!(run.stdout.contains("v3, v5 cannot be read"), "{run:#?}");
}
