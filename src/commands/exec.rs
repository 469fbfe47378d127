use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::history;
use crate::hooks::release_env;

#[derive(Debug, Args)]
#[command(trailing_var_arg = true)]
pub struct ExecArgs {
    /// The release to run (default: current)
    #[arg(long, value_name = "REV", default_value = "current")]
    pub release: String,
    /// The command and its arguments, after --
    #[arg(required = true, allow_hyphen_values = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

pub fn run(ctx: &Ctx, args: ExecArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let release = history::resolve_text(&store, &args.release)?;
    let Some(slug) = release.slug else {
        anyhow::bail!(
            "{} has no slug: deploy first (rel deploy DIR)",
            release.name()
        );
    };
    let mut dir = store.checkout_path(&slug);
    if !dir.is_dir() {
        let _lock = ctx.lock(&store)?;
        dir = store.ensure_checkout(&slug, None, None, &ctx.progress())?;
    }
    let config = store.read_config(&release.config)?;
    let env = release_env(&store, &release, &config);
    let Some((program, rest)) = args.command.split_first() else {
        anyhow::bail!("give the command to run, as in 'rel exec -- CMD ARGS'");
    };
    let err = std::process::Command::new(program)
        .args(rest)
        .current_dir(&dir)
        // As a shell's cd would: programs that read PWD see the checkout.
        .env("PWD", &dir)
        .envs(env)
        .exec();
    // Exit statuses as shells give them: 127 not found, 126 not runnable.
    let (code, what) = match err.kind() {
        std::io::ErrorKind::NotFound => (127, "no such program".to_string()),
        _ => (126, err.to_string()),
    };
    eprintln!(
        "rel: error: could not run '{}': {what}; name a program in the release's checkout (as bin/web) or on PATH",
        program.to_string_lossy()
    );
    Ok(ExitCode::from(code))
}
