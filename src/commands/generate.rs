//! `rel generate man|completions DIR`: the man pages and shell completions,
//! generated from the clap definitions ([`crate::commands::command`]) plus the
//! hand-written roff in `src/man/`, so what ships cannot drift from what the
//! binary accepts. The checked-in `man/` and `completions/` are this
//! command's output; a test fails when they are stale.
//!
//! Generation is deterministic: no clock, no environment, no host enters the
//! output, so regenerating on any machine gives the same bytes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use clap_complete::Shell;
use clap_mangen::Man;

use crate::cli::complete::Names;
use crate::cli::ctx::Ctx;

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: What,
}

#[derive(Debug, Subcommand)]
pub enum What {
    /// Write rel(1), a page per command, rel-store(5) and rel-hooks(5) into DIR
    Man {
        /// Where to write the pages (created if missing)
        dir: PathBuf,
    },
    /// Write bash (rel.bash), zsh (_rel) and fish (rel.fish) completions into DIR
    Completions {
        /// Where to write the scripts (created if missing)
        dir: PathBuf,
    },
}

/// The date in every page's title line: the last real change to the pages'
/// hand-written text. A constant, not today, so the pages are reproducible.
const MAN_DATE: &str = "2026-11-22";

/// The manual every page belongs to.
const MANUAL: &str = "rel Manual";

/// Hand-written roff: whole sections appended to a generated page, keyed by
/// the command's name (`""` is rel(1) itself).
const EXTRA: &[(&str, &str)] = &[
    ("", include_str!("../man/rel.roff")),
    ("init", include_str!("../man/init.roff")),
    ("deploy", include_str!("../man/deploy.roff")),
    ("releases", include_str!("../man/releases.roff")),
    ("releases:info", include_str!("../man/releases-info.roff")),
    (
        "releases:output",
        include_str!("../man/releases-output.roff"),
    ),
    ("releases:retry", include_str!("../man/releases-retry.roff")),
    ("rollback", include_str!("../man/rollback.roff")),
    ("config", include_str!("../man/config.roff")),
    ("config:get", include_str!("../man/config-get.roff")),
    ("config:set", include_str!("../man/config-set.roff")),
    ("config:unset", include_str!("../man/config-unset.roff")),
    ("addons", include_str!("../man/addons.roff")),
    ("addons:add", include_str!("../man/addons-add.roff")),
    ("addons:remove", include_str!("../man/addons-remove.roff")),
    ("addons:upgrade", include_str!("../man/addons-upgrade.roff")),
    (
        "addons:downgrade",
        include_str!("../man/addons-downgrade.roff"),
    ),
    ("exec", include_str!("../man/exec.roff")),
    ("diff", include_str!("../man/diff.roff")),
    ("status", include_str!("../man/status.roff")),
    ("write-slug", include_str!("../man/write-slug.roff")),
    ("ls-slug", include_str!("../man/ls-slug.roff")),
    ("checkout-slug", include_str!("../man/checkout-slug.roff")),
    ("export-slug", include_str!("../man/export-slug.roff")),
    ("cat-object", include_str!("../man/cat-object.roff")),
    ("write-config", include_str!("../man/write-config.roff")),
    ("read-config", include_str!("../man/read-config.roff")),
    ("write-release", include_str!("../man/write-release.roff")),
    ("show-release", include_str!("../man/show-release.roff")),
    ("rev-parse", include_str!("../man/rev-parse.roff")),
    ("activate", include_str!("../man/activate.roff")),
    ("fsck", include_str!("../man/fsck.roff")),
    ("gc", include_str!("../man/gc.roff")),
    ("generate", include_str!("../man/generate.roff")),
    ("push", include_str!("../man/push.roff")),
    ("serve", include_str!("../man/serve.roff")),
    ("list-objects", include_str!("../man/list-objects.roff")),
    (
        "missing-objects",
        include_str!("../man/missing-objects.roff"),
    ),
    ("pack-objects", include_str!("../man/pack-objects.roff")),
    ("receive-pack", include_str!("../man/receive-pack.roff")),
];

/// Section 5 pages, wholly hand-written but for their title line.
const FILE_FORMATS: &[(&str, &str, &str)] = &[
    (
        "rel-store",
        "the on-disk format of a rel store",
        include_str!("../man/rel-store.5.roff"),
    ),
    (
        "rel-hooks",
        "programs rel runs when it makes and activates releases",
        include_str!("../man/rel-hooks.5.roff"),
    ),
];

/// Commands that compose plumbing; the others are plumbing (or setup).
pub const PORCELAIN: &[&str] = &[
    "deploy",
    "releases",
    "releases:info",
    "releases:output",
    "releases:retry",
    "rollback",
    "config",
    "config:get",
    "config:set",
    "config:unset",
    "addons",
    "addons:add",
    "addons:remove",
    "addons:upgrade",
    "addons:downgrade",
    "exec",
    "diff",
    "status",
    "push",
];

/// The file name stem of a command's page: `releases:info` → `rel-releases-info`.
pub fn page_name(command: &str) -> String {
    format!("rel-{}", command.replace(':', "-"))
}

fn extra(command: &str) -> &'static str {
    EXTRA
        .iter()
        .find(|(name, _)| *name == command)
        .map_or("", |(_, text)| text)
}

/// Every man page: (file name, content).
pub fn man_pages(root: clap::Command) -> Result<Vec<(String, Vec<u8>)>> {
    let mut root = root.disable_help_subcommand(true);
    root.build();
    let version = root.get_version().unwrap_or_default().to_string();
    let source = format!("rel {version}");
    let title = |stem: &str, section: &str| {
        format!(
            ".TH {} {section} {MAN_DATE} \"{source}\" \"{MANUAL}\"\n",
            stem.to_uppercase()
        )
    };
    let mut pages = Vec::new();

    let mut page = title("rel", "1");
    page.push_str(&generated_sections(&root, "rel", "rel")?);
    page.push_str(&commands_section(&root));
    page.push_str(extra(""));
    pages.push(("rel.1".to_string(), tidy(&page)));

    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        let stem = page_name(name);
        // Global options and --help are documented once, in rel(1).
        let mut cmd = sub.clone();
        let shared: Vec<clap::Id> = sub
            .get_arguments()
            .filter(|a| a.is_global_set() || a.get_id() == "help")
            .map(|a| a.get_id().clone())
            .collect();
        for id in shared {
            cmd = cmd.mut_arg(id, |a| a.hide(true));
        }
        let mut page = title(&stem, "1");
        page.push_str(&generated_sections(&cmd, &stem, &format!("rel {name}"))?);
        page.push_str(extra(name));
        pages.push((format!("{stem}.1"), tidy(&page)));
    }

    for (stem, about, body) in FILE_FORMATS {
        let page = format!("{}.SH NAME\n{stem} \\- {about}\n{body}", title(stem, "5"));
        pages.push((format!("{stem}.5"), tidy(&page)));
    }
    Ok(pages)
}

/// NAME, SYNOPSIS, DESCRIPTION and OPTIONS, from the clap definitions.
fn generated_sections(cmd: &clap::Command, stem: &str, invocation: &str) -> Result<String> {
    let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
    let mut out = format!(
        ".SH NAME\n{} \\- {}\n",
        roff_escape(stem),
        roff_escape(&about)
    );
    out.push_str(&synopsis(cmd, invocation));
    let man = Man::new(cmd.clone());
    let mut rendered = Vec::new();
    man.render_description_section(&mut rendered)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut rendered)?;
    }
    out.push_str(&String::from_utf8(rendered).context("clap_mangen wrote something not UTF-8")?);
    Ok(out)
}

/// The synopsis as git's pages show it: options with their values,
/// mutually exclusive ones together, then the operands.
fn synopsis(cmd: &clap::Command, invocation: &str) -> String {
    let mut items = vec![format!("\\fB{}\\fR", roff_escape(invocation))];
    let is_option = |a: &clap::Arg| !a.is_hide_set() && !a.is_positional();
    let mut exclusive: Vec<Vec<clap::Id>> = cmd
        .get_groups()
        .filter_map(|g| {
            let mut g = g.clone();
            (!g.is_multiple()).then(|| g.get_args().cloned().collect())
        })
        .collect();
    // Two options that conflict with each other and nothing else:
    // `[--json | --shell]`. clap records a conflict on one side only.
    let partners = |a: &clap::Arg| -> Vec<clap::Id> {
        let mut out: Vec<clap::Id> = cmd
            .get_arg_conflicts_with(a)
            .iter()
            .map(|b| b.get_id().clone())
            .collect();
        for other in cmd.get_arguments() {
            if other.get_id() != a.get_id()
                && !out.contains(other.get_id())
                && cmd
                    .get_arg_conflicts_with(other)
                    .iter()
                    .any(|c| c.get_id() == a.get_id())
            {
                out.push(other.get_id().clone());
            }
        }
        out
    };
    for a in cmd.get_arguments().filter(|a| is_option(a)) {
        let mine = partners(a);
        let [b] = mine.as_slice() else { continue };
        let Some(b_arg) = cmd.get_arguments().find(|x| x.get_id() == b) else {
            continue;
        };
        if is_option(b_arg)
            && partners(b_arg).as_slice() == [a.get_id().clone()]
            && !exclusive
                .iter()
                .any(|g| g.contains(a.get_id()) || g.contains(b))
        {
            exclusive.push(vec![a.get_id().clone(), b.clone()]);
        }
    }
    let mut done: Vec<clap::Id> = Vec::new();
    for arg in cmd.get_arguments().filter(|a| is_option(a)) {
        if done.contains(arg.get_id()) {
            continue;
        }
        if let Some(group) = exclusive.iter().find(|g| g.contains(arg.get_id())) {
            let members: Vec<String> = cmd
                .get_arguments()
                .filter(|a| group.contains(a.get_id()) && is_option(a))
                .map(option_usage)
                .collect();
            done.extend(group.iter().cloned());
            items.push(format!("[{}]", members.join(" | ")));
            continue;
        }
        let usage = option_usage(arg);
        let repeat = if matches!(arg.get_action(), clap::ArgAction::Append) {
            "..."
        } else {
            ""
        };
        if arg.is_required_set() {
            items.push(format!("{usage}{repeat}"));
        } else {
            items.push(format!("[{usage}]{repeat}"));
        }
    }
    if cmd.has_subcommands() {
        items.push("\\fICOMMAND\\fR [\\fIARGS\\fR]".to_string());
    }
    for arg in cmd.get_positionals().filter(|a| !a.is_hide_set()) {
        let name = arg
            .get_value_names()
            .map(|v| v.join(" "))
            .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
        let many = arg.get_num_args().is_some_and(|r| r.max_values() > 1);
        let mut text = format!("\\fI{}\\fR", roff_escape(&name));
        if many {
            text.push_str("...");
        }
        if many && cmd.is_trailing_var_arg_set() {
            text = format!("\\-\\- {text}");
        }
        if arg.is_required_set() {
            items.push(text);
        } else {
            items.push(format!("[{text}]"));
        }
    }
    format!(".SH SYNOPSIS\n{}\n", items.join("\n"))
}

/// `--name VALUE` (or `-n VALUE` when there is no long name).
fn option_usage(arg: &clap::Arg) -> String {
    let flag = match (arg.get_long(), arg.get_short()) {
        (Some(long), _) => format!("\\-\\-{}", roff_escape(long)),
        (None, Some(short)) => format!("\\-{short}"),
        (None, None) => String::new(),
    };
    if !arg.get_num_args().is_some_and(|r| r.takes_values()) {
        return format!("\\fB{flag}\\fR");
    }
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    let value = if values.is_empty() {
        arg.get_value_names()
            .map(|v| v.join(" "))
            .unwrap_or_else(|| arg.get_id().as_str().to_uppercase())
    } else {
        values.join("|")
    };
    format!("\\fB{flag}\\fR \\fI{}\\fR", roff_escape(&value))
}

/// Makes a page lint-clean for `mandoc -Tlint` and `groff -ww`: one copy of
/// clap_mangen's preamble, no trailing blanks, no `.br` around a blank line,
/// non-ASCII characters as escapes, and text lines of at most 80 bytes,
/// broken at spaces (which changes nothing in fill mode).
fn tidy(page: &str) -> Vec<u8> {
    const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    let page = format!("{PREAMBLE}{}", page.replace(PREAMBLE, ""));
    let page = page.replace(".br\n\n.br\n", ".sp\n");
    let mut out = String::with_capacity(page.len());
    let mut fill = true;
    for line in page.lines() {
        let line = ascii(line.trim_end());
        if line.starts_with(".nf") || line.starts_with(".EX") {
            fill = false;
        } else if line.starts_with(".fi") || line.starts_with(".EE") {
            fill = true;
        }
        let control = line.starts_with('.') || line.starts_with('\'');
        if !fill || control || line.len() <= 80 {
            out.push_str(&line);
            out.push('\n');
            continue;
        }
        let mut current = String::new();
        for word in line.split(' ').filter(|w| !w.is_empty()) {
            if !current.is_empty() && current.len() + 1 + word.len() > 80 {
                out.push_str(&current);
                out.push('\n');
                current.clear();
            }
            if current.is_empty() {
                if word.starts_with('.') || word.starts_with('\'') {
                    current.push_str("\\&");
                }
            } else {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push_str(&current);
        out.push('\n');
    }
    out.into_bytes()
}

/// Non-ASCII characters as roff's `\[uXXXX]` escapes.
fn ascii(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", c as u32));
        }
    }
    out
}

/// rel(1)'s list of commands, porcelain first, each naming its page.
fn commands_section(root: &clap::Command) -> String {
    let mut porcelain = String::new();
    let mut plumbing = String::new();
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        let item = format!(
            ".TP\n.BR {} (1)\n{}\n",
            roff_escape(&page_name(name)),
            roff_escape(&about)
        );
        if PORCELAIN.contains(&name) {
            porcelain.push_str(&item);
        } else {
            plumbing.push_str(&item);
        }
    }
    format!(
        ".SH COMMANDS\n\
         Porcelain commands, for people; each is a composition of plumbing commands:\n\
         {porcelain}\
         .PP\n\
         Plumbing commands and setup, for scripts; their output is stable, one item a line:\n\
         {plumbing}"
    )
}

/// Escapes text for a roff text line: backslashes, hyphens, and a leading
/// control character.
fn roff_escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// Arguments that name a release (or accept one, as slug and config
/// arguments do): the completions offer the store's releases for them.
pub const REVISION_ARGS: &[(&str, &str)] = &[
    ("releases:info", "rev"),
    ("releases:output", "rev"),
    ("rollback", "rev"),
    ("exec", "release"),
    ("diff", "a"),
    ("diff", "b"),
    ("write-release", "copy_of"),
    ("show-release", "rev"),
    ("rev-parse", "rev"),
    ("activate", "rev"),
    ("ls-slug", "slug"),
    ("checkout-slug", "slug"),
    ("export-slug", "slug"),
    ("read-config", "id"),
];

/// Arguments that name config vars: the completions offer the current
/// release's config vars for them.
pub const CONFIG_VAR_ARGS: &[(&str, &str)] = &[("config:get", "key"), ("config:unset", "keys")];

/// Arguments that name add-ons: the completions offer the current
/// release's add-ons for them.
pub const ADDON_ARGS: &[(&str, &str)] = &[
    ("addons:remove", "name"),
    ("addons:upgrade", "name"),
    ("addons:downgrade", "name"),
];

impl Names {
    /// Stands in for these names in clap_complete's output, to be replaced
    /// by our own completer: no real argument of rel takes a host name, a
    /// user name or a mail address.
    fn marker(self) -> clap::ValueHint {
        match self {
            Names::Revisions => clap::ValueHint::Hostname,
            Names::ConfigVars => clap::ValueHint::Username,
            Names::Addons => clap::ValueHint::EmailAddress,
        }
    }

    fn of(arg: &clap::Arg) -> Option<Names> {
        Names::ALL
            .into_iter()
            .find(|n| n.marker() == arg.get_value_hint())
    }

    fn args(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Names::Revisions => REVISION_ARGS,
            Names::ConfigVars => CONFIG_VAR_ARGS,
            Names::Addons => ADDON_ARGS,
        }
    }
}

/// The command as completions see it: no `help` subcommand, and the
/// arguments that name releases, config vars or add-ons marked.
fn completion_command(root: clap::Command) -> Result<clap::Command> {
    let mut cmd = root.disable_help_subcommand(true);
    cmd.build();
    let marked_already = cmd
        .get_subcommands()
        .flat_map(|s| s.get_arguments())
        .chain(cmd.get_arguments())
        .find_map(|a| Names::of(a).map(Names::marker));
    if let Some(marker) = marked_already {
        anyhow::bail!("an argument uses ValueHint::{marker:?}, which completions use as a marker");
    }
    // clap_complete writes a possible value's help between double quotes
    // for zsh and fish without escaping them; a quote in the help (as in
    // "5 minutes ago") breaks both scripts.
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for sub in &subs {
        cmd = cmd.mut_subcommand(sub, |mut s| {
            let quoted: Vec<clap::Id> = s
                .get_arguments()
                .filter(|a| {
                    a.get_possible_values()
                        .iter()
                        .any(|v| v.get_help().is_some_and(|h| h.to_string().contains('"')))
                })
                .map(|a| a.get_id().clone())
                .collect();
            for id in quoted {
                s = s.mut_arg(id, |a| {
                    let values: Vec<clap::builder::PossibleValue> = a
                        .get_possible_values()
                        .into_iter()
                        .map(|v| match v.get_help().map(|h| h.to_string()) {
                            Some(help) => v.help(help.replace('"', "")),
                            None => v,
                        })
                        .collect();
                    a.value_parser(clap::builder::PossibleValuesParser::new(values))
                });
            }
            s
        });
    }
    for names in Names::ALL {
        for (sub, arg) in names.args() {
            let found = cmd
                .find_subcommand(sub)
                .is_some_and(|s| s.get_arguments().any(|a| a.get_id() == arg));
            anyhow::ensure!(found, "completions: '{sub}' has no argument '{arg}'");
            cmd = cmd.mut_subcommand(sub, |s| s.mut_arg(arg, |a| a.value_hint(names.marker())));
        }
    }
    // Marking moves an argument to the end of its command's list, and
    // clap_complete writes operands in list order: put every operand of a
    // marked command back in command-line order.
    let marked: Vec<(String, Vec<clap::Id>)> = cmd
        .get_subcommands()
        .filter(|s| s.get_arguments().any(|a| Names::of(a).is_some()))
        .map(|s| {
            let ids = operands(s).iter().map(|a| a.get_id().clone()).collect();
            (s.get_name().to_string(), ids)
        })
        .collect();
    for (sub, ids) in marked {
        cmd = cmd.mut_subcommand(sub, |mut s| {
            for id in ids {
                s = s.mut_arg(id, |a| a);
            }
            s
        });
    }
    Ok(cmd)
}

/// Every completion script: (file name, content).
pub fn completions(root: clap::Command) -> Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = completion_command(root)?;
    let render = |shell: Shell, cmd: &mut clap::Command| -> Result<String> {
        let mut script = Vec::new();
        clap_complete::generate(shell, cmd, "rel", &mut script);
        String::from_utf8(script).context("clap_complete wrote something not UTF-8")
    };
    let bash = render(Shell::Bash, &mut cmd)?;
    let zsh = render(Shell::Zsh, &mut cmd)?;
    let fish = render(Shell::Fish, &mut cmd)?;
    let (bash, zsh, fish) = (
        patch_bash(&cmd, bash)?,
        patch_zsh(&cmd, zsh)?,
        patch_fish(&cmd, fish)?,
    );
    Ok(vec![
        ("rel.bash".to_string(), bash.into_bytes()),
        ("_rel".to_string(), zsh.into_bytes()),
        ("rel.fish".to_string(), fish.into_bytes()),
    ])
}

/// Replaces `from` (which must occur) with `to`.
fn patch(script: &str, from: &str, to: &str, shell: &str) -> Result<String> {
    anyhow::ensure!(
        script.contains(from),
        "the {shell} script from clap_complete lacks '{from}'; update the patches in src/commands/generate.rs"
    );
    Ok(script.replace(from, to))
}

/// Subcommands with their arguments that name `names`.
fn marked_commands(cmd: &clap::Command, names: Names) -> Vec<(&clap::Command, Vec<&clap::Arg>)> {
    cmd.get_subcommands()
        .map(|s| {
            let marked = s
                .get_arguments()
                .filter(|a| Names::of(a) == Some(names))
                .collect::<Vec<_>>();
            (s, marked)
        })
        .filter(|(_, marked)| !marked.is_empty())
        .collect()
}

/// A command's operands in their order on the command line.
fn operands(sub: &clap::Command) -> Vec<&clap::Arg> {
    let mut ops: Vec<&clap::Arg> = sub.get_positionals().collect();
    ops.sort_by_key(|a| a.get_index());
    ops
}

/// Whether an operand takes any number of values (`KEY...`).
fn repeats(arg: &clap::Arg) -> bool {
    arg.get_num_args().is_some_and(|r| r.max_values() > 1)
}

/// bash: clap's `_rel`, called through `_rel_complete` (see src/complete/bash.sh).
fn patch_bash(cmd: &clap::Command, script: String) -> Result<String> {
    let script = patch(
        &script,
        "complete -F _rel ",
        "complete -F _rel_complete ",
        "bash",
    )?;
    let mut slots = String::new();
    let marked = cmd
        .get_subcommands()
        .filter(|s| s.get_arguments().any(|a| Names::of(a).is_some()));
    for sub in marked {
        let mut takes = String::new();
        let mut revopts = String::new();
        for a in sub.get_arguments().filter(|a| !a.is_positional()) {
            let names = a
                .get_short()
                .map(|s| format!(" -{s}"))
                .into_iter()
                .chain(a.get_long().map(|l| format!(" --{l}")));
            let takes_value = a.get_num_args().is_some_and(|r| r.takes_values());
            if takes_value && !a.is_global_set() {
                for n in names {
                    takes.push_str(&n);
                    if Names::of(a) == Some(Names::Revisions) {
                        revopts.push_str(&n);
                    }
                }
            }
        }
        // What each operand names ("-": nothing from the store); `more`,
        // what the operands after those name, when the last one repeats.
        let pos: Vec<&str> = operands(sub)
            .into_iter()
            .map(|a| Names::of(a).map_or("-", Names::helper))
            .collect();
        let more = operands(sub)
            .last()
            .copied()
            .filter(|a| repeats(a))
            .and_then(Names::of)
            .map_or("", Names::helper);
        slots.push_str(&format!(
            "    {})\n        takes=\"{takes}\"\n        revopts=\"{}\"\n        pos=\"{}\"\n        more=\"{more}\"\n        ;;\n",
            sub.get_name(),
            revopts.trim_start(),
            pos.join(" ")
        ));
    }
    let extra = include_str!("../complete/bash.sh").replace("@SLOTS@\n", &slots);
    // The functions must exist before `complete` names them; put them
    // after clap's `_rel` and before its registration.
    let at = script
        .find("\nif [[ \"${BASH_VERSINFO[0]}\" -eq 4")
        .context("the bash script from clap_complete has no registration block")?;
    Ok(format!("{}{extra}{}", &script[..at + 1], &script[at + 1..]))
}

/// zsh: `_describe` splits its entries at ':', so a command named
/// `releases:info` must be written `releases\:info`; arguments that name
/// releases, config vars or add-ons call `_rel_revisions`,
/// `_rel_config_vars` or `_rel_addons` (see src/complete/zsh.zsh).
fn patch_zsh(cmd: &clap::Command, script: String) -> Result<String> {
    let mut script = script;
    for sub in cmd.get_subcommands().filter(|s| s.get_name().contains(':')) {
        let name = sub.get_name();
        let escaped = name.replace(':', "\\:");
        script = patch(
            &script,
            &format!("\n'{name}:"),
            &format!("\n'{escaped}:"),
            "zsh",
        )?;
    }
    let script = patch(&script, ":_hosts'", ":_rel_revisions'", "zsh")?;
    let script = patch(&script, ":_users'", ":_rel_config_vars'", "zsh")?;
    let script = patch(&script, ":_email_addresses'", ":_rel_addons'", "zsh")?;
    let tail = "\nif [ \"$funcstack[1]\" = \"_rel\" ]; then";
    let extra = include_str!("../complete/zsh.zsh");
    patch(&script, tail, &format!("{extra}{tail}"), "zsh")
}

/// fish: revision options call `__fish_rel_revisions`; operands, which
/// clap_complete leaves out for fish, get a line per command: releases
/// anywhere among the operands, config vars and add-ons only in their
/// operand's place.
fn patch_fish(cmd: &clap::Command, script: String) -> Result<String> {
    let mut script = patch(
        &script,
        "(__fish_print_hostnames)",
        "(__fish_rel_revisions)",
        "fish",
    )?;
    script.push_str(include_str!("../complete/fish.fish"));
    for (sub, revs) in marked_commands(cmd, Names::Revisions) {
        if !revs.iter().any(|a| a.is_positional()) {
            continue;
        }
        // Operands that are not releases (a path, a destination) keep
        // file completion.
        let only_revisions = sub
            .get_positionals()
            .all(|p| revs.iter().any(|r| r.get_id() == p.get_id()));
        script.push_str(&format!(
            "complete -c rel -n \"__fish_rel_using_subcommand {}\"{} -a \"(__fish_rel_revisions)\"\n",
            sub.get_name(),
            if only_revisions { " -f" } else { "" }
        ));
    }
    for names in [Names::ConfigVars, Names::Addons] {
        for (sub, _) in marked_commands(cmd, names) {
            // Options that take a value: their value is no operand.
            let takes: String = sub
                .get_arguments()
                .filter(|a| !a.is_positional() && !a.is_global_set())
                .filter(|a| a.get_num_args().is_some_and(|r| r.takes_values()))
                .flat_map(|a| {
                    let short = a.get_short().map(|s| format!(" -{s}"));
                    short
                        .into_iter()
                        .chain(a.get_long().map(|l| format!(" --{l}")))
                })
                .collect();
            for (i, arg) in operands(sub).into_iter().enumerate() {
                if Names::of(arg) != Some(names) {
                    continue;
                }
                let plus = if repeats(arg) { "+" } else { "" };
                script.push_str(&format!(
                    "complete -c rel -n \"__fish_rel_using_subcommand {}; and __fish_rel_operand {}{plus}{takes}\" -f -a \"(__fish_rel_names {})\"\n",
                    sub.get_name(),
                    i + 1,
                    names.helper()
                ));
            }
        }
    }
    Ok(script)
}

fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("could not create '{}'", dir.display()))?;
    for (name, content) in files {
        let path = dir.join(name);
        fs::write(&path, content)
            .with_context(|| format!("could not write '{}'", path.display()))?;
    }
    Ok(())
}

/// Writes the pages or scripts of `root`, rel's command (passed in: the
/// command table lists this module, so it does not look the table up).
pub fn run(ctx: &Ctx, args: GenerateArgs, root: clap::Command) -> Result<ExitCode> {
    let start = ctx.start_dir()?;
    let (dir, files, what) = match &args.what {
        What::Man { dir } => (start.join(dir), man_pages(root)?, "man pages"),
        What::Completions { dir } => (start.join(dir), completions(root)?, "completion scripts"),
    };
    write_all(&dir, &files)?;
    ctx.status(format!("Wrote {} {what} to {}", files.len(), dir.display()));
    Ok(ExitCode::SUCCESS)
}
