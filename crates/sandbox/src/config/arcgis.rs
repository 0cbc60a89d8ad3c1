//! What the `ArcGIS` portal starts with: its users, its registered apps (OAuth clients), token
//! lifetimes and the portal's name. Plain values and their validation; nothing here serves
//! requests.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ConfigError;

/// The `urn:ietf:wg:oauth:2.0:oob` redirect: the portal shows the code on a page instead of
/// redirecting (protocols.md §4.2, quirk 8).
pub const OOB_REDIRECT_URI: &str = "urn:ietf:wg:oauth:2.0:oob";

/// An `ArcGIS` user who can sign in with `generateToken` or the OAuth login form.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArcgisUser {
    /// Login name (case-sensitive, as in `ArcGIS`).
    pub username: String,
    /// Password.
    pub password: String,
    /// `fullName` in `community/self`.
    #[serde(default)]
    pub full_name: String,
    /// `email` in `community/self`.
    #[serde(default)]
    pub email: String,
    /// `role` in `community/self`: `org_admin`, `org_publisher` or `org_user`.
    #[serde(default = "default_role")]
    pub role: String,
}

fn default_role() -> String {
    "org_user".to_owned()
}

impl ArcgisUser {
    /// A user whose full name is the username, with email `<username>@example.org` and role
    /// `org_user`.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        let username = username.into();
        Self {
            full_name: username.clone(),
            email: format!("{username}@example.org"),
            password: password.into(),
            role: default_role(),
            username,
        }
    }

    /// Sets the full name.
    #[must_use]
    pub fn full_name(mut self, full_name: impl Into<String>) -> Self {
        self.full_name = full_name.into();
        self
    }

    /// Sets the email address.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = email.into();
        self
    }

    /// Sets the role.
    #[must_use]
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.role = role.into();
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.username.is_empty() {
            return Err(ConfigError::EmptyUsername);
        }
        Ok(())
    }
}

impl fmt::Debug for ArcgisUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArcgisUser")
            .field("username", &self.username)
            .field("full_name", &self.full_name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A registered `ArcGIS` app: an OAuth client with its allowed redirect URIs.
///
/// Redirect URIs match exactly, except that an `http` loopback URI (`http://127.0.0.1/…` or
/// `http://[::1]/…`) matches the same path on any port (RFC 8252 §7.3).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArcgisApp {
    /// The app's `client_id` (`appId` in `portals/self`).
    pub client_id: String,
    /// The secret: needed for app logins (`client_credentials`) and checked whenever it is
    /// sent; user logins may leave it out (public apps have none).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The redirect URIs the authorize endpoint accepts.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// `appTitle` in `portals/self`.
    #[serde(default)]
    pub title: String,
    /// `appOwner` in `portals/self`: the user who registered the app, never the signed-in one.
    #[serde(default)]
    pub owner: String,
}

impl ArcgisApp {
    /// An app without a secret: user logins only.
    pub fn public(client_id: impl Into<String>) -> Self {
        let client_id = client_id.into();
        Self {
            title: client_id.clone(),
            client_id,
            client_secret: None,
            redirect_uris: Vec::new(),
            owner: String::new(),
        }
    }

    /// An app with a secret, which can also log in as itself (`client_credentials`).
    pub fn confidential(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            client_secret: Some(secret.into()),
            ..Self::public(client_id)
        }
    }

    /// Allows one more redirect URI.
    #[must_use]
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    /// Sets the app's title.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the app's owner (a username).
    #[must_use]
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = owner.into();
        self
    }

    /// The app's item id: 32 hex digits, stable for a `client_id`.
    pub fn item_id(&self) -> String {
        crate::random::hex(&Sha256::digest(self.client_id.as_bytes())[..16])
    }

    /// Whether `uri` is one of the app's redirect URIs.
    pub(crate) fn allows_redirect(&self, uri: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|registered| redirect_matches(registered, uri))
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.client_id.is_empty() {
            return Err(ConfigError::EmptyClientId);
        }
        Ok(())
    }
}

impl fmt::Debug for ArcgisApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArcgisApp")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("redirect_uris", &self.redirect_uris)
            .finish_non_exhaustive()
    }
}

fn redirect_matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    let (Ok(registered), Ok(presented)) = (url::Url::parse(registered), url::Url::parse(presented))
    else {
        return false;
    };
    let loopback = |url: &url::Url| {
        url.scheme() == "http" && matches!(url.host_str(), Some("127.0.0.1" | "[::1]"))
    };
    loopback(&registered)
        && registered.host_str() == presented.host_str()
        && registered.scheme() == presented.scheme()
        && registered.path() == presented.path()
        && presented.query().is_none()
}

/// Everything the `ArcGIS` portal starts with. [`ArcgisConfig::demo`] is the documented default.
#[derive(Clone, Debug)]
pub struct ArcgisConfig {
    pub(crate) users: Vec<ArcgisUser>,
    pub(crate) apps: Vec<ArcgisApp>,
    pub(crate) portal_name: String,
    pub(crate) org_id: String,
    pub(crate) user_token_secs: u64,
    pub(crate) app_token_secs: u64,
    pub(crate) refresh_token_secs: u64,
    pub(crate) default_expiration_minutes: u64,
    pub(crate) max_expiration_minutes: u64,
    pub(crate) server_expires_in_seconds: bool,
    pub(crate) ssl: bool,
    pub(crate) refresh_quirks: RefreshQuirks,
}

/// How the portal's OAuth refresh tokens misbehave, for tests of a client's fallbacks.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RefreshQuirks {
    /// Leave `refresh_token_expires_in` out of token responses.
    pub(crate) omit_expires_in: bool,
    /// Refuse every `exchange_refresh_token`.
    pub(crate) refuse_exchange: bool,
}

impl ArcgisConfig {
    /// No users, no apps, `ArcGIS` Online's defaults: OAuth user tokens 1800 s, app tokens
    /// 7200 s, refresh tokens two weeks, `generateToken` 60 minutes unless asked, at most 20160.
    pub fn empty() -> Self {
        Self {
            users: Vec::new(),
            apps: Vec::new(),
            portal_name: "Tokentray Sandbox Portal".to_owned(),
            org_id: "TtSandboxOrg0001".to_owned(),
            user_token_secs: 1800,
            app_token_secs: 7200,
            refresh_token_secs: 14 * 24 * 3600,
            default_expiration_minutes: 60,
            max_expiration_minutes: 20_160,
            server_expires_in_seconds: false,
            ssl: true,
            refresh_quirks: RefreshQuirks::default(),
        }
    }

    /// The demo portal described in the crate documentation.
    pub fn demo() -> Self {
        Self::empty()
            .user(
                ArcgisUser::new("gis-analyst", "contours")
                    .full_name("Gerda Mercator")
                    .email("gis-analyst@example.org")
                    .role("org_publisher"),
            )
            .user(ArcgisUser::new("gis-viewer", "basemap").full_name("Abraham Ortelius"))
            .app(
                ArcgisApp::public("tt-arcgis-app")
                    .title("Tokentray")
                    .owner("gis-analyst")
                    .redirect_uri("http://127.0.0.1/callback")
                    .redirect_uri("tokentray://oauth/callback")
                    .redirect_uri(OOB_REDIRECT_URI),
            )
            .app(
                ArcgisApp::confidential("tt-arcgis-cc", "tt-arcgis-cc-secret")
                    .title("Tokentray app login")
                    .owner("gis-analyst")
                    .redirect_uri(OOB_REDIRECT_URI),
            )
    }

    /// Registers a user (a later user with the same name replaces an earlier one).
    #[must_use]
    pub fn user(mut self, user: ArcgisUser) -> Self {
        self.users.push(user);
        self
    }

    /// Registers an app (a later app with the same `client_id` replaces an earlier one).
    #[must_use]
    pub fn app(mut self, app: ArcgisApp) -> Self {
        self.apps.push(app);
        self
    }

    /// Names the portal (`name` in `portals/self`).
    #[must_use]
    pub fn portal_name(mut self, name: impl Into<String>) -> Self {
        self.portal_name = name.into();
        self
    }

    /// Lifetime of OAuth access tokens for users (`expires_in`, default 1800 s).
    #[must_use]
    pub fn user_token_secs(mut self, secs: u64) -> Self {
        self.user_token_secs = secs;
        self
    }

    /// Lifetime of app (`client_credentials`) tokens (default 7200 s).
    #[must_use]
    pub fn app_token_secs(mut self, secs: u64) -> Self {
        self.app_token_secs = secs;
        self
    }

    /// Lifetime of refresh tokens when the authorize request names no `expiration` (default
    /// two weeks). Short values let tests reach "`refresh_token` expired".
    #[must_use]
    pub fn refresh_token_secs(mut self, secs: u64) -> Self {
        self.refresh_token_secs = secs;
        self
    }

    /// The most minutes `generateToken` grants; asking for more silently gets this (default
    /// 20160, two weeks).
    #[must_use]
    pub fn max_expiration_minutes(mut self, minutes: u64) -> Self {
        self.max_expiration_minutes = minutes;
        self
    }

    /// Makes the stand-alone server's `tokens/generateToken` answer `expires` in epoch
    /// SECONDS instead of milliseconds, to exercise the `> 1e11` heuristic (quirk 4).
    #[must_use]
    pub fn server_expires_in_seconds(mut self, seconds: bool) -> Self {
        self.server_expires_in_seconds = seconds;
        self
    }

    /// Leaves `refresh_token_expires_in` out of token responses, as portals before Enterprise
    /// 10.9.1 do (protocols.md §4.5); the refresh tokens still die when they would have.
    #[must_use]
    pub fn omit_refresh_token_expires_in(mut self, omit: bool) -> Self {
        self.refresh_quirks.omit_expires_in = omit;
        self
    }

    /// Refuses every `exchange_refresh_token` (HTTP 200 with a code-500 error envelope, as
    /// a portal whose exchange fails internally) while plain refreshes keep working.
    #[must_use]
    pub fn refuse_exchange(mut self, refuse: bool) -> Self {
        self.refresh_quirks.refuse_exchange = refuse;
        self
    }

    /// The `ssl` flag of token responses (default true, as on `ArcGIS` Online).
    #[must_use]
    pub fn ssl(mut self, ssl: bool) -> Self {
        self.ssl = ssl;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        self.users.iter().try_for_each(ArcgisUser::validate)?;
        self.apps.iter().try_for_each(ArcgisApp::validate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_any_port_but_only_the_registered_path() {
        let app = ArcgisApp::public("a").redirect_uri("http://127.0.0.1/callback");
        assert!(app.allows_redirect("http://127.0.0.1:51234/callback"));
        assert!(app.allows_redirect("http://127.0.0.1/callback"));
        assert!(!app.allows_redirect("http://127.0.0.1:51234/other"));
        assert!(!app.allows_redirect("http://localhost:51234/callback"));
        assert!(!app.allows_redirect("https://127.0.0.1:51234/callback"));
    }

    #[test]
    fn other_redirects_match_exactly() {
        let app = ArcgisApp::public("a")
            .redirect_uri("tokentray://oauth/callback")
            .redirect_uri(OOB_REDIRECT_URI);
        assert!(app.allows_redirect("tokentray://oauth/callback"));
        assert!(app.allows_redirect(OOB_REDIRECT_URI));
        assert!(!app.allows_redirect("tokentray://oauth/callback/x"));
        assert!(!app.allows_redirect("https://evil.example/callback"));
    }

    #[test]
    fn item_ids_are_32_hex_digits_and_stable() {
        let app = ArcgisApp::public("tt-arcgis-app");
        assert_eq!(app.item_id().len(), 32);
        assert_eq!(app.item_id(), ArcgisApp::public("tt-arcgis-app").item_id());
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let text = format!(
            "{:?}",
            ArcgisConfig::empty()
                .user(ArcgisUser::new("u", "pa55word"))
                .app(ArcgisApp::confidential("c", "s3cr3t"))
        );
        assert!(!text.contains("pa55word") && !text.contains("s3cr3t"));
    }
}
