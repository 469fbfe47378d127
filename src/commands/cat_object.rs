use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;
use crate::id::Kind;
use crate::odb::Location;

#[derive(Debug, Args)]
// Only the flags form the group: a struct-level `#[group]` would take in
// the positional too, and refuse every flag next to it.
#[command(group = clap::ArgGroup::new("what").multiple(false).args(["kind", "size", "pretty", "place"]))]
pub struct CatObjectArgs {
    /// Print the object's kind: blob, tree or config
    #[arg(short = 't')]
    pub kind: bool,
    /// Print the object's size in bytes
    #[arg(short = 's')]
    pub size: bool,
    /// Print the content: a tree as ls-slug lines, others as they are (the default)
    #[arg(short = 'p')]
    pub pretty: bool,
    /// Print where the object is stored: 'loose PATH' or 'pack PATH OFFSET LENGTH', paths relative to the store
    #[arg(long = "where")]
    pub place: bool,
    /// An object id, or a unique prefix of 6 or more hex digits
    pub id: String,
}

pub fn run(ctx: &Ctx, args: CatObjectArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let id = store.resolve_id(&args.id)?;
    let mut out = render::stdout();
    if args.place {
        // Not read: a damaged object is where one looks for it.
        let at = store.locate(&id)?;
        let path = at.path();
        let path = path.strip_prefix(&store.dir).unwrap_or(path).display();
        match at {
            Location::Loose(_) => writeln!(out, "loose {path}")?,
            Location::Packed { entry, .. } => {
                writeln!(out, "pack {path} {} {}", entry.offset, entry.length)?
            }
        }
    } else if args.kind || args.size {
        // Read through, as every read is: a kind or size from a corrupt
        // header must not pass for good.
        let mut reader = store.open_object(&id)?;
        let header = reader.header;
        reader.verify_rest()?;
        if args.kind {
            writeln!(out, "{}", header.kind)?;
        } else {
            writeln!(out, "{}", header.size)?;
        }
    } else {
        let mut reader = store.open_object(&id)?;
        if reader.header.kind == Kind::Tree {
            let bytes = reader.read_rest()?;
            for e in crate::tree::Tree::decode(&bytes, &id)?.entries {
                writeln!(
                    out,
                    "{} {} {} {}\t{}",
                    e.kind.mode(),
                    e.kind,
                    e.id,
                    e.size,
                    render::quote_name(&e.name)
                )?;
            }
        } else {
            render::copy_object(&mut reader, &mut out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
