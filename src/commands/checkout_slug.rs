use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use crate::checkout::{Modes, materialize};
use crate::cli::ctx::Ctx;

#[derive(Debug, Args)]
pub struct CheckoutSlugArgs {
    /// A slug id (or unique prefix), or a revision such as v12 or current
    pub slug: String,
    /// Where to write the files: a directory that does not exist or is empty
    pub dest: PathBuf,
}

pub fn run(ctx: &Ctx, args: CheckoutSlugArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let slug = crate::history::resolve_slug_arg(&store, &args.slug)?;
    let dest = ctx.start_dir()?.join(&args.dest);
    let created = match fs::read_dir(&dest) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                anyhow::bail!(
                    "'{}' is not empty; name a new or empty directory",
                    dest.display()
                );
            }
            false
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir(&dest)
                .with_context(|| format!("could not create '{}'", dest.display()))?;
            true
        }
        Err(e) => {
            return Err(e).with_context(|| format!("could not read '{}'", dest.display()));
        }
    };
    let progress = ctx.progress();
    if let Err(e) = materialize(&store, &slug, &dest, Modes::PLAIN, None, false, &progress) {
        // Leave DEST as it was: absent, or empty.
        if created {
            let _ = fs::remove_dir_all(&dest);
        } else if let Ok(entries) = fs::read_dir(&dest) {
            for entry in entries.flatten() {
                let p = entry.path();
                let _ = if p.is_dir() && !p.is_symlink() {
                    fs::remove_dir_all(&p)
                } else {
                    fs::remove_file(&p)
                };
            }
        }
        return Err(e.into());
    }
    Ok(ExitCode::SUCCESS)
}
