//! The man pages: lint-clean, one per command under a name without colons,
//! the sections and examples rel(1) promises, each porcelain page with its
//! plumbing equivalent, and rel-store(5) saying what the store really holds.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use crate::common::{Env, have};

/// The pages this rel generates: file name → roff source.
fn pages() -> (Env, BTreeMap<String, String>) {
    let env = Env::new();
    env.rel_in(".", ["generate", "man", "man"]).ok();
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(env.path("man")).expect("man dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        out.insert(
            name,
            std::fs::read_to_string(entry.path()).expect("UTF-8 page"),
        );
    }
    (env, out)
}

/// The commands `rel --help` lists.
fn commands() -> Vec<String> {
    let env = Env::new();
    let help = env.rel_in(".", ["--help"]).ok().stdout;
    help.split("Commands:\n")
        .nth(1)
        .expect("a Commands: section")
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// Roff source as plain text: the escapes the pages use, undone.
fn text(roff: &str) -> String {
    roff.replace("\\-", "-")
        .replace("\\ ", " ")
        .replace("\\(dq", "\"")
        .replace("\\(aq", "'")
        .replace("\\(ti", "~")
        .replace("\\e", "\\")
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
        .replace("\\fP", "")
        .replace("\\&", "")
}

/// The text of section `name` (`.SH NAME` up to the next `.SH`).
fn section<'a>(roff: &'a str, name: &str) -> Option<&'a str> {
    let start = roff.find(&format!("\n.SH {name}\n"))? + name.len() + 5;
    let rest = &roff[start..];
    Some(rest.find("\n.SH ").map_or(rest, |end| &rest[..end]))
}

const PORCELAIN: [&str; 18] = [
    "deploy",
    "releases",
    "releases:info",
    "releases:output",
    "releases:retry",
    "rollback",
    "config",
    "config:get",
    "config:set",
    "config:unset",
    "addons",
    "addons:add",
    "addons:remove",
    "addons:upgrade",
    "addons:downgrade",
    "exec",
    "diff",
    "status",
];

const PLUMBING_COMMANDS: [&str; 12] = [
    "rel write-slug",
    "rel write-config",
    "rel read-config",
    "rel write-release",
    "rel show-release",
    "rel rev-parse",
    "rel activate",
    "rel cat-object",
    "rel ls-slug",
    "rel fsck",
    "rel export-slug",
    "rel checkout-slug",
];

#[test]
fn every_command_has_a_page_named_without_colons() {
    let (_env, pages) = pages();
    let commands = commands();
    assert!(commands.contains(&"releases:info".to_string()));
    for command in &commands {
        let stem = format!("rel-{}", command.replace(':', "-"));
        let page = pages
            .get(&format!("{stem}.1"))
            .unwrap_or_else(|| panic!("no page {stem}.1 for {command}"));
        assert!(
            page.contains(&format!(".TH {} 1 ", stem.to_uppercase())),
            "{stem}.1 has the wrong title"
        );
        let name = section(page, "NAME").expect("NAME");
        assert!(
            text(name).trim().starts_with(&format!("{stem} - ")),
            "{stem}.1: NAME is {name:?}"
        );
        assert!(
            text(section(page, "SYNOPSIS").expect("SYNOPSIS")).contains(&format!("rel {command}")),
            "{stem}.1: the synopsis does not show 'rel {command}'"
        );
        // rel(1) points to every page.
        assert!(
            pages["rel.1"].contains(&format!(".BR {} (1)", stem.replace('-', "\\-"))),
            "rel(1) does not list {stem}(1)"
        );
    }
    for name in pages.keys() {
        assert!(!name.contains(':'), "{name}");
    }
    for page in ["rel.1", "rel-store.5", "rel-hooks.5"] {
        assert!(pages.contains_key(page), "no {page}");
    }
    assert_eq!(pages.len(), commands.len() + 3, "{:?}", pages.keys());
}

#[test]
fn pages_are_lint_clean() {
    let (env, pages) = pages();
    let names: Vec<String> = pages.keys().cloned().collect();
    let lint = if have("mandoc") {
        Command::new("mandoc")
            .arg("-Tlint")
            .args(&names)
            .current_dir(env.path("man"))
            .output()
            .expect("mandoc")
    } else if have("groff") {
        Command::new("groff")
            .args(["-ww", "-z", "-man"])
            .args(&names)
            .current_dir(env.path("man"))
            .output()
            .expect("groff")
    } else {
        crate::common::skip("neither mandoc nor groff is installed", true);
        return;
    };
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(
        lint.status.success() && report.trim().is_empty(),
        "the linter reported:\n{report}"
    );
}

#[test]
fn groff_also_accepts_the_pages() {
    if !have("groff") {
        return;
    }
    let (env, pages) = pages();
    let out = Command::new("groff")
        .args(["-ww", "-z", "-man"])
        .args(pages.keys())
        .current_dir(env.path("man"))
        .output()
        .expect("groff");
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(report.trim().is_empty(), "groff reported:\n{report}");
}

#[test]
fn rel_1_has_the_promised_sections_and_examples() {
    let (_env, pages) = pages();
    let page = &pages["rel.1"];
    for name in [
        "CONCEPTS",
        "THE APP DIRECTORY",
        "REVISIONS",
        "ENVIRONMENT",
        "EXIT STATUS",
        "FILES",
        "EXAMPLES",
        "SEE ALSO",
    ] {
        assert!(section(page, name).is_some(), "rel(1) lacks {name}");
    }
    let env = text(section(page, "ENVIRONMENT").expect("ENVIRONMENT"));
    for var in [
        "REL_DIR",
        "REL_BY",
        "REL_DATE",
        "REL_TRUSTED_DIRS",
        "NO_COLOR",
    ] {
        assert!(env.contains(var), "ENVIRONMENT lacks {var}");
    }
    let exit = text(section(page, "EXIT STATUS").expect("EXIT STATUS"));
    for code in [".B 0\n", ".B 1\n", ".B 2\n"] {
        assert!(exit.contains(code), "EXIT STATUS lacks {code:?}");
    }
    let revisions = text(section(page, "REVISIONS").expect("REVISIONS"));
    for form in ["vN", "current", "current~K"] {
        assert!(revisions.contains(form), "REVISIONS lacks {form}");
    }
    let examples = text(section(page, "EXAMPLES").expect("EXAMPLES"));
    for line in [
        "tar -C build -c . | ssh prod rel -C /srv/app deploy -",
        "git archive HEAD | ssh prod rel -C /srv/app deploy -",
        "s=$(rel write-slug build)",
        "rel activate \"$v\"",
        "ExecStart=/usr/bin/rel -C /srv/app exec -- bin/web",
        "gc --keep 20",
    ] {
        assert!(examples.contains(line), "EXAMPLES lacks {line:?}");
    }
}

#[test]
fn each_porcelain_page_shows_its_plumbing_equivalent() {
    let (_env, pages) = pages();
    for command in PORCELAIN {
        let stem = format!("rel-{}", command.replace(':', "-"));
        let page = &pages[&format!("{stem}.1")];
        assert!(
            section(page, "EXAMPLES").is_some(),
            "{stem}(1) has no EXAMPLES"
        );
        let notes =
            text(section(page, "NOTES").unwrap_or_else(|| panic!("{stem}(1) has no NOTES")));
        assert!(
            notes.contains("plumbing equivalent") || notes.contains("pipeline of plumbing"),
            "{stem}(1): NOTES does not give the plumbing equivalent"
        );
        assert!(
            PLUMBING_COMMANDS.iter().any(|p| notes.contains(p)),
            "{stem}(1): NOTES names no plumbing command"
        );
    }
}

#[test]
fn the_add_on_plan_pages_show_their_own_change() {
    let (_env, pages) = pages();
    for (page, change, other) in [
        ("rel-addons-upgrade.1", "--change \"Upgrade ", "Downgrade"),
        ("rel-addons-downgrade.1", "--change \"Downgrade ", "Upgrade"),
    ] {
        let notes = text(section(&pages[page], "NOTES").expect("NOTES"));
        assert!(notes.contains(change), "{page}: {notes}");
        let examples = text(section(&pages[page], "EXAMPLES").expect("EXAMPLES"));
        assert!(
            !notes.contains(other) && !examples.contains(&other.to_lowercase()),
            "{page} shows the other command"
        );
    }
}

#[test]
fn the_deploy_pipeline_in_the_pages_works() {
    // rel(1) says deploy is this pipeline; run it as written.
    let (_env, pages) = pages();
    let examples = text(section(&pages["rel.1"], "EXAMPLES").expect("EXAMPLES"));
    let start = examples
        .find("s=$(rel write-slug build)")
        .expect("pipeline");
    let end = examples[start..].find(".EE").expect("end") + start;
    let pipeline = &examples[start..end];
    let env = Env::new();
    env.init();
    env.source("app/build", "hello");
    env.rel(["config:set", "A=1"]).ok();
    let bin = Path::new(env!("CARGO_BIN_EXE_rel")).parent().expect("dir");
    let mut sh = Command::new("sh");
    sh.args(["-ec", pipeline])
        .current_dir(env.path("app"))
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("REL_BY", "tester")
        .env_remove("REL_DIR");
    crate::common::run(&mut sh, None).ok();
    let info = env.rel(["show-release", "--json", "current"]).ok();
    let json: serde_json::Value = serde_json::from_str(&info.stdout).expect("json");
    let slug = json["slug"].as_str().expect("slug");
    assert_eq!(json["version"], 2);
    assert_eq!(json["change"], format!("Deploy {}", &slug[..7]));
    assert_eq!(env.rel(["config:get", "A"]).ok().stdout, "1\n");
}

/// The bytes of object `id` in the store at `app`: its loose file, or its
/// bytes in its pack, where `cat-object --where` says.
fn object(env: &Env, id: &str) -> Vec<u8> {
    crate::fixtures::object_bytes(env, id)
}

/// Splits an object file as rel-store(5) says: skippable frame (magic,
/// length, "rel KIND SIZE"), then a zstd frame of the content.
fn parse_object(bytes: &[u8]) -> (String, Vec<u8>) {
    assert_eq!(&bytes[..4], &0x184D2A52u32.to_le_bytes(), "skippable magic");
    let len = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
    assert!(len <= 64);
    let header = String::from_utf8(bytes[8..8 + len].to_vec()).expect("ASCII header");
    let mut content = Vec::new();
    zstd::stream::read::Decoder::new(&bytes[8 + len..])
        .expect("zstd")
        .read_to_end(&mut content)
        .expect("zstd frame");
    (header, content)
}

#[test]
fn rel_store_5_describes_the_objects_rel_writes() {
    let (_env, pages) = pages();
    let store_page = text(&pages["rel-store.5"]);
    // The context strings, as the page gives them.
    let context = |kind: &str| -> String {
        let at = store_page
            .find(&format!("{kind} object v1\""))
            .unwrap_or_else(|| panic!("no {kind} context string in rel-store(5)"));
        let start = store_page[..at].rfind('"').expect("opening quote") + 1;
        store_page[start..at + kind.len() + " object v1".len()].to_string()
    };
    let tree_context = context("tree");
    let config_context = context("config");

    let env = Env::new();
    env.init();
    env.source("src", "hello\n");
    env.rel(["deploy", "../src"]).ok();
    env.rel(["config:set", "GREETING=hi \"there\"\nsecond line", "A=1"])
        .ok();
    let release = env.rel(["show-release", "--json", "current"]).ok();
    let json: serde_json::Value = serde_json::from_str(&release.stdout).expect("json");
    let slug = json["slug"].as_str().expect("slug").to_string();
    let config = json["config"].as_str().expect("config").to_string();

    // A tree: header, id under its context, and the entry encoding.
    let (header, content) = parse_object(&object(&env, &slug));
    assert_eq!(header, format!("rel tree {}", content.len()));
    let mut hasher = blake3::Hasher::new_derive_key(&tree_context);
    hasher.update(&content);
    assert_eq!(hasher.finalize().to_hex().as_str(), slug);
    let entries: Vec<&[u8]> = content
        .split(|&b| b == 0)
        .filter(|e| !e.is_empty())
        .collect();
    let names: Vec<String> = entries
        .iter()
        .map(|e| {
            let e = String::from_utf8_lossy(e);
            let fields: Vec<&str> = e.splitn(4, ' ').collect();
            assert_eq!(fields.len(), 4, "{e}");
            assert!(["100644", "100755", "120000", "040000"].contains(&fields[0]));
            assert!(fields[1].parse::<u64>().is_ok());
            assert_eq!(fields[2].len(), 64);
            fields[3].to_string()
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "entries sorted by name");
    assert_eq!(names, ["bin", "home.html", "index.html", "lib"]);

    // A blob: plain BLAKE3, so b3sum FILE names it.
    let index = String::from_utf8_lossy(entries[2]).into_owned();
    let blob = index.split(' ').nth(2).expect("id").to_string();
    let (header, content) = parse_object(&object(&env, &blob));
    assert_eq!(header, "rel blob 6");
    assert_eq!(content, b"hello\n");
    assert_eq!(blake3::hash(b"hello\n").to_hex().as_str(), blob);

    // A config: the canonical TOML lines, id under its context.
    let (header, content) = parse_object(&object(&env, &config));
    assert_eq!(
        String::from_utf8(content.clone()).expect("UTF-8"),
        "A = \"1\"\nGREETING = \"hi \\\"there\\\"\\nsecond line\"\n"
    );
    assert_eq!(header, format!("rel config {}", content.len()));
    let mut hasher = blake3::Hasher::new_derive_key(&config_context);
    hasher.update(&content);
    assert_eq!(hasher.finalize().to_hex().as_str(), config);

    // The layout the page lists.
    for path in [
        "format",
        "settings.toml",
        "lock",
        "CURRENT",
        "objects",
        "releases/v1.toml",
        "checkouts",
        "hooks",
        "tmp",
    ] {
        assert!(
            env.path(&format!("app/.releases/{path}")).exists(),
            "no .releases/{path}"
        );
        assert!(store_page.contains(path.split('/').next().expect("name")));
    }
    assert_eq!(
        std::fs::read_to_string(env.path("app/.releases/format")).expect("format"),
        "rel-store 2\n"
    );
    assert_eq!(
        std::fs::read_to_string(env.path("app/.releases/CURRENT")).expect("CURRENT"),
        "v2\n"
    );

    // With the stock tools the page names, where they are installed.
    // The slug's root tree is packed: cut out as the page says.
    if have("zstd") && have("b3sum") {
        let (pack, span) = crate::fixtures::place(&env, &slug);
        let (offset, length) = span.expect("a deploy packs its trees");
        let pipeline = format!(
            "tail -c +$(({offset}+1)) '{}' | head -c {length} | zstd -dc | b3sum --no-names --derive-key '{tree_context}'",
            pack.display()
        );
        let out = Command::new("sh")
            .args(["-c", &pipeline])
            .output()
            .expect("sh");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), slug);
    }
}
