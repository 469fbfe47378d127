//! Completions, loaded into real bash, zsh and fish: colon commands
//! complete (the traps of ../shared/STYLE.md), and arguments that name a
//! release, a config var or an add-on offer the store's releases or the
//! current release's config vars or add-ons, also with -C and nowhere near
//! a store. Each test skips, saying so, when its shell is absent.
//!
//! bash and zsh are driven on a terminal, as a person would: type, press
//! TAB, then turn the line into `printf '[%s]\n' ...` (Ctrl-A goes to its
//! start) so the completed words come back in brackets, which the typed
//! text never holds.

use std::path::{Path, PathBuf};

use crate::common::{Env, have};
use crate::terminal::Terminal;

/// A scratch dir with a store `app` holding v1..v3, and the completion
/// scripts that this rel generates, in `completions/`.
fn setup() -> (Env, PathBuf) {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env.write("src/index.html", "two");
    env.rel(["deploy", "../src"]).ok();
    env.rel(["config:set", "GREETING=hi"]).ok();
    env.rel_in(".", ["generate", "completions", "completions"])
        .ok();
    std::fs::create_dir_all(env.path("elsewhere")).expect("mkdir");
    let dir = env.path("completions");
    (env, dir)
}

/// PATH with the rel under test first.
fn path_with_rel() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_rel"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

const PROMPT: &str = "PROMPT> ";

/// An interactive shell on a terminal, started in `cwd`, at its prompt.
fn shell(command: &str, cwd: &Path, home: &Path) -> Option<Terminal> {
    let path = path_with_rel();
    let home = home.display().to_string();
    let term = Terminal::spawn(
        command,
        cwd,
        &[
            ("PATH", path.as_str()),
            ("HOME", home.as_str()),
            ("ZDOTDIR", home.as_str()),
            ("PS1", PROMPT),
            ("REL_BY", "tester"),
        ],
    )?;
    term.wait_for(0, &[PROMPT]);
    Some(term)
}

/// Waits for `token` after `mark`, then for the prompt after it; returns
/// the text from `mark` to there.
fn wait_then_prompt(term: &Terminal, mark: usize, token: &str) -> String {
    let text = term.wait_for(mark, &[token]);
    let at = text.find(token).expect("found") + token.len();
    loop {
        let text = term.wait_for(mark, &[token]);
        if text[at..].contains(PROMPT) {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Runs `line` at the prompt, then waits until its output has ended and
/// the prompt is back (a marker command makes the end certain).
fn command(term: &mut Terminal, line: &str) -> String {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mark = term.mark();
    term.send(&format!("{line}\n"));
    term.send(&format!("printf '[%s]\\n' sync-{n}\n"));
    wait_then_prompt(term, mark, &format!("[sync-{n}]"))
}

/// Types `partial`, presses TAB, and returns the completed line.
fn complete_line(term: &mut Terminal, partial: &str) -> String {
    complete_words(term, partial).join(" ")
}

/// Types `partial`, presses TAB, and returns the completed words, each
/// as the shell reads it back.
fn complete_words(term: &mut Terminal, partial: &str) -> Vec<String> {
    let mark = term.mark();
    term.send(&format!("{partial}\t"));
    // Bring the line back as [word] lines (Ctrl-A: to the line's start).
    term.send("\x01printf '[%s]\\n' \n");
    let text = wait_then_prompt(term, mark, "[rel]");
    let start = text.find("[rel]").expect("found");
    let mut words = Vec::new();
    for line in text[start..].lines() {
        let line = line.trim_end_matches('\r');
        match line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            Some(word) => words.push(word.to_string()),
            None => break,
        }
    }
    command(term, "");
    words
}

/// Types `partial`, asks for the list of candidates (TAB TAB), and waits
/// until each of `expect` is shown; then cancels the line.
fn list_candidates(term: &mut Terminal, partial: &str, expect: &[&str]) -> String {
    let mark = term.mark();
    term.send(&format!("{partial}\t\t"));
    let text = term.wait_for(mark, expect);
    term.send("\x03");
    command(term, "");
    text
}

/// Types `partial` TAB TAB where nothing should be offered, then checks
/// that none of `names` and no error was shown.
fn offers_nothing(term: &mut Terminal, partial: &str, names: &[&str]) {
    let mark = term.mark();
    term.send(&format!("{partial}\t\t\x03"));
    command(term, "");
    let text = term.since(mark);
    for bad in names.iter().chain(&["rel: error", "error:"]) {
        assert!(
            !text.contains(bad),
            "{partial:?} outside a store offered or said {bad:?}:\n{text}"
        );
    }
}

#[test]
fn bash_completes_colon_commands_and_revisions() {
    if !have("bash") {
        return;
    }
    let (env, dir) = setup();
    let Some(mut term) = shell(
        "bash --norc --noprofile -i",
        &env.path("app"),
        &env.path("."),
    ) else {
        return;
    };
    // bash's default COMP_WORDBREAKS holds ':': the trap this guards.
    let breaks = command(&mut term, "[[ $COMP_WORDBREAKS == *:* ]] && echo HAS_COLON");
    assert!(
        breaks
            .lines()
            .any(|l| l.contains("HAS_COLON") && !l.contains("echo")),
        "{breaks}"
    );
    command(&mut term, &format!("source {}/rel.bash", dir.display()));

    assert_eq!(
        complete_line(&mut term, "rel releases:i"),
        "rel releases:info"
    );
    assert_eq!(complete_line(&mut term, "rel config:s"), "rel config:set");
    assert_eq!(
        complete_line(&mut term, "rel addons:dow"),
        "rel addons:downgrade"
    );
    assert_eq!(
        complete_line(&mut term, "rel releases:info cur"),
        "rel releases:info current"
    );
    assert_eq!(
        complete_line(&mut term, "rel exec --release cur"),
        "rel exec --release current"
    );
    // Options after a colon command still complete.
    assert_eq!(
        complete_line(&mut term, "rel releases:info --js"),
        "rel releases:info --json"
    );

    list_candidates(
        &mut term,
        "rel releases:info ",
        &["current", "v1", "v2", "v3"],
    );
    list_candidates(&mut term, "rel rollback ", &["current", "v1", "v2", "v3"]);
    list_candidates(&mut term, "rel diff v1 ", &["current", "v1", "v2", "v3"]);

    command(&mut term, "cd ../elsewhere");
    list_candidates(&mut term, "rel -C ../app rollback ", &["v1", "v2", "v3"]);
    offers_nothing(&mut term, "rel rollback ", &["current", "v1"]);
    term.send("exit\n");
    term.finish();
}

#[test]
fn zsh_completes_colon_commands_and_revisions() {
    if !have("zsh") {
        return;
    }
    let (env, dir) = setup();
    let Some(mut term) = shell("zsh -f -i", &env.path("app"), &env.path(".")) else {
        return;
    };
    command(
        &mut term,
        &format!(
            "fpath=({} $fpath); autoload -U compinit; compinit -u -d {}/.zcompdump",
            dir.display(),
            env.path(".").display()
        ),
    );

    assert_eq!(
        complete_line(&mut term, "rel releases:i"),
        "rel releases:info"
    );
    assert_eq!(complete_line(&mut term, "rel config:s"), "rel config:set");
    assert_eq!(
        complete_line(&mut term, "rel addons:dow"),
        "rel addons:downgrade"
    );
    assert_eq!(
        complete_line(&mut term, "rel releases:info cur"),
        "rel releases:info current"
    );

    list_candidates(
        &mut term,
        "rel releases:info ",
        &["current", "v1", "v2", "v3"],
    );
    list_candidates(&mut term, "rel rollback ", &["current", "v1", "v2", "v3"]);
    list_candidates(
        &mut term,
        "rel exec --release ",
        &["current", "v1", "v2", "v3"],
    );

    command(&mut term, "cd ../elsewhere");
    list_candidates(&mut term, "rel -C ../app rollback ", &["v1", "v2", "v3"]);
    offers_nothing(&mut term, "rel rollback ", &["current", "v1"]);
    term.send("exit\n");
    term.finish();
}

/// A scratch dir with a store `app` whose current release has the config
/// vars DATABASE_URL, GREETING and REDIS_URL and the add-ons cache, db and
/// `my cache$HOME` (a name only plumbing makes, that the shell must not
/// split or expand), the completion scripts in `completions/`, and an
/// empty `elsewhere`.
fn setup_names() -> (Env, PathBuf) {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env.rel([
        "config:set",
        "GREETING=hi",
        "DATABASE_URL=postgres://db",
        "REDIS_URL=redis://cache",
    ])
    .ok();
    let slug = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    let config = env.rel(["rev-parse", "--config", "current"]).ok().line();
    let v = env
        .rel([
            "write-release",
            "--slug",
            &slug,
            "--config",
            &config,
            "--addon",
            "cache=memcachier:dev",
            "--addon",
            "db=heroku-postgresql:mini",
            "--addon",
            "my cache$HOME=memcachier:dev",
            "--change",
            "Add add-ons",
        ])
        .ok()
        .line();
    env.rel(["activate", &v]).ok();
    env.rel_in(".", ["generate", "completions", "completions"])
        .ok();
    std::fs::create_dir_all(env.path("elsewhere")).expect("mkdir");
    let dir = env.path("completions");
    (env, dir)
}

const VARS: [&str; 3] = ["DATABASE_URL", "GREETING", "REDIS_URL"];
const ODD: &str = "my cache$HOME";

/// What bash and zsh both must do with config vars and add-ons, on a
/// shell started in `app` with the completions loaded.
fn completes_store_names(term: &mut Terminal, odd_listed: &str) {
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        complete_words(term, "rel config:get GR"),
        words(&["rel", "config:get", "GREETING"])
    );
    list_candidates(term, "rel config:get ", &VARS);
    // config:unset takes many names: each later one offers the others.
    assert_eq!(
        complete_words(term, "rel config:unset GREETING DATABASE_URL "),
        words(&[
            "rel",
            "config:unset",
            "GREETING",
            "DATABASE_URL",
            "REDIS_URL"
        ])
    );
    assert_eq!(
        complete_words(term, "rel config:unset --by x D"),
        words(&["rel", "config:unset", "--by", "x", "DATABASE_URL"])
    );
    list_candidates(term, "rel addons:remove ", &["cache", "db", odd_listed]);
    // A name with a space and a '$' is inserted quoted: one word, as is.
    assert_eq!(
        complete_words(term, "rel addons:remove my"),
        words(&["rel", "addons:remove", ODD])
    );
    assert_eq!(
        complete_words(term, "rel addons:upgrade d"),
        words(&["rel", "addons:upgrade", "db"])
    );
    assert_eq!(
        complete_words(term, "rel addons:downgrade --by x --no-restart d"),
        words(&["rel", "addons:downgrade", "--by", "x", "--no-restart", "db"])
    );
    // The plan is no add-on name.
    assert_eq!(
        complete_words(term, "rel addons:upgrade db ca"),
        words(&["rel", "addons:upgrade", "db", "ca"])
    );

    command(term, "cd ../elsewhere");
    list_candidates(term, "rel -C ../app config:get ", &VARS);
    assert_eq!(
        complete_words(term, "rel -C ../app addons:downgrade d"),
        words(&["rel", "-C", "../app", "addons:downgrade", "db"])
    );
    let names = ["DATABASE_URL", "GREETING", "REDIS_URL", "cache", "db", "my"];
    offers_nothing(term, "rel config:get ", &names);
    offers_nothing(term, "rel config:unset ", &names);
    offers_nothing(term, "rel addons:remove ", &names);
    offers_nothing(term, "rel addons:upgrade ", &names);
}

#[test]
fn bash_completes_config_vars_and_addons() {
    if !have("bash") {
        return;
    }
    let (env, dir) = setup_names();
    let Some(mut term) = shell(
        "bash --norc --noprofile -i",
        &env.path("app"),
        &env.path("."),
    ) else {
        return;
    };
    command(&mut term, &format!("source {}/rel.bash", dir.display()));
    completes_store_names(&mut term, "my\\ cache\\$HOME");
    term.send("exit\n");
    term.finish();
}

#[test]
fn zsh_completes_config_vars_and_addons() {
    if !have("zsh") {
        return;
    }
    let (env, dir) = setup_names();
    let Some(mut term) = shell("zsh -f -i", &env.path("app"), &env.path(".")) else {
        return;
    };
    command(
        &mut term,
        &format!(
            "fpath=({} $fpath); autoload -U compinit; compinit -u -d {}/.zcompdump",
            dir.display(),
            env.path(".").display()
        ),
    );
    completes_store_names(&mut term, ODD);
    term.send("exit\n");
    term.finish();
}

/// fish completes without a terminal: `complete -C LINE` prints what TAB
/// would offer, one `candidate<TAB>description` a line.
fn fish_complete(env: &Env, dir: &Path, cwd: &str, line: &str) -> Vec<String> {
    let script = format!(
        "source {}/rel.fish; complete -C {}",
        dir.display(),
        shell_quote(line)
    );
    let out = std::process::Command::new("fish")
        .args(["--no-config", "-c", &script])
        .current_dir(env.path(cwd))
        .env("PATH", path_with_rel())
        .env("HOME", env.path("."))
        .env("XDG_CONFIG_HOME", env.path(".config"))
        .env("XDG_DATA_HOME", env.path(".local"))
        .env_remove("REL_DIR")
        .output()
        .expect("run fish");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.trim().is_empty(),
        "fish complained loading the completions:\n{stderr}"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect()
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn fish_completes_colon_commands_and_revisions() {
    if !have("fish") {
        return;
    }
    let (env, dir) = setup();
    let c = |cwd: &str, line: &str| fish_complete(&env, &dir, cwd, line);
    assert_eq!(c("app", "rel releases:i"), ["releases:info"]);
    assert_eq!(c("app", "rel config:s"), ["config:set"]);
    for line in [
        "rel releases:info ",
        "rel rollback ",
        "rel exec --release ",
        "rel diff v1 ",
    ] {
        let got = c("app", line);
        for want in ["current", "v1", "v2", "v3"] {
            assert!(got.iter().any(|g| g == want), "{line:?} offered {got:?}");
        }
    }
    let got = c("elsewhere", "rel -C ../app rollback ");
    assert!(got.iter().any(|g| g == "v3"), "with -C: {got:?}");
    assert_eq!(c("elsewhere", "rel rollback "), Vec::<String>::new());
}

#[test]
fn fish_completes_config_vars_and_addons() {
    if !have("fish") {
        return;
    }
    let (env, dir) = setup_names();
    let c = |cwd: &str, line: &str| fish_complete(&env, &dir, cwd, line);
    assert_eq!(c("app", "rel config:get "), VARS);
    assert_eq!(c("app", "rel config:get G"), ["GREETING"]);
    assert_eq!(
        c("app", "rel config:unset GREETING --by x "),
        ["DATABASE_URL", "REDIS_URL"]
    );
    assert_eq!(
        c("app", "rel config:unset GREETING DATABASE_URL "),
        ["REDIS_URL"]
    );
    assert_eq!(c("app", "rel addons:remove "), ["cache", "db", ODD]);
    assert_eq!(c("app", "rel addons:remove my"), [ODD]);
    assert_eq!(c("app", "rel addons:upgrade "), ["cache", "db", ODD]);
    assert_eq!(c("app", "rel addons:downgrade --by x d"), ["db"]);
    // The plan is no add-on name.
    let plan = c("app", "rel addons:upgrade db ");
    assert!(!plan.iter().any(|p| p == "cache"), "{plan:?}");
    assert_eq!(c("elsewhere", "rel -C ../app config:get R"), ["REDIS_URL"]);
    assert_eq!(c("elsewhere", "rel -C ../app addons:remove c"), ["cache"]);
    for line in [
        "rel config:get ",
        "rel config:unset ",
        "rel addons:remove ",
        "rel addons:upgrade ",
    ] {
        assert_eq!(c("elsewhere", line), Vec::<String>::new(), "{line:?}");
    }
}

/// The helpers the scripts call: the current release's names, one a line;
/// nothing, silently, outside a store or before the first release.
#[test]
fn the_config_var_and_addon_helpers() {
    let (env, _) = setup_names();
    let names = |cwd: &str, args: &[&str]| {
        let out = env.rel_in(cwd, args).ok();
        assert_eq!(out.stderr, "", "{args:?}");
        out.stdout
    };
    assert_eq!(
        names("app", &["__complete-config-vars"]),
        "DATABASE_URL\nGREETING\nREDIS_URL\n"
    );
    assert_eq!(
        names("app", &["__complete-addons"]),
        "cache\tmemcachier:dev\ndb\theroku-postgresql:mini\nmy cache$HOME\tmemcachier:dev\n"
    );
    assert_eq!(
        names("elsewhere", &["-C", "../app", "__complete-config-vars"]),
        "DATABASE_URL\nGREETING\nREDIS_URL\n"
    );
    env.rel_in(".", ["init", "empty"]).ok();
    for cwd in ["elsewhere", "empty"] {
        for helper in ["__complete-config-vars", "__complete-addons"] {
            assert_eq!(names(cwd, &[helper]), "", "{helper} in {cwd}");
        }
    }
}

#[test]
fn the_revision_helper_is_silent_outside_a_store() {
    let (env, _) = setup();
    let out = env.rel_in("elsewhere", ["__complete-revisions"]).ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
    let out = env.rel_in("app", ["__complete-revisions"]).ok();
    let names: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or(""))
        .collect();
    assert_eq!(names, ["current", "v3", "v2", "v1"]);
    let out = env
        .rel_in("elsewhere", ["-C", "../app", "__complete-revisions"])
        .ok();
    assert!(out.stdout.starts_with("current\tv3\n"), "{out:#?}");
}

#[test]
fn the_revision_helper_is_in_no_help_and_no_script() {
    let (env, dir) = setup();
    let help = env.rel(["--help"]).ok().stdout;
    assert!(!help.contains("__complete"), "{help}");
    for script in ["rel.bash", "_rel", "rel.fish"] {
        let text = std::fs::read_to_string(dir.join(script)).expect("read");
        // Called by the scripts, never offered as a command.
        for helper in [
            "__complete-revisions",
            "__complete-config-vars",
            "__complete-addons",
        ] {
            assert!(
                !text.contains(&format!("\"{helper}\"")) && !text.contains(&format!("'{helper}:")),
                "{script} offers {helper}"
            );
        }
    }
}
