//! `completions` and `man`: text generated from the command line's own definition, so the
//! shells and the manual always know every command and option this build has.

use std::fmt::Write as _;
use std::io::Write;

use clap::CommandFactory as _;

use crate::args::{Cli, Shell};
use crate::exit::CliError;
use crate::output;

/// Prints the completion script for `shell`.
pub(crate) fn completions(shell: Shell, out: &mut dyn Write) -> Result<(), CliError> {
    let mut script = Vec::new();
    clap_complete::generate(
        clap_complete::Shell::from(shell),
        &mut Cli::command(),
        "tokentray",
        &mut script,
    );
    out.write_all(&script)
        .map_err(|e| CliError::Io("write the completion script", e))
}

/// What the man page says under its name, before the commands.
const DESCRIPTION: &str = "Tokentray keeps the tokens of API connections fresh and hands them to other tools: \
a connection is set up once (tokentray add), its secrets and tokens live in the OS keychain, \
and tokentray token prints a token valid right now. While the desktop app or tokentray serve \
runs, the commands ask it; without one, they renew tokens themselves.";

/// Prints the `tokentray(1)` man page: the program's synopsis and options, then a subsection
/// per command with its synopsis, options and notes (`add` with every kind's fields).
pub(crate) fn man(out: &mut dyn Write) -> Result<(), CliError> {
    let mut page = Vec::new();
    render(&mut page).map_err(|e| CliError::Io("render the man page", e))?;
    output::write(out, &plain_roff(&String::from_utf8_lossy(&page)))
}

fn render(page: &mut Vec<u8>) -> std::io::Result<()> {
    let cmd = Cli::command()
        .bin_name("tokentray")
        .about("fresh API tokens for every tool, from the OS keychain")
        .long_about(DESCRIPTION);
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(page)?;
    man.render_name_section(page)?;
    man.render_synopsis_section(page)?;
    man.render_description_section(page)?;
    man.render_options_section(page)?;
    writeln!(page, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub = if sub.get_name() == "add" {
            sub.clone().after_long_help(crate::fields_help::all_kinds())
        } else {
            sub.clone()
        };
        command_section(&sub, page)?;
    }
    writeln!(page, ".SH NOTES")?;
    preformatted(crate::args::AFTER_HELP, page)?;
    man.render_version_section(page)
}

/// One command of the page, as a subsection: its synopsis, what it does, its arguments, and
/// the notes of its long help.
fn command_section(sub: &clap::Command, page: &mut Vec<u8>) -> std::io::Result<()> {
    let name = format!("tokentray {}", sub.get_name());
    writeln!(page, ".SS \"{name}\"")?;
    let man = clap_mangen::Man::new(sub.clone().bin_name(name));
    let mut text = Vec::new();
    man.render_synopsis_section(&mut text)?;
    man.render_description_section(&mut text)?;
    man.render_options_section(&mut text)?;
    // The command's own sections become paragraphs of its subsection.
    for line in String::from_utf8_lossy(&text).lines() {
        if line.starts_with(".SH ") {
            writeln!(page, ".PP")?;
        } else {
            writeln!(page, "{line}")?;
        }
    }
    if let Some(notes) = sub.get_after_long_help().or_else(|| sub.get_after_help()) {
        writeln!(page, ".PP")?;
        preformatted(&notes.to_string(), page)?;
    }
    Ok(())
}

/// Text laid out by hand (examples, field lists), kept as it is: no filling, no adjusting.
fn preformatted(text: &str, page: &mut Vec<u8>) -> std::io::Result<()> {
    writeln!(page, ".nf")?;
    for line in text.lines() {
        let escaped = line.replace('\\', "\\e").replace('-', "\\-");
        let guard = if escaped.starts_with(['.', '\'']) {
            "\\&"
        } else {
            ""
        };
        writeln!(page, "{guard}{escaped}")?;
    }
    writeln!(page, ".fi")
}

/// The page as plain ASCII roff: every non-ASCII character as a groff `\[uXXXX]` escape (so
/// `groff` reads it without `preconv`), and the apostrophe string defined once.
fn plain_roff(page: &str) -> String {
    const AQ: [&str; 2] = [".ie \\n(.g .ds Aq \\(aq", ".el .ds Aq '"];
    let mut out = String::with_capacity(page.len());
    let mut defined = false;
    for line in page.lines() {
        if AQ.contains(&line) {
            if defined {
                continue;
            }
            if line == AQ[1] {
                defined = true;
            }
        }
        for c in line.chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                let _ = write!(out, "\\[u{:04X}]", u32::from(c));
            }
        }
        out.push('\n');
    }
    out
}
