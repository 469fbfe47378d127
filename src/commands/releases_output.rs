use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::history;
use crate::store::objects::read_error;

#[derive(Debug, Args)]
pub struct ReleasesOutputArgs {
    /// The release: vN, N, current or current~K (default: current)
    #[arg(default_value = "current")]
    pub rev: String,
}

pub fn run(ctx: &Ctx, args: ReleasesOutputArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let r = history::resolve_text(&store, &args.rev)?;
    let Some(id) = r.output else {
        ctx.status(format!(
            "{} has no release output: no release hook ran for it",
            r.name()
        ));
        return Ok(ExitCode::SUCCESS);
    };
    let mut reader = store.open_object(&id)?;
    let mut out = super::stdout();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| read_error(e, "read", &store.object_path(&id)))?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
