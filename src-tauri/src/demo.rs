//! "Try the sandbox": local demo providers (the same sandbox the tests use) served by the app
//! on a fixed loopback port, and demo connections against them, so a newcomer can watch a
//! login, the countdown, renewals and the export endpoint work without any account. The
//! demo providers start again with the app whenever a connection still points at them.

use std::net::{Ipv4Addr, SocketAddr};

use tokentray_engine::{Credentials, Engine, LoginInput, ProviderKind, Secret};
use tokentray_sandbox::{Provider, Sandbox};

/// The demo providers' port: fixed, so demo connections keep working across restarts.
pub(crate) const DEMO_PORT: u16 = 47211;

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

/// Starts the demo providers.
pub(crate) async fn start() -> std::io::Result<Sandbox> {
    Sandbox::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, DEMO_PORT))).await
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

fn connections(sandbox: &Sandbox) -> Vec<DemoConnection> {
    let oauth = sandbox.issuer(Provider::OAuth).to_string();
    let portal = sandbox
        .issuer(Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let itk = sandbox.issuer(Provider::Itk).to_string();
    let keycloak = format!(
        "{}/protocol/openid-connect/token",
        sandbox
            .issuer(Provider::Keycloak)
            .as_str()
            .trim_end_matches('/')
    );
    vec![
        DemoConnection {
            name: "demo-api",
            kind: ProviderKind::Oauth2,
            settings: set(&[
                ("label", "Demo API (client credentials)"),
                ("issuer", oauth.trim_end_matches('/')),
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
pub(crate) async fn add_connections(engine: &Engine, sandbox: &Sandbox) -> Vec<String> {
    let existing: Vec<String> = engine
        .list()
        .map(|l| l.into_iter().map(|v| v.name.to_string()).collect())
        .unwrap_or_default();
    let mut added = Vec::new();
    for demo in connections(sandbox) {
        if existing.iter().any(|n| n == demo.name) {
            continue;
        }
        let mut secrets = Credentials::new();
        for (field, value) in &demo.secrets {
            secrets.set(*field, Secret::new(*value));
        }
        match engine
            .add(demo.name, demo.kind, &demo.settings, secrets)
            .await
        {
            Ok(_) => added.push(demo.name.to_owned()),
            Err(error) => {
                tracing::warn!(connection = demo.name, %error, "could not add a demo connection");
                continue;
            }
        }
        if demo.unattended
            && let Err(error) = engine.login(demo.name, LoginInput::default()).await
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
        let added = add_connections(&engine, &sandbox).await;
        assert_eq!(
            added,
            ["demo-api", "demo-itk", "demo-arcgis", "demo-copernicus"]
        );
        for name in ["demo-api", "demo-itk"] {
            let view = engine.view(name).unwrap();
            assert_eq!(view.status, Status::Active, "{name}: {:?}", view.last_error);
            assert!(view.identity.is_some(), "{name} knows who it is");
        }
        assert_eq!(
            engine.view("demo-arcgis").unwrap().status,
            Status::SignedOut
        );
        assert!(
            add_connections(&engine, &sandbox).await.is_empty(),
            "a second click adds nothing"
        );
    }
}
