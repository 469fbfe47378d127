use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use crate::cli::ctx::{self, Ctx};
use crate::cli::render;
use crate::history;
use crate::transport::{self, Dest, Outcome, Push, Runner};

#[derive(Debug, Args)]
pub struct PushArgs {
    /// An app directory on this host, or [USER@]HOST:PATH over ssh
    #[arg(required = true, value_name = "DEST")]
    pub dests: Vec<String>,
    /// The release whose slug is promoted
    #[arg(long, value_name = "REV", default_value = "current")]
    pub release: String,
    /// Also replace each destination's config vars with the release's
    #[arg(long)]
    pub with_config: bool,
    /// Prepare up to N destinations at once
    #[arg(long, short = 'j', value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: u32,
    /// Do not run the restart hooks
    #[arg(long)]
    pub no_restart: bool,
    /// Run CMD (a shell command line) in place of ssh
    #[arg(long, value_name = "CMD", env = "REL_SSH", hide_env_values = true)]
    pub ssh: Option<String>,
    /// The rel binary on remote hosts
    #[arg(long = "rel", value_name = "PATH", default_value = "rel")]
    pub rel_path: String,
}

pub fn run(ctx: &Ctx, args: PushArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let release = history::resolve_text(&store, &args.release)?;
    let dests = args
        .dests
        .iter()
        .map(|d| Dest::parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let config = if args.with_config {
        Some(store.read_config(&release.config)?)
    } else {
        None
    };
    let runner = Runner {
        ssh: args.ssh.filter(|s| !s.trim().is_empty()),
        rel: args.rel_path,
        local: std::env::current_exe().context("could not find the rel binary that runs")?,
    };
    let push = Push {
        store: &store,
        release,
        config,
        by: ctx::who(None),
        jobs: args.jobs as usize,
        restart: !args.no_restart,
    };
    let note = |dest: &Dest, what: &str| ctx.status(format!("-----> {}: {what}", dest.text));
    let pushed = transport::push(&runner, &dests, &push, &note)?;
    let outcomes = pushed.outcomes;

    let width = dests.iter().map(|d| d.text.len()).max().unwrap_or(0);
    if !ctx.quiet {
        eprintln!("=== Push of {} ({})", push.release.name(), slug_name(&push));
        for (dest, outcome) in dests.iter().zip(&outcomes) {
            eprintln!("{:width$}  {}", dest.text, describe(outcome));
        }
    }
    let mut out = render::stdout();
    for (dest, outcome) in dests.iter().zip(&outcomes) {
        if let Some(v) = outcome.runs() {
            writeln!(out, "{} v{v}", dest.text)?;
        }
    }
    out.flush()?;
    if outcomes.iter().all(Outcome::ok) {
        return Ok(ExitCode::SUCCESS);
    }
    let (dest, error) = dests
        .iter()
        .zip(&outcomes)
        .find_map(|(d, o)| match o {
            Outcome::Failed { error, .. } => Some((d, error.clone())),
            _ => None,
        })
        .unwrap_or((&dests[0], "failed".to_string()));
    eprintln!(
        "rel: error: push to {} failed: {}; {}",
        dest.text,
        error
            .strip_prefix(&format!("{}: ", dest.text))
            .unwrap_or(&error),
        if pushed.activation_failed {
            "every destination this push switched was rolled back"
        } else {
            "no destination was activated"
        }
    );
    Ok(ExitCode::from(1))
}

fn slug_name(push: &Push) -> String {
    let slug = push.release.slug.map(|s| s.short()).unwrap_or_default();
    match &push.release.commit {
        Some(c) => format!("commit {}, slug {slug}", &c[..c.len().min(7)]),
        None => format!("slug {slug}"),
    }
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Unchanged { runs } => format!("v{runs} runs this slug already; nothing sent"),
        Outcome::Activated { runs, sent } => format!(
            "v{runs} is current ({} objects sent, {})",
            sent.objects,
            render::human_size(sent.bytes)
        ),
        Outcome::NotActivated { made, runs } => format!(
            "v{made} written but not activated; {} is current",
            runs.map_or("no release".to_string(), |v| format!("v{v}"))
        ),
        Outcome::RolledBack { made, runs } => {
            format!("v{made} was activated, then rolled back (v{runs})")
        }
        Outcome::Failed { error, .. } => format!("failed: {error}"),
    }
}
