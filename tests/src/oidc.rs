//! A real OpenID provider (the npm package `oidc-provider`) started on loopback for a test.
//! Its code lives in `tests/servers/oidc-provider`; the test command installs its packages.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running provider; killed on drop.
pub struct OidcProvider {
    /// Its own `http://127.0.0.1:PORT`, which is also its issuer unless `OP_ISSUER` names
    /// another (a TLS front).
    pub issuer: String,
    _child: Child,
}

fn server_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("servers/oidc-provider")
}

impl OidcProvider {
    /// Starts the provider with extra environment (e.g. `OP_ROTATE_REFRESH=1`). Returns `None`
    /// (after printing why) when Node or the packages are missing, unless
    /// `TOKENTRAY_REQUIRE_OIDC=1`, in which case it panics: CI must never skip these.
    pub async fn start(env: &[(&str, &str)]) -> Option<Self> {
        let dir = server_dir();
        let ready = dir.join("node_modules/oidc-provider").exists();
        let required = std::env::var("TOKENTRAY_REQUIRE_OIDC").is_ok_and(|v| v == "1");
        if !ready {
            assert!(
                !required,
                "oidc-provider is not installed in {}: run `npm ci` there",
                dir.display()
            );
            eprintln!(
                "skipping: oidc-provider is not installed (run `npm ci` in tests/servers/oidc-provider)"
            );
            return None;
        }
        let mut cmd = Command::new("node");
        cmd.arg("server.mjs")
            .current_dir(&dir)
            .env("OP_PORT", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start node");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        while let Some(line) = lines.next_line().await.expect("read provider output") {
            if let Some(url) = line.strip_prefix("oidc-provider listening on ") {
                let issuer = url.trim().to_owned();
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                return Some(Self {
                    issuer,
                    _child: child,
                });
            }
        }
        panic!("oidc-provider exited before it was ready");
    }

    /// A refresh token for `client_id`, minted for alice with the default scope (openid
    /// included) through the provider's test-only route, without a browser.
    pub async fn mint_refresh_token(&self, client_id: &str) -> String {
        let body: serde_json::Value = reqwest::Client::builder()
            .build()
            .expect("an HTTP client")
            .post(format!("{}/__test/refresh-token", self.issuer))
            .json(&serde_json::json!({"client_id": client_id, "scope": "openid offline_access profile email", "account": "alice"}))
            .send()
            .await
            .expect("the provider answers")
            .json()
            .await
            .expect("JSON");
        body["refresh_token"]
            .as_str()
            .expect("a refresh token")
            .to_owned()
    }
}
