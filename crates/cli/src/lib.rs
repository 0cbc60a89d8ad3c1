//! The `tokentray` command line: parses arguments, builds an `Engine` over the OS keychain, and
//! turns results into text, JSON and exit codes. It links no GUI library.

mod args;
mod commands;
mod daemon;
mod exit;
mod fields_help;
mod input;
mod output;

use std::ffi::OsString;
use std::io::{IsTerminal as _, Write};
use std::process::ExitCode;
use std::sync::Arc;

use tokentray_engine::{Engine, EngineOptions, Paths};

pub use exit::CliError;

use crate::args::{Cli, Command};

/// Runs the command line with the process's arguments, stdout and stderr.
pub fn main() -> ExitCode {
    // Not locked for the whole run: log lines from other threads write to stderr too.
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let code = run(std::env::args_os(), &mut out, &mut err);
    let _ = out.flush();
    ExitCode::from(code)
}

fn init_logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("TOKENTRAY_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(tokentray_engine::DEFAULT_LOG_FILTER)
        });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::env::var_os("NO_COLOR").is_none())
        .try_init();
}

/// Runs one command; returns the exit code (0 ok, 1 other, 2 usage, 3 unknown connection,
/// 4 needs login, 5 provider or network error, 6 secret store unavailable).
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let mut cli = match parse(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Colour only for a person at a terminal that wants it; scripts get plain text.
            let rendered = e.render();
            let _ = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
                write!(err, "{}", rendered.ansi())
            } else {
                write!(err, "{rendered}")
            };
            return if e.use_stderr() { exit::USAGE } else { 0 };
        }
    };
    // Text generated from the command line's definition: no engine, no files.
    let generated = match &cli.command {
        Command::Completions(a) => Some(commands::shell::completions(a.shell, out)),
        Command::Man => Some(commands::shell::man(out)),
        Command::GitCredential(a) if a.operation != args::GitOperation::Get => {
            Some(commands::git::ignore())
        }
        _ => None,
    };
    if let Some(done) = generated {
        return finish(done, err);
    }
    if let Command::Token(a) = &mut cli.command
        && let Err(e) = commands::tokens::resolve_rejected(a, err)
    {
        let _ = writeln!(err, "error: {e}");
        return e.exit_code();
    }
    // The fast path first: asking a running Tokentray needs no logging, runtime or keychain.
    if let Some(code) = commands::delegate::try_daemon(&cli.command, out, err) {
        return code;
    }
    init_logging();
    // `serve` answers many clients at once; every other command is one short task.
    let runtime = if matches!(cli.command, Command::Serve(_)) {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(err, "error: could not start: {e}");
            return 1;
        }
    };
    finish(runtime.block_on(dispatch(cli.command, out, err)), err)
}

/// The exit code of a command's result, with its error (if any) on stderr.
fn finish(result: Result<(), CliError>, err: &mut dyn Write) -> u8 {
    match result {
        Ok(()) => 0,
        Err(CliError::Exit(code)) => code,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            e.exit_code()
        }
    }
}

/// Parses the arguments. The long help of `add` (every kind's fields) is generated only when
/// some help is asked for: `tokentray token` should not pay for it.
fn parse(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory as _, FromArgMatches as _};
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let wants_help = args
        .iter()
        .skip(1)
        .any(|a| a == "--help" || a == "-h" || a == "help");
    let mut command = Cli::command();
    if wants_help {
        command = command.mut_subcommand("add", |add| {
            add.after_long_help(crate::fields_help::all_kinds())
        });
    }
    let matches = command.try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

/// Builds the engine the commands share: files under `TOKENTRAY_HOME` or the platform
/// directories, secrets in the store the user chose (the keychain unless they opted out).
fn engine() -> Result<Engine, CliError> {
    let paths = Paths::from_env().ok_or(CliError::NoHome)?;
    let settings = tokentray_engine::ConfigFile::default().app;
    let probe = Engine::new(EngineOptions::new(paths.clone(), Arc::new(NoStore)));
    let settings = probe.config().map_or(settings, |c| c.app.clone());
    let store = tokentray_keychain::open_store(&paths, &settings);
    let mut options = EngineOptions::new(paths, store);
    options.browser = Arc::new(SystemBrowser);
    Ok(Engine::new(options))
}

/// Opens URLs with the command in `TOKENTRAY_BROWSER` when set (scripts, tests, a browser of
/// the person's choice; it gets the address as its only argument), else the desktop's handler
/// (`xdg-open`, `open`, `start`). For logins the engine passes the address of an owner-only
/// page that forwards to the sign-in, never the sign-in URL itself. The URL is also printed,
/// so a headless machine loses nothing when this fails.
struct SystemBrowser;

/// The variable naming a browser command (the same one the desktop app reads).
const BROWSER_ENV: &str = "TOKENTRAY_BROWSER";

impl tokentray_engine::Browser for SystemBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        let chosen = std::env::var(BROWSER_ENV)
            .ok()
            .filter(|c| !c.trim().is_empty());
        let program = chosen.as_deref().unwrap_or(if cfg!(target_os = "macos") {
            "open"
        } else if cfg!(windows) {
            "explorer"
        } else {
            "xdg-open"
        });
        std::process::Command::new(program)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map(|_| ())
            .map_err(|e| format!("could not start {program}: {e}"))
    }
}

/// A store used only to read the config before the real store is chosen.
struct NoStore;

#[async_trait::async_trait]
impl tokentray_engine::SecretStore for NoStore {
    fn info(&self) -> tokentray_engine::StoreInfo {
        tokentray_engine::StoreInfo {
            kind: tokentray_engine::StoreKind::Memory,
            location: "none".into(),
        }
    }
    async fn get(
        &self,
        _: &str,
    ) -> Result<Option<tokentray_engine::Secret>, tokentray_engine::StoreError> {
        Ok(None)
    }
    async fn put(
        &self,
        _: &str,
        _: &tokentray_engine::Secret,
    ) -> Result<(), tokentray_engine::StoreError> {
        Ok(())
    }
    async fn delete(&self, _: &str) -> Result<bool, tokentray_engine::StoreError> {
        Ok(false)
    }
}

async fn dispatch(
    command: Command,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let engine = engine()?;
    match command {
        Command::Add(a) => commands::connections::add(&engine, a, out, err).await,
        Command::Edit(a) => commands::connections::edit(&engine, a, out, err).await,
        Command::List(a) => commands::connections::list(&engine, &a, out),
        Command::Show(a) => commands::connections::show(&engine, &a, out).await,
        Command::Remove(a) => commands::connections::remove(&engine, &a, out).await,
        Command::Import(a) => commands::connections::import(&engine, &a, out).await,
        Command::Export(a) => commands::connections::export(&engine, &a, out),
        Command::Login(a) => commands::tokens::login(&engine, a, out, err).await,
        Command::Token(a) => commands::tokens::token(&engine, &a, out).await,
        Command::Whoami(a) => commands::tokens::whoami(&engine, &a, out).await,
        Command::Exec(a) => commands::exec::run(&engine, a).await,
        Command::Audit(a) => commands::tokens::audit(&engine, &a, out),
        Command::Serve(a) => commands::serve::run(&engine, &a, out, err).await,
        Command::Refresh(a) => commands::tokens::refresh(&engine, &a, out, err).await,
        Command::Logout(a) => commands::tokens::logout(&engine, &a, out, err).await,
        Command::Doctor(a) => commands::doctor::run(&engine, &a, out).await,
        Command::GitCredential(a) => commands::git::get(&engine, &a, out, err).await,
        Command::Completions(_) | Command::Man => Ok(()), // answered in `run`
    }
}

#[cfg(test)]
mod tests {
    /// Runs the command line in-process; help comes through the error writer, with exit 0.
    fn help(args: &[&str]) -> String {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(super::run(args.iter().copied(), &mut out, &mut err), 0);
        format!(
            "{}{}",
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&err)
        )
    }

    #[test]
    fn the_fields_of_every_kind_are_in_the_long_help_of_add_only() {
        for args in [["tokentray", "add", "--help"], ["tokentray", "help", "add"]] {
            let text = help(&args);
            assert!(
                text.contains("Kind oauth2") && text.contains("Kind static"),
                "{text}"
            );
        }
        let text = help(&["tokentray", "--help"]);
        assert!(
            text.contains("tokentray") && !text.contains("Kind oauth2"),
            "{text}"
        );
    }
}
