//! What rel writes besides data: with stderr not a terminal, only the
//! documented status lines (and nothing with -q); on a terminal, progress
//! on stderr and never on stdout; no colour with NO_COLOR.

use crate::common::{Env, have};
use crate::terminal::{has_colour, run_on_terminal};

/// A store with one deploy of a small source.
fn deployed() -> Env {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env
}

/// Lines of stderr, without the trailing newline.
fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

/// No carriage return, no escape sequence: nothing drawn.
#[track_caller]
fn plain(text: &str) {
    assert!(
        !text.contains('\r') && !text.contains('\x1b'),
        "terminal drawing in {text:?}"
    );
}

#[test]
fn deploy_writes_only_its_status_lines_when_stderr_is_not_a_terminal() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let run = env.rel(["deploy", "../src"]).ok();
    assert_eq!(run.stdout, "");
    plain(&run.stderr);
    let got = lines(&run.stderr);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0].starts_with("-----> Compressing... done, "),
        "{got:?}"
    );
    assert_eq!(got[1], "-----> Launching... done, v1");

    // From a tar stream too.
    let tar = std::process::Command::new("tar")
        .args(["-C", env.path("src").to_str().expect("utf-8"), "-c", "."])
        .output()
        .expect("tar");
    env.write("src/index.html", "two");
    let tar2 = std::process::Command::new("tar")
        .args(["-C", env.path("src").to_str().expect("utf-8"), "-c", "."])
        .output()
        .expect("tar");
    assert_ne!(tar.stdout, tar2.stdout);
    let run = env.rel_stdin(["deploy", "-"], &tar2.stdout).ok();
    assert_eq!(run.stdout, "");
    plain(&run.stderr);
    assert_eq!(lines(&run.stderr).len(), 2, "{run:#?}");
}

#[test]
fn plumbing_with_progress_writes_no_progress_when_stderr_is_not_a_terminal() {
    let env = deployed();
    let run = env.rel(["write-slug", "../src"]).ok();
    assert_eq!(run.stderr, "");
    assert_eq!(run.stdout.trim().len(), 64);

    let run = env.rel(["checkout-slug", "current", "../out"]).ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));

    let run = env.rel(["fsck"]).ok();
    assert_eq!(run.stdout, "");
    plain(&run.stderr);
    assert_eq!(lines(&run.stderr).len(), 1, "{run:#?}");
    assert!(run.stderr.starts_with("checked "), "{run:#?}");

    let run = env.rel(["gc", "--keep", "1", "--grace", "0s"]).ok();
    assert_eq!(run.stdout, "");
    plain(&run.stderr);
    assert_eq!(lines(&run.stderr).len(), 1, "{run:#?}");
    assert!(run.stderr.starts_with("Deleted "), "{run:#?}");
}

#[test]
fn quiet_silences_every_porcelain_status_line() {
    let env = Env::new();
    env.rel_in(".", ["-q", "init", "app", "--name", "myapp"])
        .ok();
    env.source("src", "one");
    let quiet = |args: &[&str]| {
        let mut all = vec!["-q"];
        all.extend_from_slice(args);
        let run = env.rel(&all);
        assert_eq!(run.stderr, "", "rel {all:?} wrote on stderr: {run:#?}");
        run
    };
    quiet(&["deploy", "../src"]).ok();
    quiet(&["deploy", "../src"]).ok(); // nothing to deploy
    env.write("src/index.html", "two");
    quiet(&["deploy", "../src", "--commit", "0123456789abcdef"]).ok();
    quiet(&["config:set", "A=1", "B=2"]).ok();
    quiet(&["config:set", "A=1"]).ok(); // no change
    quiet(&["config:unset", "B"]).ok();
    quiet(&["config:unset", "B"]).ok(); // no change
    quiet(&["addons:add", "memcachier:dev", "--config", "MC=x"]).ok();
    quiet(&["addons:upgrade", "memcachier", "100"]).ok();
    quiet(&["addons:downgrade", "memcachier", "dev"]).ok();
    quiet(&["addons:remove", "memcachier"]).ok();
    quiet(&["rollback", "v4"]).ok();
    quiet(&["activate", "current"]).ok();
    quiet(&["releases:output", "v1"]).ok();
    quiet(&["fsck"]).ok();
    quiet(&["gc", "--keep", "1"]).ok();
    // The global option goes after the command too.
    let run = env.rel(["config:set", "C=3", "-q"]).ok();
    assert_eq!(run.stderr, "");
    // Data still comes out.
    assert_eq!(quiet(&["config:get", "C"]).ok().stdout, "3\n");
}

#[test]
fn quiet_keeps_errors_and_the_hook_output() {
    let env = Env::new();
    env.init();
    env.source("src", "one");
    env.hook("release", "#!/bin/sh\necho from-the-hook\nexit 3\n");
    let run = env.rel(["-q", "deploy", "../src"]).code(1);
    assert!(run.stderr.contains("from-the-hook"), "{run:#?}");
    assert!(run.stderr.contains("rel: error: v1 failed"), "{run:#?}");
}

/// The rel under test, quoted for a shell command line.
fn rel() -> String {
    format!("'{}'", env!("CARGO_BIN_EXE_rel"))
}

#[test]
fn on_a_terminal_progress_goes_to_stderr_and_never_to_stdout() {
    if !have("script") {
        return;
    }
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let app = env.path("app");
    let env_vars = [("REL_BY", "tester"), ("REL_DATE", crate::common::DATE)];

    // stderr on the terminal, stdout to a file.
    let Some(screen) = run_on_terminal(
        &format!("{} write-slug ../src >../id.txt", rel()),
        &app,
        &env_vars,
    ) else {
        return;
    };
    assert!(screen.contains("Hashing"), "no progress shown: {screen:?}");
    let id = std::fs::read_to_string(env.path("id.txt")).expect("id");
    assert_eq!(id.len(), 65, "stdout holds more than the id: {id:?}");

    // stdout on the terminal, stderr to a file: stdout shows nothing but
    // the result, and the file gets no drawing.
    let screen = run_on_terminal(
        &format!("{} deploy ../src 2>../err.txt", rel()),
        &app,
        &env_vars,
    )
    .expect("script");
    assert_eq!(screen, "", "deploy wrote on stdout");
    let err = std::fs::read_to_string(env.path("err.txt")).expect("err");
    plain(&err);
    assert_eq!(err.lines().count(), 2, "{err:?}");

    // Both on the terminal: progress for the checkout, then status lines,
    // and the bars are cleared (the status lines are left).
    env.write("src/index.html", "two");
    let screen =
        run_on_terminal(&format!("{} deploy ../src", rel()), &app, &env_vars).expect("script");
    assert!(screen.contains("Checking out"), "{screen:?}");
    assert!(
        screen.contains("-----> Launching... done, v2"),
        "{screen:?}"
    );
    let screen = run_on_terminal(&format!("{} fsck", rel()), &app, &env_vars).expect("script");
    assert!(screen.contains("Verifying objects"), "{screen:?}");

    // -q: no progress either.
    env.write("src/index.html", "three");
    let screen =
        run_on_terminal(&format!("{} -q deploy ../src", rel()), &app, &env_vars).expect("script");
    assert_eq!(screen, "", "-q drew on the terminal");
}

#[test]
fn no_color_means_no_colour_codes_on_a_terminal() {
    if !have("script") {
        return;
    }
    let env = Env::new();
    env.init();
    env.source("src", "one");
    let app = env.path("app");
    // Help is coloured on a terminal, unless NO_COLOR is set.
    let Some(coloured) = run_on_terminal(&format!("{} --help", rel()), &app, &[]) else {
        return;
    };
    assert!(
        has_colour(&coloured),
        "expected colour without NO_COLOR (else this test proves nothing): {coloured:?}"
    );
    let no_color = [("NO_COLOR", "1"), ("REL_BY", "tester")];
    for command in [
        format!("{} frobnicate", rel()),
        format!("{} releases:info --bogus", rel()),
        format!("{} deploy ../src", rel()),
        format!("{} fsck", rel()),
        format!("{} releases", rel()),
        format!("{} --help", rel()),
    ] {
        let screen = run_on_terminal(&command, &app, &no_color).expect("script");
        assert!(!has_colour(&screen), "{command}: {screen:?}");
    }
}
