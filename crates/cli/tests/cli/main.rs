//! The real `tokentray` binary: exit codes, clean stdout, JSON output, a canary scan of
//! everything it writes, and a kill loop over `add`/`edit`. Secrets go to a real Secret
//! Service (run under `tests/scripts/with-keyring.sh`); without one these tests say so and
//! pass only when `TOKENTRAY_REQUIRE_KEYRING` is unset.

// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod canary;
mod daemon;
mod exec;
mod exit_codes;
mod fields;
mod git;
mod kill_loop;
mod kinds;
mod login;
mod rejected;
mod renewal_limit;
mod rotation;
mod serve;
mod shell;
mod tls;
mod trust;
mod vendors_round2;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// A temporary `TOKENTRAY_HOME` and a way to run the CLI in it.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Home {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("tokentray").unwrap();
        c.env("TOKENTRAY_HOME", self.path())
            .env("NO_COLOR", "1")
            .env_remove("TOKENTRAY_LOG");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Every regular file under the home.
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = entry.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.path(), &mut out);
        out
    }
}

/// Whether a Secret Service is reachable; panics when one is required and is not.
pub fn keychain_ready() -> bool {
    let home = Home::new();
    let ok = home.run(&["doctor", "--json"]).status.code() != Some(6);
    let required = std::env::var("TOKENTRAY_REQUIRE_KEYRING").is_ok_and(|v| v == "1");
    assert!(
        ok || !required,
        "TOKENTRAY_REQUIRE_KEYRING=1 but no Secret Service is reachable"
    );
    if !ok {
        eprintln!(
            "skipping: no Secret Service reachable (run under tests/scripts/with-keyring.sh)"
        );
    }
    ok
}

/// Adds `name` as an `oauth2` connection holding a freshly minted refresh token for `ada` at a
/// new public sandbox client of the same name, kept in the explicit file store (these tests are
/// about locks and processes, not the keychain's speed).
pub fn imported_refresh_token(
    home: &Home,
    sb: &tokentray_sandbox::Sandbox,
    name: &str,
    rotation: tokentray_sandbox::Rotation,
) {
    imported_refresh_token_of(
        home,
        sb,
        name,
        tokentray_sandbox::ClientConfig::public(name).rotation(rotation),
    );
}

/// [`imported_refresh_token`] at a sandbox client set up as `client` (named `name`).
pub fn imported_refresh_token_of(
    home: &Home,
    sb: &tokentray_sandbox::Sandbox,
    name: &str,
    client: tokentray_sandbox::ClientConfig,
) {
    use tokentray_sandbox::Provider;
    sb.add_client(client).unwrap();
    let rt = sb.mint_refresh_token(Provider::OAuth, name, "ada").unwrap();
    assert!(
        home.run(&["doctor", "--use-file-store"])
            .status
            .code()
            .is_some()
    );
    let issuer = format!("{}oauth", sb.url());
    let o = home
        .cmd()
        .env("TOKENTRAY_REFRESH_TOKEN", &rt)
        .args([
            "add",
            name,
            "--kind",
            "oauth2",
            "--issuer",
            &issuer,
            "--grant",
            "refresh_token",
            "--client-auth",
            "none",
            "--client-id",
            name,
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
