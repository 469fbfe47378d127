//! Release manifests: `releases/vN.toml`, small TOML files written once (under
//! the lock, after the objects they name are durable) and never edited.

use std::fs;
use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, io_at};
use crate::id::Id;
use crate::store::{Store, one_line};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Succeeded,
    Failed,
}

/// An add-on record. Its config vars are part of the release config; the
/// record says which, so they leave with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Addon {
    pub name: String,
    pub service: String,
    /// `SERVICE:PLAN`, or `SERVICE` when no plan was given.
    pub plan: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_vars: Vec<String>,
}

/// A manifest with a field rel does not know, or without a required one
/// (all but `slug`, `commit`, `rollback_of` and `output`), is malformed: it
/// was damaged, and a reader must not guess what it meant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub version: u64,
    pub change: String,
    pub by: String,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<Id>,
    pub config: Id,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The slug came from a work tree of `commit` whose tracked files
    /// differed from it (`git describe --dirty`): the slug is not that commit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dirty: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Id>,
    pub addons: Vec<Addon>,
}

impl Release {
    pub fn name(&self) -> String {
        format!("v{}", self.version)
    }

    pub fn succeeded(&self) -> bool {
        self.status == Status::Succeeded
    }
}

impl Store {
    pub fn manifest_path(&self, version: u64) -> PathBuf {
        self.releases_dir().join(format!("v{version}.toml"))
    }

    pub fn has_release(&self, version: u64) -> bool {
        version > 0 && self.manifest_path(version).exists()
    }

    pub fn read_release(&self, version: u64) -> Result<Release> {
        let path = self.manifest_path(version);
        let text = fs::read_to_string(&path).map_err(io_at("read", &path))?;
        let release: Release = toml::from_str(&text).map_err(|e| {
            // A missing field has an empty span at the start: no line.
            let at = e.span().filter(|s| !s.is_empty()).map_or(String::new(), |span| {
                let line = text.as_bytes()[..span.start.min(text.len())]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                format!(" at line {}", line + 1)
            });
            Error::refused(format!(
                "manifest '{}' is malformed{at}: {}; restore it from a backup (rel fsck lists every problem)",
                path.display(),
                one_line(e.message())
            ))
        })?;
        if release.version != version {
            return Err(Error::refused(format!(
                "manifest '{}' says version {}; restore it from a backup",
                path.display(),
                release.version
            )));
        }
        Ok(release)
    }

    /// Writes a new manifest durably. The caller holds the lock and has made
    /// the objects it names durable.
    pub(crate) fn write_manifest(&self, release: &Release) -> Result<()> {
        let path = self.manifest_path(release.version);
        if path.exists() {
            return Err(Error::refused(format!(
                "manifest '{}' exists already; a manifest is never rewritten",
                path.display()
            )));
        }
        let text = toml::to_string(release)
            .map_err(|e| Error::refused(format!("could not encode a manifest: {e}")))?;
        self.write_atomic(&path, text.as_bytes(), true)
    }
}
