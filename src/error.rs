//! The core's error type. Every message is one lowercase line that names the
//! thing at fault (path, revision, key, object) and, where there is something
//! to do, says what.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::id::Id;
use crate::quote::quote_name;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not {action} '{}': {source}", quote_name(path.as_os_str().as_bytes()))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "not in a rel store ('{0}' and its parents have no .releases); run 'rel init' to create one"
    )]
    NotAStore(PathBuf),
    /// An object whose bytes fail their checks, and where that copy is
    /// when it is known.
    #[error(
        "object {id} is corrupt: {detail}{}; run 'rel fsck' to see the damage",
        at.as_ref().map_or(String::new(), |at| format!(" ({at})"))
    )]
    Corrupt {
        id: Id,
        at: Option<ObjectAt>,
        detail: String,
    },
    /// A file being stored changed while rel read it: its size or content
    /// is not what the scan (or the first pass) saw.
    #[error(
        "'{}' changed while rel was reading it; deploy again once it is still",
        quote_name(path.as_os_str().as_bytes())
    )]
    SourceChanged { path: PathBuf },
    /// A pack or pack index that fails its checks: named, with what is wrong.
    #[error("'{path}' is damaged: {detail}; run 'rel fsck' to see the damage")]
    DamagedPack { path: PathBuf, detail: String },
    /// An object that no pack and no loose file holds.
    #[error("no object {id} in the store; check the id, or run 'rel fsck' if a release names it")]
    Missing { id: Id },
    #[error(
        "unknown revision '{0}'; name a release as vN, N, current or current~K (see 'rel releases')"
    )]
    UnknownRevision(String),
    #[error(
        "timed out after {secs}s waiting for the lock held by {holder}; try again later, or wait longer with --lock-timeout"
    )]
    LockTimeout { secs: f64, holder: String },
    /// Input (standard input, a tar entry) that fails to read.
    #[error("could not read the input: {0}")]
    Input(#[source] io::Error),
    /// Input that holds fewer bytes than it said it would.
    #[error("the input ended early")]
    InputEnded,
    /// Bad input or a refused request; the message is complete.
    #[error("{0}")]
    Refused(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a copy of an object is, as an error names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectAt {
    /// Its own file, `objects/ab/cdef…`.
    Loose(PathBuf),
    /// An entry of a pack, at an offset in the pack file.
    Packed { pack: PathBuf, offset: u64 },
}

impl std::fmt::Display for ObjectAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ObjectAt::Loose(path) => write!(f, "in '{}'", path.display()),
            ObjectAt::Packed { pack, offset } => {
                write!(f, "in '{}' at offset {offset}", pack.display())
            }
        }
    }
}

impl Error {
    pub fn refused(msg: impl Into<String>) -> Error {
        Error::Refused(msg.into())
    }

    /// A corrupt object whose copy is not known (its content, decoded,
    /// is not what its kind needs).
    pub fn corrupt(id: Id, detail: impl Into<String>) -> Error {
        Error::Corrupt {
            id,
            at: None,
            detail: detail.into(),
        }
    }
}

/// Wraps an io error with the action and the path, for `map_err`.
pub fn io_at<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}
