//! The command line's shape. Connection fields are not clap arguments: they differ per kind,
//! so `add` and `edit` take them as trailing `--field-name value` pairs checked against the
//! engine's field table (the same one the app's forms use).

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Tokentray: fresh API tokens for every tool, from the OS keychain.
#[derive(Debug, Parser)]
#[command(name = "tokentray", version, about, long_about = None, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

pub(crate) const AFTER_HELP: &str = "Examples:
  tokentray add api --kind oauth2 --issuer https://idp.example --grant client_credentials --client-id cli
  tokentray token api                      # prints only the token
  curl -H \"$(tokentray token api --format header)\" https://api.example/v1/me
  tokentray list

Data lives in the OS config and data directories (or under $TOKENTRAY_HOME); secrets live in
the OS keychain. Exit codes: 0 ok, 1 other error, 2 usage, 3 unknown connection, 4 needs login,
5 provider or network error, 6 secret store unavailable.";

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Add a connection: `tokentray add NAME --kind KIND --field value…`
    // Its long help lists every kind's fields; `crate::parse` adds it only when help is asked
    // for, so that building it does not slow down every other command.
    Add(AddArgs),
    /// Change fields or secrets of a connection: `tokentray edit NAME --field value…`
    Edit(EditArgs),
    /// List the connections
    List(JsonFlag),
    /// Show one connection's settings and state (never its secrets)
    Show(NameJson),
    /// Log in: run the connection's token flow now
    Login(LoginArgs),
    /// Print a fresh token (and nothing else) on stdout
    Token(TokenArgs),
    /// Run a command with a fresh token in `BEARER_TOKEN` and `TOKENTRAY_HEADER`
    Exec(ExecArgs),
    /// Ask the service who the token belongs to
    Whoami(NameJson),
    /// Renew the token now
    Refresh(NameJson),
    /// Forget the tokens (keeping credentials) and revoke them where possible
    Logout(Name),
    /// Remove a connection and delete its secrets
    Remove(Name),
    /// Add connection definitions (no secrets) from a file written by `export`
    Import(ImportArgs),
    /// Print connection definitions without secrets
    Export(ExportArgs),
    /// Show recent token hand-outs (never the tokens)
    Audit(AuditArgs),
    /// Run headless: refresh in the background and serve the local export endpoint
    Serve(ServeArgs),
    /// Check the keychain, files and connections, and say what to fix
    Doctor(DoctorArgs),
    /// A git credential helper: `git config credential.helper "!tokentray git-credential NAME"`
    GitCredential(GitCredentialArgs),
    /// Print a completion script for a shell: `tokentray completions bash`
    Completions(CompletionsArgs),
    /// Print the tokentray(1) man page (roff)
    #[command(hide = true)]
    Man,
}

#[derive(Debug, Args)]
pub(crate) struct Name {
    /// The connection's name
    pub name: String,
}

#[derive(Debug, Args)]
pub(crate) struct JsonFlag {
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct NameJson {
    /// The connection's name
    pub name: String,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub(crate) struct AddArgs {
    /// The new connection's name (lowercase letters, digits and dashes)
    pub name: String,
    /// The provider kind
    #[arg(long, value_parser = crate::fields_help::kind_parser())]
    pub kind: String,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
    /// Fields as `--field-name value` pairs (see below)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "--FIELD VALUE"
    )]
    pub fields: Vec<String>,
}

#[derive(Args)]
pub(crate) struct EditArgs {
    /// The connection's name
    pub name: String,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
    /// Fields as `--field-name value` pairs; an empty value clears a field. Changing where
    /// secrets are sent (a token/authorize/issuer/portal URL, proxy, TLS or redirect setting)
    /// deletes the stored secrets and tokens: give them again in the same command
    /// ($TOKENTRAY_<FIELD> or the prompt), or store them later
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "--FIELD VALUE"
    )]
    pub fields: Vec<String>,
}

#[derive(Args)]
pub(crate) struct LoginArgs {
    /// The connection's name
    pub name: String,
    /// A one-time code for accounts with two-factor authentication (never stored)
    #[arg(long)]
    pub totp: Option<String>,
    /// How a browser login comes back
    #[arg(long, value_enum)]
    pub redirect: Option<Redirect>,
    /// Print the URL to open instead of opening a browser
    #[arg(long)]
    pub no_browser: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Redirect {
    Auto,
    Loopback,
    DeepLink,
    Oob,
}

impl Redirect {
    pub(crate) fn mode(self) -> tokentray_engine::RedirectMode {
        match self {
            Self::Auto => tokentray_engine::RedirectMode::Auto,
            Self::Loopback => tokentray_engine::RedirectMode::Loopback,
            Self::DeepLink => tokentray_engine::RedirectMode::DeepLink,
            Self::Oob => tokentray_engine::RedirectMode::Oob,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub(crate) enum TokenFormat {
    /// The token alone
    #[default]
    Raw,
    /// The token with its expiry, header and identity
    Json,
    /// A whole HTTP header line, e.g. `Authorization: Bearer …`
    Header,
}

#[derive(Args)]
pub(crate) struct TokenArgs {
    /// The connection's name
    pub name: String,
    /// Renew first unless the token stays valid at least this many seconds
    #[arg(long, value_name = "SECS")]
    pub min_valid: Option<u64>,
    /// What to print
    #[arg(long, value_enum, default_value_t)]
    pub format: TokenFormat,
    /// The token the API just refused (HTTP 401, ArcGIS 498): renewed once if it is still the
    /// current one, else the current token is printed. `-` reads it from stdin (keeps it off
    /// the command line); `TOKENTRAY_REJECTED` works too. Only its SHA-256 is used
    #[arg(long, value_name = "TOKEN")]
    pub rejected: Option<String>,
    /// The SHA-256 (hex) of the refused token, worked out before anything else runs
    #[arg(skip)]
    pub rejected_sha256: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    /// The connection's name
    pub name: String,
    /// Renew first unless the token stays valid at least this many seconds
    #[arg(long, value_name = "SECS")]
    pub min_valid: Option<u64>,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The port on 127.0.0.1 (default 47210, or the config's `export_port`). A port set here or
    /// in the config must be free: when it is taken, serve stops with an error instead of
    /// listening elsewhere (the default port falls back to a free one, with a warning)
    #[arg(long)]
    pub port: Option<u16>,
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// How many of the newest hand-outs to show
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// A TOML file written by `tokentray export` (`-` for standard input)
    pub file: String,
    /// Keep the token files the definitions name (without it they are left out and listed)
    #[arg(long)]
    pub with_token_files: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The connections to export (all when none are named)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    /// Keep secrets in an owner-only file instead of the keychain (explicit opt-in)
    #[arg(long, conflicts_with = "use_keychain")]
    pub use_file_store: bool,
    /// Keep secrets in the OS keychain (the default)
    #[arg(long)]
    pub use_keychain: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The shells `completions` writes scripts for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

impl From<Shell> for clap_complete::Shell {
    fn from(shell: Shell) -> Self {
        match shell {
            Shell::Bash => Self::Bash,
            Shell::Zsh => Self::Zsh,
            Shell::Fish => Self::Fish,
            Shell::Powershell => Self::PowerShell,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct GitCredentialArgs {
    /// The connection's name
    pub name: String,
    /// What git asks: `get` answers with the token for the connection's own hosts; `store`
    /// and `erase` do nothing (Tokentray keeps the token fresh itself)
    #[arg(value_enum)]
    pub operation: GitOperation,
    /// Another host (`HOST` or `HOST:PORT`) this connection's token is for, besides the hosts
    /// of its own URLs; repeat for more
    #[arg(long = "host", value_name = "HOST[:PORT]")]
    pub hosts: Vec<String>,
    /// The user name to give with a bearer token (default `oauth2`; a basic connection gives
    /// its own user name)
    #[arg(long)]
    pub username: Option<String>,
    /// Renew first unless the token stays valid at least this many seconds
    #[arg(long, value_name = "SECS")]
    pub min_valid: Option<u64>,
}

/// The operations of git's credential helper protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GitOperation {
    Get,
    Store,
    Erase,
}

// Arguments that may hold secrets (`--client-secret VALUE`, `--password VALUE`, `--token
// VALUE`, a TOTP code) print `[REDACTED]` for them, so no `{:?}` of a command line shows one.

/// What `Debug` shows in place of values that may be secret.
struct Redacted(usize);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[REDACTED; {} words]", self.0)
    }
}

impl std::fmt::Debug for AddArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddArgs")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("json", &self.json)
            .field("fields", &Redacted(self.fields.len()))
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for EditArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditArgs")
            .field("name", &self.name)
            .field("json", &self.json)
            .field("fields", &Redacted(self.fields.len()))
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for TokenArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenArgs")
            .field("name", &self.name)
            .field("min_valid", &self.min_valid)
            .field("format", &self.format)
            .field("rejected", &self.rejected.as_ref().map(|_| Redacted(1)))
            .field("rejected_sha256", &self.rejected_sha256)
            .finish()
    }
}

impl std::fmt::Debug for LoginArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginArgs")
            .field("name", &self.name)
            .field("totp", &self.totp.as_ref().map(|_| Redacted(1)))
            .field("redirect", &self.redirect)
            .field("no_browser", &self.no_browser)
            .field("json", &self.json)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    /// Every command line that can carry a secret, parsed with canaries in each secret's
    /// place: neither `{:?}` nor `{:#?}` shows one.
    #[test]
    fn debug_output_of_parsed_arguments_shows_no_secret() {
        let lines: [&[&str]; 5] = [
            &[
                "tokentray",
                "add",
                "api",
                "--kind",
                "oauth2",
                "--client-id",
                "cli",
                "--client-secret",
                "canary-secret-a1",
                "--password",
                "canary-pass-b2",
            ],
            &[
                "tokentray",
                "add",
                "key",
                "--kind",
                "static",
                "--token",
                "canary-token-c3",
            ],
            &[
                "tokentray",
                "edit",
                "api",
                "--client-secret",
                "canary-secret-d4",
                "--refresh-token",
                "canary-refresh-e5",
            ],
            &["tokentray", "login", "itk", "--totp", "canary-totp-f6"],
            &[
                "tokentray",
                "token",
                "api",
                "--rejected",
                "canary-refused-g7",
            ],
        ];
        for line in lines {
            let cli = Cli::try_parse_from(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            for shown in [format!("{cli:?}"), format!("{cli:#?}")] {
                assert!(!shown.contains("canary"), "{shown}");
                assert!(shown.contains("REDACTED"), "{shown}");
            }
        }
    }
}
