//! "Try the sandbox": local demo providers on a fixed loopback port, and demo connections
//! against them, so a newcomer can watch a login, the countdown, renewals and the export
//! endpoint work without any account. The providers are the `tokentray-sandbox` program (the
//! same sandbox the tests use), shipped beside the app and started as its sidecar; the app
//! does not link them. They start again with the app whenever a connection still points at
//! them, and stop with it: killed when the app quits, and on their own when the app dies
//! another way (they stop when their standard input, a pipe from the app, closes).

use std::time::Duration;

use tauri::AppHandle;
use tauri_plugin_shell::ShellExt;
use tauri_plugin_shell::process::{CommandChild, CommandEvent};
use tokentray_engine::{Credentials, Engine, LoginInput, ProviderKind, Secret};

/// The demo providers' port: fixed, so demo connections keep working across restarts.
pub(crate) const DEMO_PORT: u16 = 47211;

/// The sidecar program, installed next to the app (`bundle.externalBin`; in a development
/// build, cargo's own `tokentray-sandbox` in the same target directory).
const SIDECAR: &str = "tokentray-sandbox";

/// How long the providers may take to say they listen.
const READY_WITHIN: Duration = Duration::from_secs(15);

/// The line the sandbox prints once it listens, before its URL.
const READY_LINE: &str = "tokentray-sandbox listening on ";

/// The demo providers' base URL.
pub(crate) fn base_url() -> String {
    format!("http://127.0.0.1:{DEMO_PORT}/")
}

/// Whether any connection still uses the demo providers.
pub(crate) fn in_use(engine: &Engine) -> bool {
    let base = base_url();
    engine.config().is_ok_and(|config| {
        config.connections.iter().any(|spec| {
            spec.settings
                .iter()
                .any(|(_, value)| value.to_string().starts_with(&base))
        })
    })
}

/// Why the demo providers did not start, in words for the window.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error(
        "the demo providers are missing: {SIDECAR} could not be started ({0}); reinstall Tokentray, or in a development checkout build it with `cargo build -p tokentray-sandbox`"
    )]
    Missing(String),
    #[error(
        "the demo providers could not listen on port {DEMO_PORT} ({0}); close whatever uses that port and try again"
    )]
    Port(String),
    #[error("the demo providers stopped before they were ready ({0})")]
    Stopped(String),
    #[error("the demo providers did not say they were ready within {READY_WITHIN:?}")]
    NotReady,
}

/// The running demo providers: the sidecar process and the URL it listens on.
pub(crate) struct Providers {
    child: Option<CommandChild>,
    url: String,
}

impl Providers {
    /// The providers' base URL, as the sidecar announced it.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Stops the sidecar and waits for it to exit.
    pub(crate) fn stop(mut self) {
        if let Some(child) = self.child.take()
            && let Err(error) = child.kill()
        {
            tracing::warn!(%error, "could not stop the demo providers");
        }
    }
}

/// Starts the demo providers (the `tokentray-sandbox` sidecar on [`DEMO_PORT`]) and waits until
/// they say they listen.
pub(crate) async fn start(app: &AppHandle) -> Result<Providers, StartError> {
    let command = app
        .shell()
        .sidecar(SIDECAR)
        .map_err(|e| StartError::Missing(e.to_string()))?
        .args(["--port", &DEMO_PORT.to_string()])
        // Dropped without `stop` (a panic, an early return): the process goes too.
        .kill_on_drop(true);
    let (mut events, child) = command
        .spawn()
        .map_err(|e| StartError::Missing(e.to_string()))?;
    let mut stderr = String::new();
    let ready = tokio::time::timeout(READY_WITHIN, async {
        while let Some(event) = events.recv().await {
            match event {
                CommandEvent::Stdout(line) => {
                    if let Some(url) = ready_url(&line) {
                        return Ok(url);
                    }
                }
                CommandEvent::Stderr(line) => stderr.push_str(&String::from_utf8_lossy(&line)),
                CommandEvent::Error(error) => return Err(StartError::Stopped(error)),
                CommandEvent::Terminated(_) => break,
                _ => {}
            }
        }
        Err(ended(stderr.trim()))
    })
    .await;
    let url = match ready {
        Ok(Ok(url)) => url,
        Ok(Err(error)) => return Err(error),
        Err(_) => {
            let _ = child.kill();
            return Err(StartError::NotReady);
        }
    };
    tracing::info!(%url, pid = child.pid(), "the demo providers listen");
    tauri::async_runtime::spawn(watch(events));
    Ok(Providers {
        child: Some(child),
        url,
    })
}

/// The sidecar's URL from its ready line.
fn ready_url(line: &[u8]) -> Option<String> {
    let line = String::from_utf8_lossy(line);
    line.trim()
        .strip_prefix(READY_LINE)
        .map(|url| url.trim().to_owned())
}

/// What a sidecar that exited before its ready line said.
fn ended(stderr: &str) -> StartError {
    let why = stderr
        .strip_prefix("tokentray-sandbox: could not serve: ")
        .unwrap_or(stderr);
    if why.contains("in use") {
        StartError::Port(why.to_owned())
    } else if why.is_empty() {
        StartError::Stopped("it exited without a word".to_owned())
    } else {
        StartError::Stopped(why.to_owned())
    }
}

/// Keeps reading the sidecar's output (a full pipe would block it) and logs its end.
async fn watch(mut events: tauri::async_runtime::Receiver<CommandEvent>) {
    while let Some(event) = events.recv().await {
        match event {
            CommandEvent::Stderr(line) => {
                tracing::warn!(line = %String::from_utf8_lossy(&line).trim(), "demo providers");
            }
            CommandEvent::Terminated(status) => {
                tracing::info!(code = ?status.code, signal = ?status.signal, "the demo providers stopped");
            }
            _ => {}
        }
    }
}

/// The providers' issuers and base URLs below `base` (as `tokentray-sandbox` serves them).
struct Issuers {
    oauth: String,
    portal: String,
    itk: String,
    keycloak_token: String,
}

impl Issuers {
    fn under(base: &str) -> Self {
        let base = if base.ends_with('/') {
            base.to_owned()
        } else {
            format!("{base}/")
        };
        Self {
            oauth: format!("{base}oauth"),
            portal: format!("{base}arcgis"),
            itk: format!("{base}itk/oidc/"),
            keycloak_token: format!("{base}keycloak/realms/demo/protocol/openid-connect/token"),
        }
    }
}

struct DemoConnection {
    name: &'static str,
    kind: ProviderKind,
    settings: Vec<(String, String)>,
    secrets: Vec<(&'static str, &'static str)>,
    /// Whether it can log in at once, without a person.
    unattended: bool,
}

fn set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn connections(base: &str) -> Vec<DemoConnection> {
    let Issuers {
        oauth,
        portal,
        itk,
        keycloak_token: keycloak,
    } = Issuers::under(base);
    vec![
        DemoConnection {
            name: "demo-api",
            kind: ProviderKind::Oauth2,
            settings: set(&[
                ("label", "Demo API (client credentials)"),
                ("issuer", &oauth),
                ("grant", "client_credentials"),
                ("client_id", "demo-cc"),
            ]),
            secrets: vec![("client_secret", "demo-cc-secret")],
            unattended: true,
        },
        DemoConnection {
            name: "demo-itk",
            kind: ProviderKind::Itkpd,
            settings: set(&[
                ("label", "Demo ITk Production Database"),
                ("auth_url", &itk),
            ]),
            secrets: vec![
                ("access_code1", "jane-code-1"),
                ("access_code2", "jane-code-2"),
            ],
            unattended: true,
        },
        DemoConnection {
            name: "demo-arcgis",
            kind: ProviderKind::ArcgisOauth,
            settings: set(&[
                (
                    "label",
                    "Demo ArcGIS (browser login: gis-analyst / contours)",
                ),
                ("portal_url", &portal),
                ("grant", "authorization_code"),
                ("client_id", "tt-arcgis-app"),
            ]),
            secrets: Vec::new(),
            unattended: false,
        },
        DemoConnection {
            name: "demo-copernicus",
            kind: ProviderKind::Cdse,
            settings: set(&[
                (
                    "label",
                    "Demo Copernicus (grace / hopper, one-time code 424242)",
                ),
                ("token_url", &keycloak),
                ("username", "grace"),
            ]),
            secrets: vec![("password", "hopper")],
            unattended: false,
        },
    ]
}

/// Adds the demo connections that do not exist yet and logs in those that need no person.
/// Returns the names added.
pub(crate) async fn add_connections(engine: &Engine, base: &str) -> Vec<String> {
    let existing: Vec<String> = engine
        .list()
        .map(|l| l.into_iter().map(|v| v.name.to_string()).collect())
        .unwrap_or_default();
    let mut added = Vec::new();
    for demo in connections(base) {
        if existing.iter().any(|n| n == demo.name) {
            continue;
        }
        let name = tokentray_engine::ConnectionName::new(demo.name)
            .expect("the demo's names are valid connection names");
        let mut secrets = Credentials::new();
        for (field, value) in &demo.secrets {
            secrets.set(*field, Secret::new(*value));
        }
        match engine
            .manage()
            .add(&name, demo.kind, &demo.settings, secrets)
            .await
        {
            Ok(_) => added.push(demo.name.to_owned()),
            Err(error) => {
                tracing::warn!(connection = demo.name, %error, "could not add a demo connection");
                continue;
            }
        }
        if demo.unattended
            && let Err(error) = engine
                .logins()
                .with_credentials(&name, LoginInput::default())
                .await
        {
            tracing::warn!(connection = demo.name, %error, "demo login failed");
        }
    }
    added
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokentray_engine::{EngineOptions, Paths, Status, testing::MemorySecretStore};
    use tokentray_sandbox::{Provider, Sandbox};

    use super::*;

    #[tokio::test]
    async fn the_demo_adds_working_connections_once() {
        let home = tempfile::tempdir().unwrap();
        let engine = Engine::new(EngineOptions::new(
            Paths::under(home.path()),
            Arc::new(MemorySecretStore::new()),
        ));
        // An ephemeral port: the fixed one may be in use on a developer's machine.
        let sandbox = Sandbox::start().await.unwrap();
        let base = sandbox.url().to_string();
        let added = add_connections(&engine, &base).await;
        assert_eq!(
            added,
            ["demo-api", "demo-itk", "demo-arcgis", "demo-copernicus"]
        );
        for name in ["demo-api", "demo-itk"] {
            let view = engine.view(&tokentray_engine::testing::conn(name)).unwrap();
            assert_eq!(view.status, Status::Active, "{name}: {:?}", view.last_error);
            assert!(view.identity.is_some(), "{name} knows who it is");
        }
        assert_eq!(
            engine
                .view(&tokentray_engine::testing::conn("demo-arcgis"))
                .unwrap()
                .status,
            Status::SignedOut
        );
        assert!(
            add_connections(&engine, &base).await.is_empty(),
            "a second click adds nothing"
        );
    }

    #[tokio::test]
    async fn the_issuers_are_where_the_sandbox_serves_them() {
        let sandbox = Sandbox::start().await.unwrap();
        let issuers = Issuers::under(sandbox.url().as_str());
        assert_eq!(issuers.oauth, sandbox.issuer(Provider::OAuth).as_str());
        assert_eq!(issuers.portal, sandbox.issuer(Provider::Arcgis).as_str());
        assert_eq!(issuers.itk, sandbox.issuer(Provider::Itk).as_str());
        assert_eq!(
            issuers.keycloak_token,
            format!(
                "{}/protocol/openid-connect/token",
                sandbox.issuer(Provider::Keycloak)
            )
        );
        sandbox.shutdown().await;
    }

    #[test]
    fn the_ready_line_gives_the_url_and_a_failure_is_named() {
        assert_eq!(
            ready_url(b"tokentray-sandbox listening on http://127.0.0.1:47211/\n").as_deref(),
            Some("http://127.0.0.1:47211/")
        );
        assert_eq!(ready_url(b"something else"), None);
        let taken =
            ended("tokentray-sandbox: could not serve: Address already in use (os error 98)");
        assert!(matches!(taken, StartError::Port(_)), "{taken}");
        assert!(taken.to_string().contains("47211"), "{taken}");
        assert!(matches!(ended(""), StartError::Stopped(_)));
    }
}
