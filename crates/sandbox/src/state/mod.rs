//! The state every provider of one sandbox shares: registered clients and users, issued tokens,
//! pending faults, the request log, the clock and the shutdown signal. One mutex guards the
//! mutable part; it is never held across an `.await`. [`Shared::answer`] is the one way a
//! request is recorded and perhaps hijacked by a fault, for every provider.
//!
//! What each provider has issued lives in a child module (`oauth`, `arcgis`, `itk`): plain
//! stores that know nothing about HTTP. The provider modules that serve requests sit above this
//! one and take the shared state; nothing here names them.

pub(crate) mod arcgis;
pub(crate) mod itk;
pub(crate) mod oauth;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use axum::response::Response;
use rand::Rng;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::clock::{SandboxClock, unix_millis, unix_secs};
use crate::config::{
    ArcgisApp, ArcgisUser, ClientConfig, ConfigError, ItkUser, SandboxConfig, User,
};
use crate::fault::{Fault, FaultQueue};
use crate::record::{RequestLog, RequestRecord};
use arcgis::PortalState;
use itk::ItkState;
use oauth::{Dialect, TokenStore};

/// Registered clients and users, shared by the generic OAuth server and the Keycloak realm.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    pub(crate) clients: HashMap<String, ClientConfig>,
    pub(crate) users: HashMap<String, User>,
}

impl Registry {
    fn from_config(config: &SandboxConfig) -> Self {
        let mut registry = Self::default();
        for client in &config.clients {
            registry.add_client(client.clone());
        }
        for user in &config.users {
            registry.add_user(user.clone());
        }
        registry
    }

    pub(crate) fn add_client(&mut self, client: ClientConfig) {
        self.clients.insert(client.client_id.clone(), client);
    }

    pub(crate) fn add_user(&mut self, user: User) {
        self.users.insert(user.username.clone(), user);
    }
}

/// The mutable part of the shared state.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) registry: Registry,
    oauth_tokens: TokenStore,
    keycloak_tokens: TokenStore,
    pub(crate) arcgis: PortalState,
    pub(crate) itk: ItkState,
    pub(crate) faults: FaultQueue,
    pub(crate) log: RequestLog,
}

impl State {
    /// The state a sandbox starts (and resets) with: registered parties, nothing issued.
    fn from_config(config: &SandboxConfig) -> Self {
        Self {
            registry: Registry::from_config(config),
            arcgis: PortalState::from_config(&config.arcgis),
            itk: ItkState::from_config(&config.itk),
            ..Self::default()
        }
    }

    /// The registry and the token store of one provider, borrowed together.
    pub(crate) fn split(&mut self, dialect: Dialect) -> (&Registry, &mut TokenStore) {
        let tokens = match dialect {
            Dialect::Generic => &mut self.oauth_tokens,
            Dialect::Keycloak => &mut self.keycloak_tokens,
        };
        (&self.registry, tokens)
    }
}

pub(crate) struct Shared {
    state: Mutex<State>,
    initial: SandboxConfig,
    clock: Arc<dyn SandboxClock>,
    /// Added to the clock, in milliseconds. Outside the mutex so that reading the time never
    /// contends with (or deadlocks under) a request holding the state.
    clock_offset_ms: AtomicU64,
    stop: CancellationToken,
    signing_key: [u8; 32],
    seen: watch::Sender<u64>,
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig) -> Self {
        let mut signing_key = [0_u8; 32];
        rand::rng().fill(&mut signing_key);
        Self {
            state: Mutex::new(State::from_config(&config)),
            clock: Arc::clone(&config.clock),
            clock_offset_ms: AtomicU64::new(0),
            initial: config,
            stop: CancellationToken::new(),
            signing_key,
            seen: watch::Sender::new(0),
        }
    }

    /// The state, even if a panicking request poisoned the lock: a test server should keep
    /// answering so the test reports the real failure.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn stop(&self) -> &CancellationToken {
        &self.stop
    }

    pub(crate) fn signing_key(&self) -> &[u8; 32] {
        &self.signing_key
    }

    pub(crate) fn keycloak_realm(&self) -> &str {
        &self.initial.keycloak_realm
    }

    /// The configuration the sandbox started with (lifetimes and names never change while it
    /// runs; registrations do, and live in [`State`]).
    pub(crate) fn config(&self) -> &SandboxConfig {
        &self.initial
    }

    /// The sandbox's current time: its clock plus the offset tests have added.
    pub(crate) fn now(&self) -> SystemTime {
        self.clock.now() + Duration::from_millis(self.clock_offset_ms.load(Ordering::SeqCst))
    }

    pub(crate) fn now_secs(&self) -> u64 {
        unix_secs(self.now())
    }

    pub(crate) fn now_millis(&self) -> u64 {
        unix_millis(self.now())
    }

    pub(crate) fn advance_clock(&self, by: Duration) {
        let millis = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.clock_offset_ms.fetch_add(millis, Ordering::SeqCst);
    }

    /// Records a request and hands back the fault it should suffer, if one is queued.
    pub(crate) fn arrive(&self, record: RequestRecord) -> Option<Fault> {
        let fault = {
            let mut state = self.lock();
            let endpoint = record.endpoint;
            state.log.push(record);
            state.faults.take(endpoint)
        };
        self.seen.send_modify(|seen| *seen += 1);
        fault
    }

    /// Records the request, then answers with the queued fault or the normal response. The
    /// flag given to `normal` says whether a [`Fault::MissingExpiresIn`] asks it to leave the
    /// expiry out.
    pub(crate) async fn answer(
        &self,
        record: RequestRecord,
        normal: impl FnOnce(bool) -> Response,
    ) -> Response {
        match self.arrive(record) {
            Some(fault) if fault.replaces_response() => fault.respond(self.stop()).await,
            fault => normal(fault.is_some()),
        }
    }

    pub(crate) fn watch_requests(&self) -> watch::Receiver<u64> {
        self.seen.subscribe()
    }

    pub(crate) fn add_client(&self, client: ClientConfig) -> Result<(), ConfigError> {
        client.validate()?;
        self.lock().registry.add_client(client);
        Ok(())
    }

    pub(crate) fn add_user(&self, user: User) -> Result<(), ConfigError> {
        user.validate()?;
        self.lock().registry.add_user(user);
        Ok(())
    }

    pub(crate) fn add_arcgis_user(&self, user: ArcgisUser) -> Result<(), ConfigError> {
        user.validate()?;
        self.lock().arcgis.add_user(user);
        Ok(())
    }

    pub(crate) fn add_arcgis_app(&self, app: ArcgisApp) -> Result<(), ConfigError> {
        app.validate()?;
        self.lock().arcgis.add_app(app);
        Ok(())
    }

    pub(crate) fn add_itk_user(&self, user: ItkUser) -> Result<(), ConfigError> {
        user.validate()?;
        self.lock().itk.add_user(user);
        Ok(())
    }

    /// Back to how the sandbox started: initial clients and users, no tokens, no faults, no
    /// log, no clock offset.
    pub(crate) fn reset(&self) {
        *self.lock() = State::from_config(&self.initial);
        self.clock_offset_ms.store(0, Ordering::SeqCst);
    }
}
