//! Test harness shared by the acceptance tests: an engine over an in-memory secret store and a
//! temporary home, wired to a running sandbox, plus a real OpenID provider started from npm.
#![allow(missing_docs, clippy::missing_panics_doc)]

pub mod browser;
pub mod dot;
pub mod oidc;
pub mod proxy;
pub mod tls;

use std::sync::Arc;
use std::time::Duration;
use tokentray_engine::testing::conn;

use tokentray_engine::Clock as _;
use tokentray_engine::testing::{FakeClock, MemorySecretStore};
use tokentray_engine::{
    Credentials, Engine, EngineOptions, Paths, ProviderKind, Secret, Timestamp,
};
use tokentray_sandbox::Sandbox;

/// An engine in a temp home, with a clock that runs in real time and can jump.
pub struct TestEngine {
    pub engine: Engine,
    pub store: MemorySecretStore,
    pub clock: FakeClock,
    pub home: tempfile::TempDir,
}

impl TestEngine {
    pub fn new() -> Self {
        Self::with_options(|_| {})
    }

    /// An engine whose options `adjust` changes first (backoff, timeouts…).
    pub fn with_options(adjust: impl FnOnce(&mut EngineOptions)) -> Self {
        let home = tempfile::tempdir().expect("temp home");
        let store = MemorySecretStore::new();
        // The engine's clock starts at the real time, so absolute expiries from the sandbox
        // (ArcGIS `expires`, JWT `exp`) mean the same to both; `skew` moves it.
        let clock = FakeClock::starting_at(tokentray_engine::SystemClock.now());
        let mut options = EngineOptions::new(Paths::under(home.path()), Arc::new(store.clone()));
        options.clock = Arc::new(clock.clone());
        options.seed = Some(42);
        options.http_timeout = Duration::from_secs(2);
        adjust(&mut options);
        Self {
            engine: Engine::new(options),
            store,
            clock,
            home,
        }
    }

    /// Adds a connection from `(field, value)` pairs, secrets among them by field type.
    pub async fn add(&self, name: &str, kind: ProviderKind, fields: &[(&str, &str)]) {
        let mut set = Vec::new();
        let mut secrets = Credentials::new();
        for (k, v) in fields {
            let def =
                tokentray_engine::find_field(kind, k).unwrap_or_else(|| panic!("no field {k}"));
            if def.is_secret() {
                secrets.set(*k, Secret::new(*v));
            } else {
                set.push(((*k).to_owned(), (*v).to_owned()));
            }
        }
        self.engine
            .manage()
            .add(&conn(name), kind, &set, secrets)
            .await
            .expect("add");
    }

    /// What this engine's clock reads now.
    pub fn clock_now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Moves this engine's wall clock forward (the sandbox's clock is not moved).
    pub fn jump(&self, secs: u64) {
        self.clock.jump(Duration::from_secs(secs));
    }
}

impl Default for TestEngine {
    fn default() -> Self {
        Self::new()
    }
}

/// The sandbox's generic OAuth issuer as a string without a trailing slash.
pub fn issuer(sandbox: &Sandbox) -> String {
    sandbox
        .issuer(tokentray_sandbox::Provider::OAuth)
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

/// An engine with one connection, `api`: the sandbox's demo client-credentials client
/// (`demo-cc`) at the generic OAuth issuer's token endpoint.
pub async fn client_credentials_api(sandbox: &Sandbox) -> TestEngine {
    let t = TestEngine::new();
    let url = format!("{}/token", issuer(sandbox));
    t.add(
        "api",
        ProviderKind::Oauth2,
        &[
            ("token_url", &url),
            ("grant", "client_credentials"),
            ("client_id", "demo-cc"),
            ("client_secret", "demo-cc-secret"),
        ],
    )
    .await;
    t
}
