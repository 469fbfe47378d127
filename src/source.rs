//! What a deploy's source says about where it came from: the git commit of
//! a work tree, and whether its tracked files are that commit's. git is
//! only read: no index refresh is written back.

use std::path::Path;

use crate::error::{Error, Result};

/// HEAD of `dir` when it is the top of a git work tree.
pub fn git_head(dir: &Path) -> Option<String> {
    if !dir.join(".git").exists() {
        return None;
    }
    git_rev_parse(dir, "HEAD")
}

/// Whether the tracked files of the work tree `dir` differ from HEAD (staged
/// or not), as `git describe --dirty` sees it. Untracked and ignored files
/// (build output) do not count. False when git cannot tell.
pub fn git_dirty(dir: &Path) -> bool {
    git(dir)
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .is_ok_and(|out| out.status.success() && !out.stdout.is_empty())
}

/// Whether `rev` is a commit id as git prints it: 7 to 64 hex digits.
pub fn is_commit_id(rev: &str) -> bool {
    (7..=64).contains(&rev.len()) && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The commit `--commit REV` names: REV itself when it is a commit id,
/// else what git makes of it (a branch, a tag, HEAD) in `dir`.
pub fn resolve_commit(rev: &str, dir: &Path) -> Result<String> {
    if is_commit_id(rev) {
        return Ok(rev.to_ascii_lowercase());
    }
    if !rev.starts_with('-')
        && !rev.contains(char::is_whitespace)
        && let Some(id) = git_rev_parse(dir, &format!("{rev}^{{commit}}"))
    {
        return Ok(id);
    }
    Err(Error::refused(format!(
        "--commit '{rev}' is not a commit id (7 to 64 hex digits) nor a revision git knows in '{}'; give the commit id, as in --commit \"$(git rev-parse HEAD)\"",
        dir.display()
    )))
}

/// git run in `dir`, reading only: no index refresh written back.
fn git(dir: &Path) -> std::process::Command {
    let mut git = std::process::Command::new("git");
    git.arg("--no-optional-locks")
        .arg("-C")
        .arg(dir)
        // A deploy run from a git hook inherits GIT_DIR, which would name
        // the hook's repository instead of SOURCE's.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_COMMON_DIR")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    git
}

/// `git rev-parse --verify REV` in `dir`.
fn git_rev_parse(dir: &Path, rev: &str) -> Option<String> {
    let out = git(dir)
        .args(["rev-parse", "--verify", "-q", rev])
        .output()
        .ok()?;
    let head = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !head.is_empty()).then_some(head)
}
