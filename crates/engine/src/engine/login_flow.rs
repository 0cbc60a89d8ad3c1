//! Interactive logins: a browser login (authorization code with PKCE and `state`, the redirect
//! caught by loopback, deep link or paste) or a device login, started by a front end, finished
//! by the engine. At most one login per connection waits at a time; it can be cancelled and
//! times out. Background renewals never start one.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::runtime::IdentityChange;
use super::{Engine, Inner};
use crate::connection::{ConnectionName, ConnectionSpec};
use crate::error::{Error, LoginFailure, Result};
use crate::events::ConnectionView;
use crate::login::{self, CallbackOutcome, IssCheck, LoginPrompt, LoginStart, RedirectMode};
use crate::login_page::LoginPage;
use crate::loopback::{self, Loopback};
use crate::provider::{self, Authorization, DevicePoll, DeviceStart, LoginInput, ProviderError};
use crate::secret::Secret;
use crate::token::TokenSet;

/// How a login should run.
#[derive(Debug, Default, Clone)]
pub struct LoginRequest {
    /// How the browser comes back; `None` uses the connection's `redirect` setting.
    pub redirect: Option<RedirectMode>,
    /// A one-time code for services with 2FA.
    pub totp: Option<Secret>,
    /// Whether to open the browser (else the front end shows the URL).
    pub open_browser: bool,
}

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

enum Waiting {
    Code {
        auth: Box<Authorization>,
        verifier: Option<Secret>,
        redirect_uri: String,
        _listener: Option<Loopback>,
    },
    Device(DeviceStart),
}

/// A login waiting for the person.
pub(crate) struct Pending {
    state: Secret,
    iss: IssCheck,
    /// The authorize URL, for opening it again.
    url: Option<String>,
    /// The page that forwards the browser to `url`; removed with the login.
    page: Option<LoginPage>,
    mode: Option<RedirectMode>,
    tx: mpsc::Sender<CallbackOutcome>,
    rx: Option<mpsc::Receiver<CallbackOutcome>>,
    waiting: Option<Waiting>,
    cancel: CancellationToken,
}

fn fail(spec: &ConnectionSpec, reason: LoginFailure) -> Error {
    Error::Login {
        connection: spec.name.clone(),
        reason,
    }
}

impl Logins<'_> {
    /// Starts a login of `name`. Flows that need no person finish at once; browser and device
    /// flows return what to show and wait in `Logins::finish`.
    pub async fn start(&self, name: &ConnectionName, request: LoginRequest) -> Result<LoginStep> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        let stored = self.engine.inner.stored(&spec).await?;
        let http = self.engine.inner.client(&spec).await?;
        let flow = self.engine.inner.flow(&spec, &stored, &http);
        let provider = flow.provider();
        let provider_err = |source| Error::Provider {
            connection: spec.name.clone(),
            source,
        };
        if let Some(browser) = provider.browser() {
            let auth = browser.authorization(&flow).await.map_err(provider_err)?;
            let start = self
                .engine
                .inner
                .begin_browser(&spec, auth, &request)
                .await?;
            return Ok(LoginStep::Waiting(start));
        }
        if let Some(device) = provider.device() {
            let device = device.device_start(&flow).await.map_err(provider_err)?;
            let prompt = LoginPrompt::Device {
                user_code: device.user_code.clone(),
                verification_uri: device.verification_uri.clone(),
                verification_uri_complete: device.verification_uri_complete.clone(),
                expires_at: device.expires_at,
            };
            self.engine
                .inner
                .register(&spec, None, Waiting::Device(device), login::new_state())?;
            return Ok(LoginStep::Waiting(LoginStart {
                connection: spec.name.clone(),
                prompt,
                browser_opened: false,
            }));
        }
        drop(provider);
        drop(stored);
        Ok(LoginStep::Done(
            self.with_credentials(name, LoginInput { totp: request.totp })
                .await?,
        ))
    }

    /// Waits for the pending login of `name` to finish (callback, paste or device approval),
    /// then stores the tokens.
    pub async fn finish(&self, name: &ConnectionName) -> Result<ConnectionView> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        let (waiting, rx, cancel, state) = self.engine.inner.take_waiting(&spec)?;
        let result = tokio::select! {
            () = cancel.cancelled() => Err(fail(&spec, LoginFailure::Cancelled)),
            r = tokio::time::timeout(self.engine.inner.login_timeout, self.engine.inner.complete(&spec, waiting, rx)) => {
                r.unwrap_or_else(|_| Err(fail(&spec, LoginFailure::TimedOut)))
            }
        };
        self.engine.inner.clear_pending(&spec.name, &state);
        self.engine.inner.keep_login(&spec, result?).await?;
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
    pub fn paste(&self, name: &ConnectionName, text: &str) -> Result<()> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        let logins = self.engine.inner.logins.lock().expect("logins lock");
        let pending = logins
            .get(&spec.name)
            .ok_or_else(|| fail(&spec, LoginFailure::NotPending))?;
        let outcome = login::parse_pasted(text, &pending.state, &pending.iss)
            .map_err(|e| fail(&spec, LoginFailure::BadPaste(e)))?;
        pending
            .tx
            .try_send(outcome)
            .map_err(|_| fail(&spec, LoginFailure::NotPending))
    }

    /// Routes a `tokentray://oauth/callback?…` link to the deep-link login whose `state` it
    /// carries. Anything else is ignored (and logged); returns whether a login took it.
    pub fn deliver_redirect(&self, link: &str) -> bool {
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
        let logins = self.engine.inner.logins.lock().expect("logins lock");
        for pending in logins
            .values()
            .filter(|p| p.mode == Some(RedirectMode::DeepLink))
        {
            match login::parse_callback(&query, &pending.state, &pending.iss) {
                login::Callback::Outcome(outcome) => return pending.tx.try_send(outcome).is_ok(),
                login::Callback::WrongIssuer => {
                    tracing::warn!("ignored a login callback whose iss is not the expected issuer");
                    return false;
                }
                login::Callback::Foreign => {}
            }
        }
        tracing::info!("ignored a login callback that matches no waiting login");
        false
    }

    /// Opens `url` in the browser. The authorize URL of a waiting login is opened again through
    /// its forwarding page (never on a command line); any other URL as it is.
    ///
    /// # Errors
    /// Why the browser could not be opened (the front end then shows the URL).
    pub fn open_url(&self, url: &str) -> std::result::Result<(), String> {
        let mut logins = self.engine.inner.logins.lock().expect("logins lock");
        let Some(pending) = logins.values_mut().find(|p| p.url.as_deref() == Some(url)) else {
            drop(logins);
            return self.engine.inner.browser.open(url);
        };
        if pending.page.is_none() {
            pending.page = Some(
                LoginPage::write(
                    &self.engine.inner.paths.runtime_dir,
                    url,
                    self.engine.inner.login_timeout,
                )
                .map_err(|e| e.to_string())?,
            );
        }
        let page = pending
            .page
            .as_ref()
            .map(LoginPage::url)
            .unwrap_or_default();
        drop(logins);
        self.engine.inner.browser.open(&page)
    }

    /// Whether a login of `name` is waiting for the person.
    pub fn pending(&self, name: &ConnectionName) -> bool {
        self.engine
            .inner
            .logins
            .lock()
            .expect("logins lock")
            .contains_key(name)
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
        let logins = self.engine.inner.logins.lock().expect("logins lock");
        logins.get(name).is_some_and(|p| {
            p.cancel.cancel();
            true
        })
    }
}

impl Inner {
    async fn begin_browser(
        &self,
        spec: &ConnectionSpec,
        auth: Authorization,
        request: &LoginRequest,
    ) -> Result<LoginStart> {
        let redirect = spec.typed().kind.redirect();
        let mode = match request.redirect.unwrap_or(RedirectMode::Auto) {
            RedirectMode::Auto => redirect.mode,
            m => m,
        };
        let mode = if mode == RedirectMode::Auto {
            RedirectMode::Loopback
        } else {
            mode
        };
        let state = login::new_state();
        let (tx, rx) = mpsc::channel(1);
        let (redirect_uri, listener) = match mode {
            RedirectMode::Loopback => {
                let target = loopback::Target::of(&redirect);
                let l = loopback::listen(&target, state.clone(), auth.iss.clone(), tx.clone())
                    .await
                    .map_err(|e| fail(spec, LoginFailure::Listener(e.to_string())))?;
                (l.redirect_uri.clone(), Some(l))
            }
            RedirectMode::DeepLink => (RedirectMode::DEEP_LINK_URI.to_owned(), None),
            _ => (RedirectMode::OOB_URI.to_owned(), None),
        };
        let (url, verifier) =
            authorize_url(&auth, &redirect_uri, &state).map_err(|reason| Error::Provider {
                connection: spec.name.clone(),
                source: crate::provider::ProviderError::Config {
                    field: "authorize_url",
                    reason,
                },
            })?;
        let page = self.login_page(spec, &url, request.open_browser)?;
        let page_url = page.as_ref().map(LoginPage::url);
        let iss = auth.iss.clone();
        let waiting = Waiting::Code {
            auth: Box::new(auth),
            verifier,
            redirect_uri: redirect_uri.clone(),
            _listener: listener,
        };
        let pending = Pending {
            state,
            iss,
            url: Some(url.clone()),
            page,
            mode: Some(mode),
            tx,
            rx: Some(rx),
            waiting: Some(waiting),
            cancel: CancellationToken::new(),
        };
        self.insert_pending(spec, pending)?;
        let browser_opened = match page_url.map(|p| self.browser.open(&p)) {
            Some(Ok(())) => true,
            Some(Err(e)) => {
                tracing::info!(connection = %spec.name, error = %e, "could not open a browser; showing the URL");
                false
            }
            None => false,
        };
        Ok(LoginStart {
            connection: spec.name.clone(),
            prompt: LoginPrompt::Browser {
                url,
                redirect_uri,
                mode,
            },
            browser_opened,
        })
    }

    /// The browser is given only the address of an owner-only page that forwards to the
    /// authorize URL: an opener's command line is readable by every local user.
    fn login_page(
        &self,
        spec: &ConnectionSpec,
        url: &str,
        open_browser: bool,
    ) -> Result<Option<LoginPage>> {
        if !open_browser {
            return Ok(None);
        }
        LoginPage::write(&self.paths.runtime_dir, url, self.login_timeout)
            .map(Some)
            .map_err(|e| fail(spec, LoginFailure::Page(e.to_string())))
    }

    fn register(
        &self,
        spec: &ConnectionSpec,
        mode: Option<RedirectMode>,
        waiting: Waiting,
        state: Secret,
    ) -> Result<()> {
        let (tx, rx) = mpsc::channel(1);
        self.insert_pending(
            spec,
            Pending {
                state,
                iss: IssCheck::default(),
                url: None,
                page: None,
                mode,
                tx,
                rx: Some(rx),
                waiting: Some(waiting),
                cancel: CancellationToken::new(),
            },
        )
    }

    fn insert_pending(&self, spec: &ConnectionSpec, pending: Pending) -> Result<()> {
        let mut logins = self.logins.lock().expect("logins lock");
        if logins.contains_key(&spec.name) {
            return Err(fail(spec, LoginFailure::AlreadyPending));
        }
        logins.insert(spec.name.clone(), pending);
        Ok(())
    }

    fn take_waiting(
        &self,
        spec: &ConnectionSpec,
    ) -> Result<(
        Waiting,
        mpsc::Receiver<CallbackOutcome>,
        CancellationToken,
        Secret,
    )> {
        let mut logins = self.logins.lock().expect("logins lock");
        let pending = logins
            .get_mut(&spec.name)
            .ok_or_else(|| fail(spec, LoginFailure::NotPending))?;
        match (pending.waiting.take(), pending.rx.take()) {
            (Some(w), Some(rx)) => Ok((w, rx, pending.cancel.clone(), pending.state.clone())),
            _ => Err(fail(spec, LoginFailure::AlreadyPending)),
        }
    }

    fn clear_pending(&self, name: &ConnectionName, state: &Secret) {
        let mut logins = self.logins.lock().expect("logins lock");
        if logins.get(name).is_some_and(|p| &p.state == state) {
            logins.remove(name);
        }
    }

    async fn complete(
        &self,
        spec: &Arc<ConnectionSpec>,
        waiting: Waiting,
        mut rx: mpsc::Receiver<CallbackOutcome>,
    ) -> Result<TokenSet> {
        let stored = self.stored(spec).await?;
        let http = self.client(spec).await?;
        let flow = self.flow(spec, &stored, &http);
        let provider = flow.provider();
        let provider_err = |source| Error::Provider {
            connection: spec.name.clone(),
            source,
        };
        match waiting {
            Waiting::Code {
                auth,
                verifier,
                redirect_uri,
                _listener,
            } => {
                let outcome = rx
                    .recv()
                    .await
                    .ok_or_else(|| fail(spec, LoginFailure::Cancelled))?;
                let code = match outcome {
                    CallbackOutcome::Code(code) => code,
                    CallbackOutcome::Error { error, description } => {
                        return Err(fail(spec, LoginFailure::Refused { error, description }));
                    }
                };
                // The settings may have changed since the login started.
                let browser = provider.browser().ok_or_else(|| {
                    provider_err(ProviderError::NeedsInteraction(
                        "this connection has no browser login".into(),
                    ))
                })?;
                browser
                    .exchange_code(&flow, &auth, &code, verifier.as_ref(), &redirect_uri)
                    .await
                    .map_err(provider_err)
            }
            Waiting::Device(start) => {
                let device = provider.device().ok_or_else(|| {
                    provider_err(ProviderError::NeedsInteraction(
                        "this connection has no device login".into(),
                    ))
                })?;
                poll_device(spec, &flow, device, &start).await
            }
        }
    }
}

async fn poll_device(
    spec: &ConnectionSpec,
    flow: &provider::Flow<'_>,
    provider: &dyn provider::DeviceLogin,
    start: &DeviceStart,
) -> Result<TokenSet> {
    let mut interval = start.interval.max(Duration::from_secs(1));
    loop {
        tokio::time::sleep(interval).await;
        if flow.now() >= start.expires_at {
            return Err(fail(spec, LoginFailure::Expired));
        }
        match provider.device_poll(flow, start).await {
            Ok(DevicePoll::Done(tokens)) => return Ok(tokens),
            Ok(DevicePoll::Pending) => {}
            Ok(DevicePoll::SlowDown) => interval += Duration::from_secs(5),
            Err(crate::provider::ProviderError::Rejected { code, description })
                if code == "expired_token" =>
            {
                let _ = description;
                return Err(fail(spec, LoginFailure::Expired));
            }
            Err(crate::provider::ProviderError::Rejected { code, description }) => {
                return Err(fail(
                    spec,
                    LoginFailure::Refused {
                        error: code,
                        description,
                    },
                ));
            }
            Err(e) if e.is_transient() => {
                tracing::info!(connection = %spec.name, error = %e, "device poll failed; polling on");
            }
            Err(source) => {
                return Err(Error::Provider {
                    connection: spec.name.clone(),
                    source,
                });
            }
        }
    }
}

/// The authorize URL (built by the `oauth2` crate) and the PKCE verifier, if PKCE is on.
fn authorize_url(
    auth: &Authorization,
    redirect_uri: &str,
    state: &Secret,
) -> std::result::Result<(String, Option<Secret>), String> {
    use oauth2::{AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope};
    let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| e.to_string())?;
    let client = oauth2::basic::BasicClient::new(ClientId::new(auth.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(auth.authorize_url.clone()))
        .set_redirect_uri(redirect);
    let state_value = state.expose().to_owned();
    let mut req = client.authorize_url(move || CsrfToken::new(state_value));
    if let Some(scope) = &auth.scope {
        req = req.add_scopes(scope.split_whitespace().map(|s| Scope::new(s.to_owned())));
    }
    for (k, v) in &auth.params {
        req = req.add_extra_param(k.clone(), v.clone());
    }
    if let Some(nonce) = &auth.nonce {
        req = req.add_extra_param("nonce", nonce.expose().to_owned());
    }
    let verifier = if auth.pkce {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        req = req.set_pkce_challenge(challenge);
        Some(Secret::new(verifier.secret().clone()))
    } else {
        None
    };
    Ok((req.url().0.to_string(), verifier))
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}
