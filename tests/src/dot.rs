//! A second real OpenID server, set strict: django-oauth-toolkit (from `PyPI`) with OpenID Connect,
//! PKCE (S256) required, a `nonce` required with `scope=openid`, `iss` in the authorization
//! response, refresh tokens rotated (a reused one revokes the family) and registered redirect
//! URIs. Its Django project lives in `tests/servers/dot`; `tests/scripts/setup.sh --test` makes
//! its venv there.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The test account.
pub const USERNAME: &str = "alice";
/// Its password.
pub const PASSWORD: &str = "wonderland";
/// A public client for authorization code + PKCE, registered with
/// `http://127.0.0.1:<redirect_port>/callback` and `http://localhost:<redirect_port>/oauth/cb`.
pub const NATIVE_CLIENT: &str = "tt-native";
/// A confidential client for client credentials.
pub const SERVICE_CLIENT: &str = "tt-service";
/// Its secret.
pub const SERVICE_SECRET: &str = "tt-service-secret";
/// A public client for the device flow.
pub const DEVICE_CLIENT: &str = "tt-device";

/// A running server; killed on drop.
pub struct DotServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The OpenID issuer (`<base>/o`).
    pub issuer: String,
    /// The port of the registered loopback redirect URIs.
    pub redirect_port: u16,
    _child: Child,
}

fn server_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("servers/dot")
}

/// A port free right now on 127.0.0.1 (for the registered redirect URIs).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl DotServer {
    /// Starts the server. Returns `None` (after printing why) when its venv is missing, unless
    /// `TOKENTRAY_REQUIRE_DOT=1`, in which case it panics: CI must never skip these.
    pub async fn start() -> Option<Self> {
        let dir = server_dir();
        let python = dir.join(".venv/bin/python");
        let ready = dir.join(".venv/.installed").exists() && python.exists();
        let required = std::env::var("TOKENTRAY_REQUIRE_DOT").is_ok_and(|v| v == "1");
        if !ready {
            assert!(
                !required,
                "django-oauth-toolkit is not installed in {}: run `tests/scripts/setup.sh --test`",
                dir.display()
            );
            eprintln!(
                "skipping: django-oauth-toolkit is not installed (run `tests/scripts/setup.sh --test`)"
            );
            return None;
        }
        let redirect_port = free_port();
        let mut child = Command::new(python)
            .arg("serve.py")
            .arg("--redirect-port")
            .arg(redirect_port.to_string())
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the django-oauth-toolkit server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        while let Some(line) = lines.next_line().await.expect("read the server's output") {
            if let Some(url) = line.strip_prefix("dot listening on ") {
                let base = url.trim().to_owned();
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                return Some(Self {
                    issuer: format!("{base}/o"),
                    base,
                    redirect_port,
                    _child: child,
                });
            }
        }
        panic!("the django-oauth-toolkit server exited before it was ready");
    }
}
