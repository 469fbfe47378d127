use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render::{self, quote_name, write_record};
use crate::id::Id;
use crate::store::Store;
use crate::tree::{Entry, EntryKind};

#[derive(Debug, Args)]
pub struct LsSlugArgs {
    /// List every entry below, with its full path
    #[arg(short = 'r')]
    pub recursive: bool,
    /// End each line with NUL and print names as they are
    #[arg(short = 'z')]
    pub nul: bool,
    /// A slug id (or unique prefix), or a revision such as v12 or current
    pub slug: String,
    /// A directory (or file) in the slug to list instead of its root
    pub path: Option<String>,
}

pub fn run(ctx: &Ctx, args: LsSlugArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let slug = crate::history::resolve_slug_arg(&store, &args.slug)?;
    let mut out = render::stdout();
    let prefix: Vec<u8> = args
        .path
        .as_deref()
        .map(|p| p.trim_matches('/').as_bytes().to_vec())
        .unwrap_or_default();
    let start = store.lookup_path(&slug, &prefix)?;
    match start {
        Some(e) if e.kind != EntryKind::Dir => {
            line(&mut out, &e, &prefix, args.nul)?;
        }
        Some(e) => list(&store, &e.id, &prefix, args.recursive, args.nul, &mut out)?,
        None => list(&store, &slug, b"", args.recursive, args.nul, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn list(
    store: &Store,
    tree: &Id,
    prefix: &[u8],
    recursive: bool,
    nul: bool,
    out: &mut dyn Write,
) -> Result<()> {
    for e in store.read_tree(tree)?.entries {
        // Paths are relative to the slug's root, as `ls-slug SLUG FILE` and
        // `-r` print them, so a line can be fed back as PATH.
        let path = if prefix.is_empty() {
            e.name.clone()
        } else {
            [prefix, b"/", &e.name].concat()
        };
        line(out, &e, &path, nul)?;
        if recursive && e.kind == EntryKind::Dir {
            list(store, &e.id, &path, recursive, nul, out)?;
        }
    }
    Ok(())
}

/// `mode kind id size<TAB>name`
fn line(out: &mut dyn Write, e: &Entry, path: &[u8], nul: bool) -> Result<()> {
    let mut record = format!("{} {} {} {}\t", e.kind.mode(), e.kind, e.id, e.size).into_bytes();
    if nul {
        record.extend_from_slice(path);
    } else {
        record.extend_from_slice(quote_name(path).as_bytes());
    }
    write_record(out, &record, nul)
}
