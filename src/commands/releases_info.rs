use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::args::DateStyle;
use crate::cli::ctx::Ctx;
use crate::cli::render::{self, change_label, when};
use crate::history;
use crate::report::ReleaseView;

#[derive(Debug, Args)]
pub struct ReleasesInfoArgs {
    /// The release: vN, N, current or current~K (default: current)
    #[arg(default_value = "current")]
    pub rev: String,
    /// Print JSON
    #[arg(long, conflicts_with = "shell")]
    pub json: bool,
    /// Print the release's config vars as KEY='VALUE' lines for a shell
    #[arg(long, short = 's')]
    pub shell: bool,
    /// How to show When (default: relative under 24 hours, else local time)
    #[arg(long, value_enum)]
    pub date: Option<DateStyle>,
}

pub fn run(ctx: &Ctx, args: ReleasesInfoArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let r = history::resolve_text(&store, &args.rev)?;
    let mut out = render::stdout();
    if args.shell {
        let config = store.read_config(&r.config)?;
        render::config_vars(&config, false, true, &mut out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let view = ReleaseView::detailed(&store, &r)?;
    if args.json {
        serde_json::to_writer_pretty(&mut out, &view)?;
        writeln!(out)?;
    } else {
        // A detailed view has both; without them there is nothing to show.
        let (Some(vars), Some(rollback)) = (&view.config_vars, &view.rollback) else {
            anyhow::bail!("could not read the details of {}", r.name());
        };
        writeln!(out, "=== Release {}", r.name())?;
        let label = |k: &str| format!("{:<13}", format!("{k}:"));
        writeln!(
            out,
            "{}{}",
            label("Change"),
            change_label(&store, store.read_pruned().ok().flatten().as_ref(), &r)
        )?;
        writeln!(out, "{}{}", label("By"), r.by)?;
        writeln!(out, "{}{}", label("When"), when(&r, args.date))?;
        let addons: Vec<&str> = r.addons.iter().map(|a| a.plan.as_str()).collect();
        writeln!(
            out,
            "{}",
            format!("{}{}", label("Addons"), addons.join(", ")).trim_end()
        )?;
        let width = vars.keys().map(String::len).max().unwrap_or(0);
        let mut first = true;
        for (k, v) in vars {
            let head = if first {
                label("Config")
            } else {
                " ".repeat(13)
            };
            // A multi-line value keeps its lines under the value column.
            let v = v.replace('\n', &format!("\n{}", " ".repeat(13 + width + 4)));
            writeln!(out, "{head}{k:<width$} => {v}")?;
            first = false;
        }
        if first {
            writeln!(out, "{}", label("Config").trim_end())?;
        }
        writeln!(out, "{}{rollback}", label("Rollback"))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
