//! `rel exec`: the program replaces rel (same pid, its exit status and
//! signals), runs in the release's checkout with its config vars and REL_*.

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use crate::common::Env;
use crate::porcelain::deployed;

#[test]
fn exit_status_is_the_programs() {
    let env = Env::new();
    deployed(&env);
    let run = env.rel(["exec", "--", "sh", "-c", "exit 7"]).code(7);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    env.rel(["exec", "--", "true"]).ok();
    // Without -- too: arguments that look like options are the program's.
    let run = env
        .rel(["exec", "sh", "-c", "echo \"$0 $1\"", "-x", "--json"])
        .ok();
    assert_eq!(run.stdout, "-x --json\n");
}

#[test]
fn the_program_replaces_rel_and_its_signals_are_its_own() {
    let env = Env::new();
    deployed(&env);
    let child = env
        .cmd_in("app")
        .args(["exec", "--", "sh", "-c", "echo $$"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        pid.to_string()
    );

    let status = env
        .cmd_in("app")
        .args(["exec", "--", "sh", "-c", "kill -TERM $$"])
        .status()
        .unwrap();
    const SIGTERM: i32 = 15;
    assert_eq!(status.signal(), Some(SIGTERM), "{status:?}");
}

#[test]
fn runs_in_the_checkout_with_config_vars_and_rel_vars() {
    let env = Env::new();
    deployed(&env);
    env.rel(["config:set", "MYVAR=42", "ML=a\nb"]).ok();
    let slug = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    let run = env
        .rel([
            "exec",
            "--",
            "sh",
            "-c",
            "pwd; cat index.html; echo; echo \"$MYVAR|$ML|$REL_VERSION|$REL_APP|$REL_SLUG|$REL_BY\"",
        ])
        .ok();
    assert_eq!(
        crate::porcelain::redact(&env, &run.stdout),
        format!(
            "[ROOT]/app/.releases/checkouts/{slug}\none\n42|a\nb|v2|myapp|{slug}|tester@example.com\n"
        )
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn release_picks_another_release() {
    let env = Env::new();
    deployed(&env);
    env.rel(["config:set", "A=1"]).ok();
    env.source("src2", "two");
    env.rel(["deploy", "../src2"]).ok();
    env.rel(["config:set", "A=3"]).ok();
    let script = [
        "exec",
        "--release",
        "v2",
        "--",
        "sh",
        "-c",
        "echo \"$(cat index.html) $A $REL_VERSION\"",
    ];
    assert_eq!(env.rel(script).ok().stdout, "one 1 v2\n");
    assert_eq!(
        env.rel([
            "exec",
            "--release",
            "current~1",
            "--",
            "sh",
            "-c",
            "echo \"$(cat index.html) $A\""
        ])
        .ok()
        .stdout,
        "two 1\n"
    );
    assert_eq!(
        env.rel(["exec", "--", "sh", "-c", "echo \"$(cat index.html) $A\""])
            .ok()
            .stdout,
        "two 3\n"
    );
}

#[test]
fn refusals_are_one_line() {
    let env = Env::new();
    env.init();
    env.rel(["exec", "--", "true"])
        .fails_with("no release is current yet");
    env.rel(["config:set", "A=1"]).ok();
    env.rel(["exec", "--", "true"])
        .fails_with("v1 has no slug: deploy first (rel deploy DIR)");
    env.source("src", "one");
    env.rel(["deploy", "../src"]).ok();
    env.rel(["exec", "--release", "v9", "--", "true"])
        .fails_with("unknown revision 'v9'");
    env.rel(["exec", "--", "./no-such-program"])
        .fails_with("could not run './no-such-program'");
    env.rel(["exec"]).code(2);
}

#[test]
fn a_program_not_found_exits_127_and_one_not_runnable_126() {
    let env = Env::new();
    deployed(&env);
    // As shells: 127 when there is no such program, 126 when it cannot run.
    for program in ["nosuchcmd", "./no-such-program", "bin/nope"] {
        let run = env.rel(["exec", "--", program]).code(127);
        assert_eq!(
            run.stderr,
            format!(
                "rel: error: could not run '{program}': no such program; name a program in the release's checkout (as bin/web) or on PATH\n"
            )
        );
        assert_eq!(run.stdout, "");
    }
    // index.html is in the checkout, but not executable.
    let run = env.rel(["exec", "--", "./index.html"]).code(126);
    assert!(
        run.stderr
            .starts_with("rel: error: could not run './index.html': Permission denied"),
        "{run:#?}"
    );
    env.rel(["exec", "--", "./lib"]).code(126);
}

#[test]
fn pwd_is_the_checkout() {
    let env = Env::new();
    deployed(&env);
    let slug = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    // printenv, not a shell: a shell resets a PWD that is not its directory.
    let run = env
        .cmd_in("app")
        .env("PWD", "/somewhere/else")
        .args(["exec", "--", "printenv", "PWD"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    assert_eq!(
        crate::porcelain::redact(&env, &String::from_utf8_lossy(&run.stdout)),
        format!("[ROOT]/app/.releases/checkouts/{slug}\n")
    );
}

#[test]
fn exec_materialises_a_missing_checkout() {
    let env = Env::new();
    deployed(&env);
    let slug = env.rel(["rev-parse", "--slug", "current"]).ok().line();
    let checkout = env.path(&format!("app/.releases/checkouts/{slug}"));
    crate::porcelain::sh(
        &format!("chmod -R u+w '{0}' && rm -rf '{0}'", checkout.display()),
        &env.path("."),
    );
    let run = env.rel(["exec", "--", "cat", "index.html"]).ok();
    assert_eq!(run.stdout, "one");
}
