//! rel push over a real OpenSSH server on 127.0.0.1, started by each test
//! (`sshd -D -f CONFIG` on a free port, with throwaway host and client
//! keys), with stores in the scratch directory playing the hosts; and
//! rel serve as the forced command of a deploy key.

use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Env, Run, set_mode};

const SSHD: &str = "/usr/sbin/sshd";
const COMMIT: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";

/// A running sshd, killed when dropped.
struct Sshd {
    child: Child,
    port: u16,
    /// The client key with a shell, and the one whose line forces rel serve.
    key: PathBuf,
    serve_key: PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    /// `--ssh` for one of the keys.
    fn ssh(&self, key: &Path) -> String {
        format!(
            "ssh -F /dev/null -p {} -i {} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
            self.port,
            key.display()
        )
    }
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("run ssh-keygen")
        .success();
    assert!(ok, "ssh-keygen failed");
}

/// Starts sshd for this user, or None (with a message) where there is no
/// sshd; under CI a missing sshd fails the test instead.
fn sshd(env: &Env, serve_dirs: &str) -> Option<Sshd> {
    let have =
        Path::new(SSHD).exists() && ["ssh", "ssh-keygen"].iter().all(|t| crate::common::have(t));
    if !have {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI has no OpenSSH server ({SSHD}) or client: install openssh-server and openssh-client"
        );
        crate::common::skip(
            &format!("OpenSSH server ({SSHD}) or client is not installed"),
            false,
        );
        return None;
    }
    let dir = env.path("sshd");
    fs::create_dir_all(&dir).expect("mkdir");
    set_mode(&dir, 0o700);
    let (host, key, serve_key) = (dir.join("host"), dir.join("key"), dir.join("serve_key"));
    for k in [&host, &key, &serve_key] {
        keygen(k);
    }
    let public = |k: &Path| {
        fs::read_to_string(k.with_extension("pub"))
            .expect("public key")
            .trim()
            .to_string()
    };
    let authorized = format!(
        "{}\ncommand=\"{} serve {serve_dirs}\",restrict {}\n",
        public(&key),
        env!("CARGO_BIN_EXE_rel"),
        public(&serve_key)
    );
    fs::write(dir.join("authorized_keys"), authorized).expect("write");
    // Privilege separation needs this directory, as root.
    let _ = fs::create_dir_all("/run/sshd");
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("addr")
        .port();
    let config = dir.join("sshd_config");
    fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
             PidFile none\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\nLogLevel ERROR\n",
            host.display(),
            dir.join("authorized_keys").display()
        ),
    )
    .expect("write");
    let child = Command::new(SSHD)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sshd");
    let mut sshd = Sshd {
        child,
        port,
        key,
        serve_key,
    };
    // Wait until it listens (a bound on a hang, not a timing).
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = sshd.child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = sshd.child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("sshd exited ({status}): {err}");
        }
        assert!(Instant::now() < deadline, "sshd did not listen on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(sshd)
}

/// `app` (myapp) with a deploy and a config var, and empty stores `dests`.
fn staging_and(env: &Env, dests: &[&str]) {
    env.init();
    env.source("src", "hello from staging\n");
    env.rel(["deploy", "../src", "--commit", COMMIT]).ok();
    env.rel(["config:set", "STAGE=staging"]).ok();
    for dest in dests {
        env.rel_in(".", ["init", dest, "--name", dest]).ok();
    }
}

/// `127.0.0.1:/scratch/NAME`.
fn remote(env: &Env, name: &str) -> String {
    format!("127.0.0.1:{}", env.path(name).display())
}

/// `rel push` from `app` with `--ssh` and `--rel` set.
fn push(env: &Env, sshd: &Sshd, key: &Path, args: &[&str]) -> Run {
    let mut cmd = env.cmd_in("app");
    cmd.arg("push")
        .args(args)
        .args(["--ssh", &sshd.ssh(key), "--rel", env!("CARGO_BIN_EXE_rel")]);
    crate::common::run(&mut cmd, None)
}

fn current_json(env: &Env, dir: &str) -> serde_json::Value {
    let out = env
        .rel_in(dir, ["show-release", "current", "--json"])
        .ok()
        .stdout;
    serde_json::from_str(&out).expect("json")
}

#[test]
fn push_over_ssh_promotes_to_two_hosts_and_then_sends_nothing() {
    let env = Env::new();
    staging_and(&env, &["web1", "web2"]);
    let Some(sshd) = sshd(&env, &env.dir.path().display().to_string()) else {
        return;
    };
    env.rel_in("web2", ["config:set", "OWN=web2"]).ok();
    let (web1, web2) = (remote(&env, "web1"), remote(&env, "web2"));
    let run = push(&env, &sshd, &sshd.key, &[&web1, &web2]).ok();
    assert_eq!(run.stdout, format!("{web1} v1\n{web2} v2\n"), "{run:#?}");
    for (dir, v, config) in [("web1", 1, ""), ("web2", 2, "OWN=web2\n")] {
        let now = current_json(&env, dir);
        assert_eq!(now["version"], v, "{dir}");
        assert_eq!(now["change"], "Promote 0f1e2d3 from myapp v2", "{dir}");
        assert_eq!(now["commit"], COMMIT, "{dir}");
        assert_eq!(
            env.rel_in(dir, ["read-config", "current"]).ok().stdout,
            config
        );
        assert_eq!(
            fs::read_to_string(env.path(&format!("{dir}/current/index.html"))).expect("file"),
            "hello from staging\n"
        );
        env.rel_in(dir, ["fsck"]).ok();
    }
    let again = push(&env, &sshd, &sshd.key, &[&web1, &web2]).ok();
    assert_eq!(again.stdout, run.stdout);
    assert_eq!(
        again.stderr.matches("nothing sent").count(),
        2,
        "{again:#?}"
    );

    // --with-config sends the vars over the connection.
    push(&env, &sshd, &sshd.key, &[&web1, "--with-config"]).ok();
    assert_eq!(
        env.rel_in("web1", ["read-config", "current"]).ok().stdout,
        "STAGE=staging\n"
    );
}

#[test]
fn a_deploy_key_forced_to_rel_serve_can_push_and_read_and_nothing_else() {
    let env = Env::new();
    staging_and(&env, &["web1", "other"]);
    let Some(sshd) = sshd(&env, &env.path("web1").display().to_string()) else {
        return;
    };
    let web1 = remote(&env, "web1");
    let run = push(&env, &sshd, &sshd.serve_key, &[&web1]).ok();
    assert_eq!(run.stdout, format!("{web1} v1\n"));
    // Reads work; anything else is refused in one line.
    let ssh = |request: &str| {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("{} 127.0.0.1 \"$1\"", sshd.ssh(&sshd.serve_key)))
            .arg("sh")
            .arg(request);
        crate::common::run(&mut cmd, None)
    };
    let releases = ssh(&format!("rel -C {} releases", env.path("web1").display())).ok();
    assert!(
        releases.stdout.contains("Promote 0f1e2d3 from myapp v2"),
        "{releases:#?}"
    );
    for request in [
        "id".to_string(),
        format!("rel -C {} releases", env.path("other").display()),
        format!("rel -C {} config:set A=1", env.path("web1").display()),
        format!("rel -C {} releases; id", env.path("web1").display()),
    ] {
        let run = ssh(&request).code(1);
        assert!(
            run.stderr.starts_with("rel: error: rel serve refused")
                && run.stderr.lines().count() == 1,
            "{request}: {run:#?}"
        );
    }
    // A push to a directory the key may not use is refused, and named.
    let other = remote(&env, "other");
    let run = push(&env, &sshd, &sshd.serve_key, &[&other]).code(1);
    assert!(
        run.stderr.contains(&format!(
            "rel: error: push to {other} failed: rel serve refused"
        )),
        "{run:#?}"
    );
    assert!(!env.path("other/.releases/CURRENT").exists());
}

#[test]
fn an_unreachable_host_a_host_without_rel_or_without_a_store_activates_none() {
    let env = Env::new();
    staging_and(&env, &["web1"]);
    let Some(sshd) = sshd(&env, "/") else {
        return;
    };
    let web1 = remote(&env, "web1");
    let quiet_push = |extra: &[&str], rel: &str| {
        let mut cmd = env.cmd_in("app");
        cmd.args(["-q", "push", &web1]).args(extra).args([
            "--ssh",
            &sshd.ssh(&sshd.key),
            "--rel",
            rel,
        ]);
        crate::common::run(&mut cmd, None)
    };
    // Unreachable: a port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut cmd = env.cmd_in("app");
    cmd.args(["-q", "push", &web1, "--rel", env!("CARGO_BIN_EXE_rel")])
        .env(
            "REL_SSH",
            sshd.ssh(&sshd.key)
                .replace(&format!("-p {}", sshd.port), &format!("-p {closed}")),
        );
    crate::common::run(&mut cmd, None)
        .code(1)
        .fails_with(&format!("could not reach 127.0.0.1 for {web1}"));
    // No rel there.
    quiet_push(&[], "/nonexistent/rel")
        .code(1)
        .fails_with("127.0.0.1 has no '/nonexistent/rel' to run");
    // No store there.
    let nostore = remote(&env, "nostore");
    let mut cmd = env.cmd_in("app");
    cmd.args(["-q", "push", &web1, &nostore]).args([
        "--ssh",
        &sshd.ssh(&sshd.key),
        "--rel",
        env!("CARGO_BIN_EXE_rel"),
    ]);
    crate::common::run(&mut cmd, None)
        .code(1)
        .fails_with(&format!(
            "{nostore} has no rel store; make one with 'ssh 127.0.0.1 rel init {}'",
            env.path("nostore").display()
        ));
    assert!(!env.path("web1/.releases/CURRENT").exists());
}

#[test]
fn ssh_killed_mid_transfer_leaves_no_release_and_the_next_push_completes() {
    let env = Env::new();
    staging_and(&env, &["web1"]);
    let Some(sshd) = sshd(&env, "/") else {
        return;
    };
    // Big enough that the pack is cut inside an object.
    let big: String = (0..50_000).map(|i| format!("{i:x} ")).collect();
    env.write("src/big.txt", &big);
    env.rel(["deploy", "../src"]).ok();
    let web1 = remote(&env, "web1");
    // An ssh that passes on 2000 bytes of the pack, then dies.
    let killer = env.write(
        "killer-ssh",
        &format!(
            "#!/bin/sh\ncase \"$*\" in\n*receive-pack*) head -c 2000 | {} \"$@\"; kill -9 $$ ;;\n*) exec {} \"$@\" ;;\nesac\n",
            sshd.ssh(&sshd.key),
            sshd.ssh(&sshd.key)
        ),
    );
    set_mode(&killer, 0o755);
    let mut cmd = env.cmd_in("app");
    cmd.args(["-q", "push", &web1]).args([
        "--ssh",
        &killer.display().to_string(),
        "--rel",
        env!("CARGO_BIN_EXE_rel"),
    ]);
    let run = crate::common::run(&mut cmd, None).code(1);
    assert!(
        run.stderr.contains(&format!("push to {web1} failed"))
            && run.stderr.contains("cut short")
            && run.stderr.contains("nothing was stored"),
        "{run:#?}"
    );
    assert!(!env.path("web1/.releases/CURRENT").exists());
    assert!(!env.path("web1/.releases/releases/v1.toml").exists());
    assert!(
        !env.path("web1/.releases/objects/pack").exists()
            || fs::read_dir(env.path("web1/.releases/objects/pack"))
                .expect("pack dir")
                .next()
                .is_none(),
        "objects were published"
    );
    env.rel_in("web1", ["fsck"]).ok();
    let run = push(&env, &sshd, &sshd.key, &[&web1]).ok();
    assert_eq!(run.stdout, format!("{web1} v1\n"));
    assert_eq!(
        fs::read_to_string(env.path("web1/current/big.txt")).expect("file"),
        big
    );
    let tmp: Vec<_> = fs::read_dir(env.path("web1/.releases/tmp"))
        .expect("tmp")
        .collect();
    assert!(tmp.is_empty(), "{tmp:?}");
}

#[test]
fn the_sender_killed_before_any_step_leaves_every_host_whole_and_the_next_push_completes() {
    use std::os::unix::process::CommandExt;
    let env = Env::new();
    staging_and(&env, &[]);
    let Some(sshd) = sshd(&env, "/") else {
        return;
    };
    let hosts = ["web1", "web2"];
    let dests: Vec<String> = hosts.iter().map(|h| remote(&env, h)).collect();
    // An ssh that kills rel push (its whole process group) at its Kth
    // request; with --jobs 1 the requests come in one order: per host
    // show-release, missing-objects, receive-pack, write-release, then
    // the two activations. Killed at the 3rd (a pack on its way) and at
    // the 10th (one host switched, the other not).
    let killer = env.write(
        "killer-ssh",
        &format!(
            "#!/bin/sh\nn=$(( $(cat \"$COUNT\") + 1 ))\necho $n >\"$COUNT\"\n\
             [ \"$n\" = \"$KILL_AT\" ] && kill -9 0\nexec {} \"$@\"\n",
            sshd.ssh(&sshd.key)
        ),
    );
    set_mode(&killer, 0o755);
    let count = env.path("count");
    for kill_at in [3, 10] {
        for host in hosts {
            let _ = fs::remove_dir_all(env.path(host));
            env.rel_in(".", ["init", host]).ok();
        }
        // Each host runs an older release of its own first.
        for host in hosts {
            env.source(&format!("old-{host}"), "old\n");
            env.rel_in(host, ["deploy", &format!("../old-{host}")]).ok();
        }
        fs::write(&count, "0").expect("write");
        let mut cmd = env.cmd_in("app");
        cmd.args(["-q", "push", "--jobs", "1"])
            .args(&dests)
            .args([
                "--ssh",
                &killer.display().to_string(),
                "--rel",
                env!("CARGO_BIN_EXE_rel"),
            ])
            .env("COUNT", &count)
            .env("KILL_AT", kill_at.to_string())
            .process_group(0);
        let run = crate::common::run(&mut cmd, None);
        assert_ne!(run.code, 0, "{run:#?}");
        let requests: u32 = fs::read_to_string(&count)
            .expect("count")
            .trim()
            .parse()
            .expect("n");
        for host in hosts {
            env.rel_in(host, ["fsck"]).ok();
            let served = fs::read_to_string(env.path(&format!("{host}/current/index.html")))
                .expect("a whole release is current");
            assert!(
                served == "old\n" || served == "hello from staging\n",
                "{host} after a kill at request {kill_at}: {served:?}"
            );
        }
        let run2 = push(
            &env,
            &sshd,
            &sshd.key,
            &dests.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .ok();
        for host in hosts {
            assert_eq!(
                fs::read_to_string(env.path(&format!("{host}/current/index.html"))).expect("file"),
                "hello from staging\n",
                "{host} after a kill at request {kill_at}: {run2:#?}"
            );
            let tmp: Vec<_> = fs::read_dir(env.path(&format!("{host}/.releases/tmp")))
                .expect("tmp")
                .collect();
            assert!(tmp.is_empty(), "{host}: {tmp:?}");
        }
        assert_eq!(requests, kill_at);
    }
}
