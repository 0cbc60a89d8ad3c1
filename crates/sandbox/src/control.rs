//! The control surface of a running sandbox, shared by the Rust API ([`crate::Sandbox`]) and the
//! admin HTTP API: faults, counters, clients, users, the clock, minted tokens and reset.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::arcgis::{self, Portal};
use crate::config::{ArcgisApp, ArcgisUser, ClientConfig, ConfigError, ItkUser, User};
use crate::fault::{Endpoint, Fault};
use crate::itk::{self, UuIdentity};
use crate::oauth::{self, Issuer, keycloak};
use crate::record::{Counters, RequestRecord};
use crate::state::Shared;
use crate::state::oauth::Dialect;

/// One of the token services a sandbox serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// The generic OAuth 2.0/OIDC server under `/oauth`.
    #[serde(rename = "oauth")]
    OAuth,
    /// The Keycloak realm under `/keycloak/realms/<realm>`.
    Keycloak,
    /// The `ArcGIS` portal (and stand-alone server token service) under `/arcgis`.
    Arcgis,
    /// uuIdentity under `/itk/oidc/` and the ITk Production Database API under `/itk/api/`.
    Itk,
}

pub(crate) struct Control {
    shared: Arc<Shared>,
    oauth: Arc<Issuer>,
    keycloak: Arc<Issuer>,
    arcgis: Arc<Portal>,
    itk: Arc<UuIdentity>,
}

impl Control {
    pub(crate) fn new(shared: Arc<Shared>, base: &Url) -> Self {
        Self {
            oauth: Arc::new(oauth::issuer(Arc::clone(&shared), base)),
            keycloak: Arc::new(keycloak::issuer(Arc::clone(&shared), base)),
            arcgis: Arc::new(Portal::new(Arc::clone(&shared), base)),
            itk: Arc::new(UuIdentity::new(Arc::clone(&shared), base)),
            shared,
        }
    }

    /// The routes of the four providers (the admin API on top is `admin::router`).
    pub(crate) fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .merge(oauth::router(Arc::clone(&self.oauth)))
            .merge(oauth::router(Arc::clone(&self.keycloak)))
            .merge(arcgis::router(Arc::clone(&self.arcgis)))
            .merge(itk::router(Arc::clone(&self.itk)))
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn issuer_path(&self, provider: Provider) -> String {
        match provider {
            Provider::OAuth => "oauth".to_owned(),
            Provider::Keycloak => keycloak::prefix(self.shared.keycloak_realm())
                .trim_start_matches('/')
                .to_owned(),
            Provider::Arcgis => arcgis::PREFIX.trim_start_matches('/').to_owned(),
            Provider::Itk => itk::OIDC_PATH.to_owned(),
        }
    }

    pub(crate) fn inject(&self, endpoint: Endpoint, fault: Fault, times: usize) {
        self.shared.lock().faults.push(endpoint, fault, times);
    }

    pub(crate) fn count(&self, endpoint: Endpoint) -> usize {
        self.shared.lock().log.count(endpoint)
    }

    pub(crate) fn grant_count(&self, grant_type: &str) -> usize {
        self.shared.lock().log.grant_count(grant_type)
    }

    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().log.records()
    }

    pub(crate) fn counters(&self) -> Counters {
        self.shared.lock().log.counters()
    }

    pub(crate) async fn wait_for(&self, endpoint: Endpoint, at_least: usize) {
        let mut seen = self.shared.watch_requests();
        while self.count(endpoint) < at_least {
            if seen.changed().await.is_err() {
                return;
            }
        }
    }

    pub(crate) fn add_client(&self, client: ClientConfig) -> Result<(), ConfigError> {
        self.shared.add_client(client)
    }

    pub(crate) fn add_user(&self, user: User) -> Result<(), ConfigError> {
        self.shared.add_user(user)
    }

    pub(crate) fn add_arcgis_user(&self, user: ArcgisUser) -> Result<(), ConfigError> {
        self.shared.add_arcgis_user(user)
    }

    pub(crate) fn add_arcgis_app(&self, app: ArcgisApp) -> Result<(), ConfigError> {
        self.shared.add_arcgis_app(app)
    }

    pub(crate) fn add_itk_user(&self, user: ItkUser) -> Result<(), ConfigError> {
        self.shared.add_itk_user(user)
    }

    pub(crate) fn advance_clock(&self, by: Duration) {
        self.shared.advance_clock(by);
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.shared.now()
    }

    pub(crate) fn mint_refresh_token(
        &self,
        provider: Provider,
        client_id: &str,
        username: &str,
    ) -> Option<String> {
        match provider {
            Provider::OAuth => self.oauth.mint_refresh_token(client_id, username),
            Provider::Keycloak => self.keycloak.mint_refresh_token(client_id, username),
            Provider::Arcgis => self.arcgis.mint_refresh_token(client_id, username),
            // uuIdentity issues no refresh tokens.
            Provider::Itk => None,
        }
    }

    /// Ends an access token of `provider` at once, as the service's administrator would;
    /// whether it was one of its live tokens. uuIdentity's are signed JWTs with nothing to end.
    pub(crate) fn revoke_access(&self, provider: Provider, token: &str) -> bool {
        let mut state = self.shared.lock();
        match provider {
            Provider::OAuth => state.split(Dialect::Generic).1.revoke_access(token),
            Provider::Keycloak => state.split(Dialect::Keycloak).1.revoke_access(token),
            Provider::Arcgis => state.arcgis.tokens.revoke_access(token),
            Provider::Itk => false,
        }
    }

    pub(crate) fn reset(&self) {
        self.shared.reset();
    }
}
