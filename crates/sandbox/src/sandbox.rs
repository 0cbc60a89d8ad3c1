//! [`Sandbox`]: a running sandbox server and the handle tests hold on to. Starting, stopping,
//! and thin delegations to the control surface live here; request handling does not.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use url::Url;

use crate::admin;
use crate::config::{
    ArcgisApp, ArcgisUser, ClientConfig, ConfigError, ItkUser, SandboxConfig, User,
};
use crate::control::{Control, Provider};
use crate::fault::{Endpoint, Fault};
use crate::itk;
use crate::record::{Counters, RequestRecord};
use crate::state::Shared;

/// A running sandbox: one HTTP server on 127.0.0.1 serving every provider. Dropping it stops
/// the server (without waiting); [`Sandbox::shutdown`] stops it and waits.
pub struct Sandbox {
    url: Url,
    control: Arc<Control>,
    server: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts the demo configuration on an ephemeral port of 127.0.0.1, on the current tokio
    /// runtime.
    pub async fn start() -> io::Result<Self> {
        Self::start_with(SandboxConfig::demo()).await
    }

    /// Starts the demo configuration on `addr` (a loopback address; port 0 picks a free one).
    pub async fn start_on(addr: SocketAddr) -> io::Result<Self> {
        Self::start_with(SandboxConfig::demo().bind(addr)).await
    }

    /// Starts `config` on the current tokio runtime.
    pub async fn start_with(config: SandboxConfig) -> io::Result<Self> {
        config
            .validate()
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
        let listener = TcpListener::bind(config.addr).await?;
        let url =
            Url::parse(&format!("http://{}/", listener.local_addr()?)).map_err(io::Error::other)?;
        let control = Arc::new(Control::new(Arc::new(Shared::new(config)), &url));
        // Every route of the sandbox: the four providers and the admin API.
        let app = control.router().merge(admin::router(Arc::clone(&control)));
        let stop = control.shared().stop().clone();
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
            if let Err(error) = served {
                tracing::warn!(%error, "the sandbox server stopped with an error");
            }
        });
        tracing::debug!(%url, "sandbox listening");
        Ok(Self {
            url,
            control,
            server: Some(server),
        })
    }

    /// The server's base URL, e.g. `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// A provider's issuer or base URL: `<url>oauth`, `<url>keycloak/realms/<realm>`,
    /// `<url>arcgis` (the `ArcGIS` portal URL; no trailing slash for these three), or
    /// `<url>itk/oidc/` (the uuIdentity auth URL, WITH the trailing slash `grantToken` needs).
    pub fn issuer(&self, provider: Provider) -> Url {
        let mut url = self.url.clone();
        url.set_path(&self.control.issuer_path(provider));
        url
    }

    /// The ITk Production Database API prefix, `<url>itk/api/`.
    pub fn itk_api_url(&self) -> Url {
        let mut url = self.url.clone();
        url.set_path(itk::API_PATH);
        url
    }

    /// Registers (or replaces) a client while running.
    pub fn add_client(&self, client: ClientConfig) -> Result<(), ConfigError> {
        self.control.add_client(client)
    }

    /// Registers (or replaces) a user while running.
    pub fn add_user(&self, user: User) -> Result<(), ConfigError> {
        self.control.add_user(user)
    }

    /// Registers (or replaces) an `ArcGIS` user while running.
    pub fn add_arcgis_user(&self, user: ArcgisUser) -> Result<(), ConfigError> {
        self.control.add_arcgis_user(user)
    }

    /// Registers (or replaces) an `ArcGIS` app while running.
    pub fn add_arcgis_app(&self, app: ArcgisApp) -> Result<(), ConfigError> {
        self.control.add_arcgis_app(app)
    }

    /// Registers (or replaces) a uuIdentity person while running.
    pub fn add_itk_user(&self, user: ItkUser) -> Result<(), ConfigError> {
        self.control.add_itk_user(user)
    }

    /// Answers the next `times` requests to `endpoint` with `fault` (after faults already
    /// queued there).
    pub fn inject(&self, endpoint: Endpoint, fault: Fault, times: usize) {
        self.control.inject(endpoint, fault, times);
    }

    /// Requests received at `endpoint`, faulted ones included.
    pub fn count(&self, endpoint: Endpoint) -> usize {
        self.control.count(endpoint)
    }

    /// Token requests with this `grant_type`, over every token endpoint.
    pub fn grant_count(&self, grant_type: &str) -> usize {
        self.control.grant_count(grant_type)
    }

    /// The most recent requests (up to [`crate::LOG_CAPACITY`]), oldest first. Never secrets.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.control.requests()
    }

    /// All counters and the request log at once.
    pub fn counters(&self) -> Counters {
        self.control.counters()
    }

    /// Resolves once `endpoint` has received at least `at_least` requests.
    pub async fn wait_for(&self, endpoint: Endpoint, at_least: usize) {
        self.control.wait_for(endpoint, at_least).await;
    }

    /// Moves the sandbox's clock forward (token expiry follows it; nothing waits).
    pub fn advance_clock(&self, by: Duration) {
        self.control.advance_clock(by);
    }

    /// The sandbox's current time.
    pub fn now(&self) -> SystemTime {
        self.control.now()
    }

    /// A refresh token for `username` at `client_id`, as if they had logged in elsewhere; for
    /// testing refresh-token import. `None` when the client or user is unknown, and always for
    /// [`Provider::Itk`] (uuIdentity has no refresh tokens).
    pub fn mint_refresh_token(
        &self,
        provider: Provider,
        client_id: &str,
        username: &str,
    ) -> Option<String> {
        self.control
            .mint_refresh_token(provider, client_id, username)
    }

    /// Back to the start configuration: no tokens, faults, counters or clock offset.
    pub fn reset(&self) {
        self.control.reset();
    }

    /// Stops the server and waits until it has stopped. Requests held by [`Fault::Hang`] are
    /// answered 503 first.
    pub async fn shutdown(mut self) {
        self.control.shared().stop().cancel();
        if let Some(server) = self.server.take()
            && let Err(error) = server.await
        {
            tracing::warn!(%error, "the sandbox server task failed");
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.control.shared().stop().cancel();
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}
