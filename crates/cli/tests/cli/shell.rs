//! `tokentray completions SHELL` and `tokentray man`: each completion script passes its shell's
//! own syntax check and, loaded into that shell, completes the subcommands; the man page renders
//! without a warning and names every command. The shells and groff come from `setup.sh --test`;
//! with `TOKENTRAY_REQUIRE_TOOLS=1` (as `test.sh` sets) a missing one fails the test.

use std::path::Path;
use std::process::Command as Process;

use crate::{Home, stderr, stdout};

/// Every subcommand a person may type (`man` is hidden).
const COMMANDS: &[&str] = &[
    "add",
    "edit",
    "list",
    "show",
    "login",
    "token",
    "exec",
    "whoami",
    "refresh",
    "logout",
    "remove",
    "import",
    "export",
    "audit",
    "serve",
    "doctor",
    "completions",
];

/// Whether `program` can be run; panics when it cannot and the tools are required.
pub(crate) fn have(program: &str) -> bool {
    let found = Process::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let required = std::env::var("TOKENTRAY_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    assert!(
        found || !required,
        "TOKENTRAY_REQUIRE_TOOLS=1 but {program} is not installed (tests/scripts/setup.sh --test installs it)"
    );
    if !found {
        eprintln!("skipping: {program} is not installed (tests/scripts/setup.sh --test)");
    }
    found
}

/// The script `tokentray completions shell` prints, saved in `dir`.
fn script(home: &Home, shell: &str) -> std::path::PathBuf {
    let o = home.run(&["completions", shell]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let path = home.path().join(format!("tokentray.{shell}"));
    std::fs::write(&path, o.stdout).unwrap();
    path
}

fn run_shell(program: &str, args: &[&str]) -> (bool, String, String) {
    let o = Process::new(program).args(args).output().unwrap();
    (o.status.success(), stdout(&o), stderr(&o))
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_bash_script_passes_bash_n_and_completes_subcommands_and_options() {
    if !have("bash") {
        return;
    }
    let home = Home::new();
    let file = script(&home, "bash");
    let (ok, _, err) = run_shell("bash", &["-n", path_str(&file)]);
    assert!(ok, "bash -n: {err}");
    // Source it and call the function it registered for `tokentray`, as bash does on Tab.
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let code = format!(
            "source {}; fn=$(complete -p tokentray | sed -E 's/.*-F ([^ ]+).*/\\1/'); \
             COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; COMP_WORDS=({words}); \
             COMP_CWORD={cword}; \"$fn\" tokentray '{last}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path_str(&file),
            words = words.join(" "),
            cword = words.len() - 1,
            last = words[words.len() - 1],
            prev = words[words.len() - 2],
        );
        let (ok, out, err) = run_shell("bash", &["-c", &code]);
        assert!(ok, "{err}");
        out.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(complete("tokentray to"), ["token"]);
    let all = complete("tokentray ");
    for c in COMMANDS {
        assert!(all.iter().any(|w| w == c), "{c} not among {all:?}");
    }
    let formats = complete("tokentray token api --format ");
    assert!(formats.iter().any(|w| w == "json"), "{formats:?}");
}

#[test]
fn the_zsh_script_passes_zsh_n_and_registers_its_completion() {
    if !have("zsh") {
        return;
    }
    let home = Home::new();
    let file = script(&home, "zsh");
    let (ok, _, err) = run_shell("zsh", &["-n", path_str(&file)]);
    assert!(ok, "zsh -n: {err}");
    // Loaded after compinit, as a completion file is, it names the completer for tokentray and
    // lists every command in it.
    let code = format!(
        "autoload -U compinit && compinit -u -D && source {} && print -r -- $_comps[tokentray] && \
         functions _tokentray_commands",
        path_str(&file)
    );
    let (ok, out, err) = run_shell("zsh", &["-f", "-c", &code]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().next(), Some("_tokentray"), "{out}");
    for c in COMMANDS {
        assert!(out.contains(&format!("'{c}:")), "{c} not in {out}");
    }
}

#[test]
fn the_fish_script_passes_fish_no_execute_and_completes_subcommands() {
    if !have("fish") {
        return;
    }
    let home = Home::new();
    let file = script(&home, "fish");
    let (ok, _, err) = run_shell("fish", &["--no-execute", path_str(&file)]);
    assert!(ok, "fish --no-execute: {err}");
    let complete = |line: &str| {
        let code = format!("source {}; complete -C '{line}'", path_str(&file));
        let (ok, out, err) = run_shell("fish", &["--no-config", "-c", &code]);
        assert!(ok, "{err}");
        out.lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(complete("tokentray to"), ["token"]);
    let all = complete("tokentray ");
    for c in COMMANDS {
        assert!(all.iter().any(|w| w == c), "{c} not among {all:?}");
    }
    let mut formats = complete("tokentray token api --format ");
    formats.sort();
    assert_eq!(formats, ["header", "json", "raw"]);
}

#[test]
fn the_powershell_script_registers_a_completer_that_knows_every_command() {
    // PowerShell is not in Debian's archive: the script's content is what can be checked here.
    let home = Home::new();
    let text = std::fs::read_to_string(script(&home, "powershell")).unwrap();
    assert!(
        text.contains("Register-ArgumentCompleter -Native -CommandName 'tokentray'"),
        "{text}"
    );
    for c in COMMANDS {
        assert!(
            text.contains(&format!("[CompletionResult]::new('{c}'")),
            "{c} missing"
        );
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error_in_plain_text() {
    let home = Home::new();
    let o = home
        .cmd()
        .env_remove("NO_COLOR")
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    assert!(
        err.contains("invalid value 'tcsh'") && err.contains("powershell"),
        "{err}"
    );
    assert!(
        !err.contains('\u{1b}'),
        "no colour codes when stderr is not a terminal: {err:?}"
    );
}

#[test]
fn the_man_page_renders_without_warnings_and_names_every_command() {
    if !have("groff") {
        return;
    }
    let home = Home::new();
    let o = home.run(&["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = home.path().join("tokentray.1");
    std::fs::write(&page, &o.stdout).unwrap();
    assert!(stdout(&o).starts_with(".ie") || stdout(&o).starts_with(".TH"));
    // -ww: every warning; -z: no output, only the check. The page is plain ASCII roff.
    let (ok, _, warnings) = run_shell("groff", &["-man", "-Tutf8", "-ww", "-z", path_str(&page)]);
    assert!(ok && warnings.is_empty(), "groff warns: {warnings}");
    let o = Process::new("groff")
        .args(["-man", "-Tutf8", "-P", "-cbou", path_str(&page)])
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(
        text.contains("tokentray(1)") && text.contains("SYNOPSIS"),
        "{text}"
    );
    for c in COMMANDS {
        assert!(
            text.contains(&format!("tokentray {c}")),
            "{c} not in the page"
        );
    }
    assert!(!text.contains("tokentray man"), "man is hidden");
    // The fields of every kind (the long help of `add`) and the exit codes are in it.
    assert!(
        text.contains("Kind oauth2") && text.contains("--client-secret"),
        "{text}"
    );
    assert!(text.contains("3 unknown connection"), "{text}");
}
