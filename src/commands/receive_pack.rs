use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;
use crate::transport::pack;

#[derive(Debug, Args)]
pub struct ReceivePackArgs {
    /// Refuse the pack unless this slug (a tree id or unique prefix) is
    /// complete with it
    #[arg(long, value_name = "ID")]
    pub slug: Option<String>,
}

pub fn run(ctx: &Ctx, args: ReceivePackArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let slug = match &args.slug {
        Some(text) if text.len() == 64 => Some(
            text.parse()
                .map_err(|_| anyhow::anyhow!("--slug '{text}' is not an object id"))?,
        ),
        Some(text) => Some(crate::history::resolve_slug_arg(&store, text)?),
        None => None,
    };
    let lock = ctx.lock(&store)?;
    let mut input = std::io::stdin().lock();
    let received = pack::receive_pack(&store, &lock, &mut input, slug.as_ref())?;
    ctx.status(format!(
        "Received {} objects, {}; {} new",
        received.stream.objects,
        render::human_size(received.stream.bytes),
        received.new
    ));
    Ok(ExitCode::SUCCESS)
}
