//! Hooks: executables in `.releases/hooks/` that rel runs at fixed points.
//!
//! `release` runs in the new release's checkout before its manifest is
//! written (its exit status decides `succeeded` or `failed`, its output is
//! kept as an object); `restart` runs after every activation. Both get the
//! release's config vars and `REL_VERSION`, `REL_SLUG`, `REL_APP`. Hooks
//! never see rel's standard input; their stdout and stderr go, merged, to
//! the sink the command gives (its stderr), so data on stdout stays clean.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result, io_at};
use crate::id::Id;
use crate::store::Store;

#[derive(Clone, Debug)]
pub struct HookOutcome {
    pub success: bool,
    /// How it ended, for messages: "exit status 3", "signal 9".
    pub how: String,
    /// The stored output, when it was captured.
    pub output: Option<Id>,
}

/// Runs `hooks/NAME` if it exists and is executable; None otherwise. A hook
/// file without its execute bit does not run, and a warning on `sink` says
/// so and how to fix it (as git does).
pub fn run(
    store: &Store,
    name: &str,
    cwd: &Path,
    env: &[(String, String)],
    sink: &mut dyn Write,
    capture: bool,
) -> Result<Option<HookOutcome>> {
    let path = store.hooks_dir().join(name);
    let Ok(meta) = fs::metadata(&path) else {
        return Ok(None);
    };
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.permissions().mode() & 0o111 == 0 {
        let _ = writeln!(
            sink,
            "warning: the {name} hook '{}' did not run because it is not executable; to run it: chmod +x '{}'",
            path.display(),
            path.display()
        );
        return Ok(None);
    }
    let (mut reader, writer) = std::io::pipe().map_err(io_at("run", &path))?;
    let writer2 = writer.try_clone().map_err(io_at("run", &path))?;
    let mut command = Command::new(&path);
    command
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2);
    let mut child = command.spawn().map_err(io_at("run", &path))?;
    drop(command);

    let capture_path = store.temp_path("hook-output");
    let mut captured = if capture {
        Some(store.create_file(&capture_path, store.file_mode())?)
    } else {
        None
    };
    let mut buf = [0u8; 8192];
    let copy = (|| -> std::io::Result<()> {
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            // A closed sink (stderr gone) must not stop the hook or the capture.
            let _ = sink.write_all(&buf[..n]);
            if let Some(f) = captured.as_mut() {
                f.write_all(&buf[..n])?;
            }
        }
    })();
    let status = child.wait().map_err(io_at("run", &path))?;
    let _ = sink.flush();
    let output = match captured.take() {
        Some(f) => {
            drop(f);
            let result = copy
                .map_err(io_at("capture the output of", &path))
                .and_then(|()| {
                    let size = fs::metadata(&capture_path)
                        .map_err(io_at("read", &capture_path))?
                        .len();
                    store.write_blob_file(&capture_path, size)
                });
            let _ = fs::remove_file(&capture_path);
            Some(result?)
        }
        None => None,
    };
    use std::os::unix::process::ExitStatusExt;
    let how = match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit status {c}"),
        (None, Some(s)) => format!("signal {s}"),
        _ => "an unknown status".to_string(),
    };
    Ok(Some(HookOutcome {
        success: status.success(),
        how,
        output,
    }))
}

/// The environment of hooks and `rel exec`: config vars, then rel's own.
pub fn release_env(
    store: &Store,
    release: &crate::manifest::Release,
    config: &crate::config::Config,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = config
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    env.push(("REL_VERSION".into(), release.name()));
    if let Some(slug) = release.slug {
        env.push(("REL_SLUG".into(), slug.to_hex()));
    }
    env.push(("REL_APP".into(), store.settings.name.clone()));
    env
}

/// An error for a hook that could not be judged (kept for messages).
pub fn failed(name: &str, how: &str) -> Error {
    Error::refused(format!("the {name} hook failed ({how})"))
}
