use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::ctx::Ctx;
use crate::cli::render;
use crate::gc::{GcOptions, GcReport};

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Keep the artifacts of the N newest succeeded releases (default: settings.toml keep, else all)
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    /// Never delete objects younger than this (e.g. 30s, 10m, 1h, 2d)
    // The default is crate::gc::GRACE (a test holds them equal).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub grace: std::time::Duration,
    /// Say what would be deleted, delete nothing
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Print the report as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

/// `gc --json`: the report, and whether it is what a dry run would do.
#[derive(serde::Serialize)]
struct GcJson<'a> {
    dry_run: bool,
    #[serde(flatten)]
    report: &'a GcReport,
}

/// `90`, `90s`, `10m`, `1h`, `2d`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let (num, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "s"), |i| text.split_at(i));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{text}' is not a duration; write it as 30s, 10m, 1h or 2d"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => {
            return Err(format!(
                "'{text}' is not a duration; write it as 30s, 10m, 1h or 2d"
            ));
        }
    };
    Ok(std::time::Duration::from_secs(secs))
}

pub fn run(ctx: &Ctx, args: GcArgs) -> Result<ExitCode> {
    let store = ctx.open()?;
    let lock = ctx.lock(&store)?;
    let opts = GcOptions {
        keep: args.keep.or(store.settings.keep),
        grace: args.grace,
        dry_run: args.dry_run,
    };
    let report = crate::gc::gc_with_progress(&store, &lock, &opts, &ctx.progress())?;
    if args.json {
        let mut out = render::stdout();
        let json = GcJson {
            dry_run: args.dry_run,
            report: &report,
        };
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
        out.flush()?;
    } else if args.dry_run {
        let mut out = render::stdout();
        writeln!(out, "{}", render::gc_summary(&report, true))?;
        out.flush()?;
    } else {
        ctx.status(render::gc_summary(&report, false));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_flag_defaults_to_the_core_grace_period() {
        let args = GcArgs::augment_args(clap::Command::new("gc"));
        let matches = args.try_get_matches_from(["gc"]).expect("gc parses");
        let grace = matches.get_one::<std::time::Duration>("grace");
        assert_eq!(grace, Some(&crate::gc::GRACE));
    }
}
