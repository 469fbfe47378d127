//! The hidden helpers of the completion scripts: `rel [-C PATH]
//! __complete-NAMES` lists, from the store, what an argument may name
//! (releases, config vars, add-ons). They are handled before clap, so they
//! appear in no help, man page or completion; `rel generate completions`
//! writes the scripts that call them.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::ctx::Ctx;
use super::render;

/// What a completion offers from the store. Each has a hidden helper,
/// `rel [-C PATH] __complete-NAME`, that the completion scripts call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Names {
    Revisions,
    ConfigVars,
    Addons,
}

impl Names {
    pub const ALL: [Names; 3] = [Names::Revisions, Names::ConfigVars, Names::Addons];

    /// The helper's name after `__complete-`; the scripts use it too.
    pub fn helper(self) -> &'static str {
        match self {
            Names::Revisions => "revisions",
            Names::ConfigVars => "config-vars",
            Names::Addons => "addons",
        }
    }

    pub fn from_helper(name: &str) -> Option<Names> {
        Names::ALL.into_iter().find(|n| n.helper() == name)
    }
}

/// The hidden helpers of the completion scripts, `rel [-C PATH]
/// __complete-revisions` (and `__complete-config-vars`,
/// `__complete-addons`), handled before clap so that they appear in no
/// help, man page or completion. Returns what to list and the `-C` path,
/// if the line is one.
pub fn request(args: &[OsString]) -> Option<(Names, Option<PathBuf>)> {
    let names = |cmd: &OsString| {
        let cmd = cmd.to_str()?.strip_prefix("__complete-")?;
        Names::from_helper(cmd)
    };
    match args.get(1..)? {
        [cmd] => Some((names(cmd)?, None)),
        [flag, dir, cmd] if flag == "-C" => Some((names(cmd)?, Some(PathBuf::from(dir)))),
        _ => None,
    }
}

/// `rel [-C PATH] __complete-NAMES`, which the completion scripts call:
/// `NAME<TAB>DESCRIPTION` lines. Releases: `current` first, then releases
/// newest first. Config vars: the current release's keys (no values: they
/// may be secrets). Add-ons: the current release's, with their plans.
/// Silent outside a store: a completion never prints an error.
pub fn print_names(names: Names, chdir: Option<PathBuf>) -> ExitCode {
    let _ = (|| -> Result<()> {
        let ctx = Ctx {
            chdir,
            quiet: true,
            lock_timeout: None,
            command_line: String::new(),
        };
        let store = ctx.open()?;
        let mut out = render::stdout();
        match names {
            Names::Revisions => write_revisions(&store, &mut out)?,
            Names::ConfigVars => {
                for key in crate::ops::base(&store)?.config.vars.keys() {
                    if !key.contains(char::is_control) {
                        writeln!(out, "{key}")?;
                    }
                }
            }
            Names::Addons => {
                // A name cut at a line break would complete to another.
                for a in crate::ops::base(&store)?.addons {
                    if !a.name.contains(char::is_control) {
                        writeln!(out, "{}\t{}", a.name, a.plan.replace(char::is_control, " "))?;
                    }
                }
            }
        }
        out.flush()?;
        Ok(())
    })();
    ExitCode::SUCCESS
}

/// `current`, then the releases newest first, with their changes.
fn write_revisions(store: &crate::store::Store, out: &mut dyn Write) -> Result<()> {
    let latest = crate::history::latest_version(store);
    if let Some(cur) = crate::history::current_version(store)? {
        writeln!(out, "current\tv{cur}")?;
    }
    // Descriptions cost a manifest read each: only for the newest.
    for v in (1..=latest).rev() {
        let change = if latest - v < 50 {
            store.read_release(v).map(|r| r.change).unwrap_or_default()
        } else {
            String::new()
        };
        writeln!(out, "v{v}\t{}", change.replace(['\t', '\n'], " "))?;
    }
    Ok(())
}
