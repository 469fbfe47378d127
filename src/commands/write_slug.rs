use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::checkout::PreparedCheckout;
use crate::ingest::{self, Ingested, OutsideLinks};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct WriteSlugArgs {
    /// A directory, or - for a tar stream (plain or zstd) on standard input
    pub source: PathBuf,
    /// Only compute the slug id; store nothing (works outside a store)
    #[arg(short = 'n', long = "dry-run")]
    pub dry_run: bool,
}

/// Stores (or, without a store, hashes) SOURCE; shared with `deploy`, which
/// gives the checkout it `prepared`.
pub fn ingest(
    ctx: &Ctx,
    store: Option<&Store>,
    prepared: Option<&PreparedCheckout>,
    source: &std::path::Path,
) -> Result<Ingested> {
    let progress = ctx.progress();
    if source.as_os_str() == "-" {
        let stdin = std::io::stdin();
        // A person at a terminal would wait for nothing: say what `-` wants.
        if std::io::IsTerminal::is_terminal(&stdin) {
            anyhow::bail!(
                "standard input is a terminal, not a tar stream; pipe one into rel (tar -C DIR -c . | rel deploy -), or name a directory instead of -"
            );
        }
        let mut lock = stdin.lock();
        Ok(ingest::ingest_tar(store, &mut lock, &progress)?)
    } else {
        let dir = ctx.start_dir()?.join(source);
        Ok(ingest::ingest_dir(store, prepared, &dir, &progress)?)
    }
}

/// Says on stderr (even with -q: it is a warning) how many symlinks of the
/// slug point outside it, naming the first: stored as they are, they may
/// dangle on the host that checks the slug out.
pub fn warn_outside(outside: &OutsideLinks) {
    let Some((path, target)) = &outside.first else {
        return;
    };
    let quote = |name: &[u8]| {
        let shown = super::quote_name(name);
        if shown.starts_with('"') {
            shown
        } else {
            format!("'{shown}'")
        }
    };
    let (path, target) = (quote(path), quote(target));
    if outside.count == 1 {
        eprintln!("warning: 1 symlink points outside the slug: {path} -> {target}");
    } else {
        eprintln!(
            "warning: {} symlinks point outside the slug, the first {path} -> {target}",
            outside.count
        );
    }
}

pub fn run(ctx: &Ctx, args: WriteSlugArgs) -> Result<ExitCode> {
    let store = if args.dry_run {
        None
    } else {
        Some(ctx.open()?)
    };
    let ingested = ingest(ctx, store.as_ref(), None, &args.source)?;
    warn_outside(&ingested.outside);
    let mut out = super::stdout();
    writeln!(out, "{}", ingested.slug)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
