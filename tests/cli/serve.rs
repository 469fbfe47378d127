//! rel serve: the forced command of a deploy key, through the binary with
//! SSH_ORIGINAL_COMMAND set as sshd sets it.

use crate::common::{Env, Run, run};

fn serve(env: &Env, dirs: &[&str], request: &str) -> Run {
    let mut cmd = env.cmd_in(".");
    cmd.arg("serve");
    for d in dirs {
        cmd.arg(env.path(d));
    }
    cmd.env("SSH_ORIGINAL_COMMAND", request);
    run(&mut cmd, None)
}

fn app(env: &Env) -> String {
    env.init();
    env.source("src", "x\n");
    env.rel(["deploy", "../src"]).ok();
    env.path("app").display().to_string()
}

#[test]
fn serves_reads_and_push_plumbing_under_its_directories() {
    let env = Env::new();
    let app = app(&env);
    let run = serve(&env, &["app"], &format!("rel -C {app}/.releases releases")).ok();
    assert!(
        run.stdout.starts_with("=== myapp Releases - Current: v1"),
        "{run:#?}"
    );
    // Any path names rel; quoting is a shell's; the space form of a group works.
    let run = serve(
        &env,
        &["."],
        &format!("/usr/local/bin/rel -C '{app}' releases info \"v1\""),
    )
    .ok();
    assert!(run.stdout.contains("=== Release v1"), "{run:#?}");
    let run = serve(
        &env,
        &["app"],
        &format!("rel -C {app}/.releases rev-parse current"),
    )
    .ok();
    assert_eq!(run.stdout, "v1\n");
    // REL_DIR cannot point it elsewhere.
    let mut cmd = env.cmd_in(".");
    cmd.args(["serve", &app])
        .env("SSH_ORIGINAL_COMMAND", format!("rel -C {app} status"))
        .env("REL_DIR", "/nonexistent/.releases");
    crate::common::run(&mut cmd, None).ok();
}

#[test]
fn refuses_everything_else_with_one_line() {
    let env = Env::new();
    let app = app(&env);
    env.rel_in(".", ["init", "other"]).ok();
    let other = env.path("other").display().to_string();
    let before = env.rel(["releases"]).ok().stdout;
    for (request, why) in [
        (String::new(), "no command was given"),
        (
            "sh -c id".to_string(),
            "only 'rel -C PATH COMMAND ARGS' is served",
        ),
        (
            format!("rel -C {other} releases"),
            "is not an app directory this key may use",
        ),
        (
            format!("rel -C {app}/.. releases"),
            "is not an app directory this key may use",
        ),
        (
            format!("rel -C {app} deploy /tmp"),
            "'deploy' is not served",
        ),
        (
            format!("rel -C {app} config:set A=1"),
            "'config:set' is not served",
        ),
        (format!("rel -C {app} exec -- id"), "'exec' is not served"),
        (
            format!("rel -C {app} read-config current"),
            "'read-config' is not served",
        ),
        (
            format!("rel -C {app} generate man /tmp/x"),
            "'generate' is not served",
        ),
        (format!("rel -C {app} serve /"), "'serve' is not served"),
        (format!("rel -C {app} releases -C {other}"), "with one -C"),
        (format!("rel -C {app} releases; id"), "';' is shell syntax"),
        (format!("rel -C {app} releases | id"), "'|' is shell syntax"),
        (
            format!("rel -C {app} releases $(id)"),
            "'$' is shell syntax",
        ),
        (
            format!("rel -C {app} releases > /tmp/x"),
            "'>' is shell syntax",
        ),
        (format!("rel -C {app} --nope"), "--nope"),
    ] {
        let run = serve(&env, &["app"], &request).code(1);
        assert!(
            run.stderr.starts_with("rel: error: rel serve refused ")
                && run.stderr.contains(why)
                && run.stderr.lines().count() == 1
                && run.stdout.is_empty(),
            "{request:?}: {run:#?}"
        );
    }
    assert_eq!(env.rel(["releases"]).ok().stdout, before);
    assert!(!env.path("other/.releases/CURRENT").exists());
}
