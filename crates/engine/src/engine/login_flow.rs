//! Interactive logins: a browser login (authorization code with PKCE and `state`, the redirect
//! caught by loopback, deep link or paste) or a device login, started by a front end, held and
//! finished by the connection's owner (`runtime/owner/login.rs`), which goes on serving the
//! connection while the person signs in. At most one login per connection waits at a time; it
//! can be cancelled and times out. Background renewals never start one.

use super::Engine;
use super::runtime::IdentityChange;
use crate::connection::ConnectionName;
use crate::error::Result;
use crate::events::ConnectionView;
pub use crate::login::LoginRequest;
use crate::login::LoginStart;
use crate::provider::LoginInput;
use crate::secret::Secret;

/// Logging in and out ([`Engine::logins`]).
#[derive(Clone, Copy)]
pub struct Logins<'a> {
    pub(super) engine: &'a Engine,
}

/// What [`Logins::start`] did.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "made once per login and matched at once; boxing would only add noise"
)]
pub enum LoginStep {
    /// Logged in without a person (client credentials, password…).
    Done(ConnectionView),
    /// Waiting for the person; show the prompt, then call `Logins::finish`.
    Waiting(LoginStart),
}

impl Logins<'_> {
    /// Starts a login of `name`. Flows that need no person finish at once; browser and device
    /// flows return what to show and wait in `Logins::finish`.
    pub async fn start(&self, name: &ConnectionName, request: LoginRequest) -> Result<LoginStep> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        let totp = request.totp.clone();
        match self.engine.inner.begin_login(&spec, request).await? {
            Some(start) => Ok(LoginStep::Waiting(start)),
            None => Ok(LoginStep::Done(
                self.with_credentials(name, LoginInput { totp }).await?,
            )),
        }
    }

    /// Waits for the pending login of `name` to finish (callback, paste or device approval),
    /// then stores the tokens.
    pub async fn finish(&self, name: &ConnectionName) -> Result<ConnectionView> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        self.engine.inner.finish_login(&spec).await?;
        self.engine.view(name)
    }

    /// Logs in with the stored credentials and what the person typed (a TOTP code), replacing
    /// any tokens. Flows that need a browser answer with `NeedsLogin`.
    pub async fn with_credentials(
        &self,
        name: &ConnectionName,
        input: LoginInput,
    ) -> Result<ConnectionView> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        self.engine.inner.log_in(&spec, input).await?;
        self.engine.view(name)
    }

    /// After adding `name`: gets its first token at once when it needs nobody to log in
    /// (client credentials, a stored password without 2FA, access codes, a static token), so
    /// that the connection shows it works or what is wrong; decided here so that every front
    /// end does the same. `None` when it needs a person (who logs in when ready). A failure is
    /// kept on the connection like any other.
    pub async fn first_login(&self, name: &ConnectionName) -> Option<Result<ConnectionView>> {
        if !self
            .engine
            .inspect()
            .logs_in_unattended(name)
            .unwrap_or(false)
        {
            return None;
        }
        Some(self.with_credentials(name, LoginInput::default()).await)
    }

    /// Forgets the tokens of `name` (keeping its credentials) and revokes them where the
    /// service allows. Returns a revocation failure as a warning, after forgetting.
    pub async fn logout(&self, name: &ConnectionName) -> Result<Option<String>> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        self.engine.inner.log_out(&spec).await
    }

    /// Hands a pasted code or redirected URL to the login of `name` waiting for it.
    pub async fn paste(&self, name: &ConnectionName, text: &str) -> Result<()> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        self.engine
            .inner
            .paste_login(&spec, Secret::new(text))
            .await
    }

    /// Routes a `tokentray://oauth/callback?…` link to the deep-link login whose `state` it
    /// carries. Anything else is ignored (and logged); returns whether a login took it.
    pub async fn deliver_redirect(&self, link: &str) -> bool {
        let Ok(url) = url::Url::parse(link) else {
            return false;
        };
        if url.scheme() != "tokentray"
            || url.host_str() != Some("oauth")
            || url.path() != "/callback"
        {
            tracing::info!("ignored a link that is not a login callback");
            return false;
        }
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let owner = query
            .iter()
            .find(|(k, _)| k == "state")
            .and_then(|(_, state)| self.engine.inner.routes.by_state(state));
        let Some(name) = owner else {
            tracing::info!("ignored a login callback that matches no waiting login");
            return false;
        };
        self.engine.inner.redirect_login(&name, query).await
    }

    /// Opens `url` in the browser. The authorize URL of a waiting login is opened again through
    /// its forwarding page (never on a command line); any other URL as it is.
    ///
    /// # Errors
    /// Why the browser could not be opened (the front end then shows the URL).
    pub fn open_url(&self, url: &str) -> std::result::Result<(), String> {
        let inner = &self.engine.inner;
        let desk = inner
            .routes
            .by_url(url)
            .and_then(|name| inner.login_desk(&name));
        match desk {
            Some(desk) => inner.browser.open(&desk.page_url(inner)?),
            None => inner.browser.open(url),
        }
    }

    /// Whether a login of `name` is waiting for the person.
    pub fn pending(&self, name: &ConnectionName) -> bool {
        self.engine.inner.login_desk(name).is_some()
    }

    /// Marks a change of account after a login of `name` as seen: the previous identity is
    /// forgotten, so front ends stop announcing it. Returns the connection as it is now.
    ///
    /// # Errors
    /// When `name` is not a connection.
    pub async fn acknowledge_identity(&self, name: &ConnectionName) -> Result<ConnectionView> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        self.engine
            .inner
            .change_identity(&spec, IdentityChange::Acknowledged)
            .await?;
        self.engine.view(name)
    }

    /// Cancels the waiting login of `name`; returns whether one was waiting.
    pub fn cancel(&self, name: &ConnectionName) -> bool {
        self.engine.inner.login_desk(name).is_some_and(|desk| {
            desk.cancel.cancel();
            true
        })
    }
}
