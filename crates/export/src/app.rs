//! What every request of an endpoint shares: the engine, the hand-out log, the prepared token
//! bodies, the forced-renewal windows and, on the daemon socket, what `GET /v1/daemon` tells.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokentray_engine::{ConnectionName, Engine};
use tokio::time::Instant;

use crate::audit::Audit;
use crate::body::Bodies;
use crate::error::ApiError;

/// The shortest gap between two provider renewals forced through the endpoint, per connection.
pub(crate) const REFRESH_WINDOW: Duration = Duration::from_secs(30);

/// What the handlers share.
#[derive(Clone)]
pub(crate) struct App(pub(crate) Arc<AppInner>);

pub(crate) struct AppInner {
    pub(crate) engine: Engine,
    /// Serving the daemon socket (this user's own processes) rather than the HTTP endpoint.
    pub(crate) local: Option<DaemonInfo>,
    pub(crate) bodies: Bodies,
    pub(crate) audit: Arc<Audit>,
    refreshed: Mutex<HashMap<ConnectionName, Instant>>,
}

impl App {
    /// The state of an endpoint (`local`: of the daemon socket) over `engine`.
    pub(crate) fn new(engine: Engine, audit: Arc<Audit>, local: Option<DaemonInfo>) -> Self {
        Self(Arc::new(AppInner {
            bodies: Bodies::default(),
            engine,
            local,
            audit,
            refreshed: Mutex::new(HashMap::new()),
        }))
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.0.engine
    }

    /// Whether this serves the daemon socket, whose clients may ask for every connection.
    pub(crate) fn local(&self) -> bool {
        self.0.local.is_some()
    }

    /// What the client is told about an engine error: on the daemon socket the engine's own
    /// code and words (this user's CLI prints them as its own), on the HTTP endpoint fixed words.
    pub(crate) fn fail(&self, error: &tokentray_engine::Error, name: &ConnectionName) -> ApiError {
        if self.local() {
            ApiError::from_engine_local(error)
        } else {
            ApiError::from_engine(error, name)
        }
    }

    /// Whether a forced renewal of `name` may reach the provider now; claims the window if so.
    pub(crate) fn claim_refresh(&self, name: &ConnectionName) -> bool {
        let now = Instant::now();
        let mut last = self.0.refreshed.lock().expect("refresh window lock");
        if last.get(name).is_some_and(|at| now < *at + REFRESH_WINDOW) {
            return false;
        }
        last.insert(name.clone(), now);
        true
    }
}

/// What the daemon socket tells about the running app or `serve` (`GET /v1/daemon`), for
/// `tokentray doctor`: the contract's type.
pub(crate) use tokentray_engine::contract::endpoint::DaemonInfo;
