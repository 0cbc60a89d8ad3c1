//! A connection's interactive login (browser or device), held by its owner: the `state`, the
//! `iss` check, the PKCE verifier, the redirect URI, the loopback listener, the device start,
//! the forwarding page. The owner runs the provider's steps (authorization, code exchange,
//! device polls) with the secrets and client it owns; the waiting for the person (minutes) is a
//! small sub-task, the waiter, that tells the owner by message what arrived (a callback from
//! the listener, a cancellation, the time limit (`login_timeout`, counted from the first call of
//! `finish`, as the person may take long to paste a code before), the next device poll), so the owner goes on
//! serving tokens, refreshes and edits meanwhile. Pasted codes and deep links are messages to
//! the owner too.
//!
//! What others read without waiting is what the owner publishes (a [`Desk`]: that a login
//! waits, its cancel switch, its authorize URL and forwarding page); the only shared piece is
//! [`LoginRoutes`], which finds the connection a deep link (by `state`) or a URL to open again
//! belongs to, keyed by hashes, holding no login data.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::Owner;
use crate::connection::{ConnectionName, ConnectionSpec};
use crate::engine::Inner;
use crate::engine::runtime::{Msg, Reply};
use crate::error::{Error, LoginFailure, Result};
use crate::login::{self, CallbackOutcome, IssCheck, LoginPrompt, LoginRequest, LoginStart};
use crate::login::{Callback, RedirectMode};
use crate::login_page::LoginPage;
use crate::loopback::{self, Loopback};
use crate::provider::{Authorization, DevicePoll, DeviceStart, ProviderError};
use crate::secret::Secret;
use crate::token::TokenSet;

/// What a waiting login shows readers that do not wait for the owner (through `Published`).
pub(crate) struct Desk {
    /// Cancels the login (the waiter tells the owner).
    pub(crate) cancel: CancellationToken,
    /// The authorize URL of a browser login, for opening it again.
    url: Option<String>,
    /// The page that forwards the browser to `url`, written when first needed; removed with
    /// the login (when the owner and the last reader let go of the desk).
    page: Mutex<Option<LoginPage>>,
}

impl Desk {
    /// The address of the page forwarding to the authorize URL, written now if not yet.
    pub(crate) fn page_url(&self, inner: &Inner) -> std::result::Result<String, String> {
        let mut page = self.page.lock().expect("login page lock");
        if page.is_none() {
            let url = self.url.as_deref().unwrap_or_default();
            *page = Some(
                LoginPage::write(&inner.paths.runtime_dir, url, inner.login_timeout)
                    .map_err(|e| e.to_string())?,
            );
        }
        Ok(page.as_ref().map(LoginPage::url).unwrap_or_default())
    }
}

/// Which connection waits for a deep link with a given `state`, or opened a given authorize
/// URL: keyed by a hash of either, so it holds nothing a callback could be forged from.
#[derive(Default)]
pub(crate) struct LoginRoutes {
    by_key: Mutex<HashMap<RouteKey, ConnectionName>>,
}

type RouteKey = [u8; 32];

fn route_key(what: &str, value: &str) -> RouteKey {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(what.as_bytes());
    hash.update([0]);
    hash.update(value.as_bytes());
    hash.finalize().into()
}

impl LoginRoutes {
    /// The connection whose deep-link login carries `state`.
    pub(crate) fn by_state(&self, state: &str) -> Option<ConnectionName> {
        self.get(route_key("state", state))
    }

    /// The connection whose waiting login has the authorize URL `url`.
    pub(crate) fn by_url(&self, url: &str) -> Option<ConnectionName> {
        self.get(route_key("url", url))
    }

    fn get(&self, key: RouteKey) -> Option<ConnectionName> {
        self.by_key.lock().expect("routes lock").get(&key).cloned()
    }

    fn add(&self, keys: &[RouteKey], name: &ConnectionName) {
        let mut map = self.by_key.lock().expect("routes lock");
        for key in keys {
            map.insert(*key, name.clone());
        }
    }

    fn remove(&self, keys: &[RouteKey]) {
        let mut map = self.by_key.lock().expect("routes lock");
        for key in keys {
            map.remove(key);
        }
    }
}

/// What the waiter tells the owner.
pub(crate) enum Arrival {
    /// The loopback listener caught the browser's callback.
    Callback(CallbackOutcome),
    Cancelled,
    TimedOut,
    /// Time for the next device poll; the owner answers when to poll again (`None`: stop).
    PollDue(oneshot::Sender<Option<Duration>>),
}

/// What a login waits with.
enum Step {
    Code {
        auth: Box<Authorization>,
        verifier: Option<Secret>,
        redirect_uri: String,
        _listener: Option<Loopback>,
    },
    Device {
        start: DeviceStart,
        interval: Duration,
    },
}

/// The login the owner holds while the person signs in.
pub(super) struct LoginWait {
    id: u64,
    spec: Arc<ConnectionSpec>,
    state: Secret,
    iss: IssCheck,
    mode: Option<RedirectMode>,
    step: Step,
    desk: Arc<Desk>,
    routes: Vec<RouteKey>,
    /// The caller of `finish`, once it waits.
    finisher: Option<Reply<()>>,
    /// Fired when `finish` is first called: the login's time limit counts from then.
    finishing: CancellationToken,
}

/// A login started, not yet held.
struct Begun {
    wait: LoginWait,
    start: LoginStart,
    /// Where the waiter hears the loopback listener.
    callbacks: Option<mpsc::Receiver<CallbackOutcome>>,
    /// The page to open in the browser, when asked to open it.
    open: Option<String>,
}

impl LoginWait {
    pub(super) fn desk(&self) -> Arc<Desk> {
        self.desk.clone()
    }
}

fn fail(name: &ConnectionName, reason: LoginFailure) -> Error {
    Error::Login {
        connection: name.clone(),
        reason,
    }
}

impl Owner {
    /// Handles a login's message.
    pub(super) async fn handle_login(&mut self, inner: &Inner, msg: Msg) {
        match msg {
            Msg::BeginLogin {
                spec,
                request,
                reply,
            } => {
                let _ = reply.send(self.begin_login(inner, &spec, request).await);
            }
            Msg::FinishLogin { reply } => self.finish_login(reply),
            Msg::Paste { text, reply } => match self.pasted(text.expose()) {
                Ok(outcome) => {
                    let _ = reply.send(Ok(()));
                    self.callback(inner, outcome).await;
                }
                Err(e) => drop(reply.send(Err(e))),
            },
            Msg::Redirect { query, reply } => match self.redirected(&query) {
                Some(outcome) => {
                    let _ = reply.send(true);
                    self.callback(inner, outcome).await;
                }
                None => drop(reply.send(false)),
            },
            Msg::LoginArrived { id, arrival } => self.arrived(inner, id, arrival).await,
            _ => {}
        }
    }

    /// Starts a browser or device login; `None` when the connection has neither (the caller
    /// then logs in with the stored credentials).
    pub(super) async fn begin_login(
        &mut self,
        inner: &Inner,
        spec: &Arc<ConnectionSpec>,
        request: LoginRequest,
    ) -> Result<Option<LoginStart>> {
        if self
            .login
            .as_ref()
            .is_some_and(|l| l.desk.cancel.is_cancelled())
        {
            // Cancelled, its waiter's word not in yet: it ends now.
            self.end_login(inner, Err(fail(&spec.name, LoginFailure::Cancelled)));
        }
        if self.login.is_some() {
            return Err(fail(&spec.name, LoginFailure::AlreadyPending));
        }
        self.unclaimed = None;
        let Some(begun) = self.start_flow(inner, spec, &request).await? else {
            return Ok(None);
        };
        Ok(Some(self.hold(inner, begun)))
    }

    /// Asks the provider for the login's first step.
    async fn start_flow(
        &mut self,
        inner: &Inner,
        spec: &Arc<ConnectionSpec>,
        request: &LoginRequest,
    ) -> Result<Option<Begun>> {
        let stored = self.stored(inner, spec).await?;
        let http = self.http(inner, spec)?;
        let flow = inner.flow(spec, &stored, &http);
        let provider = flow.provider();
        let provider_err = |source| Error::Provider {
            connection: spec.name.clone(),
            source,
        };
        if let Some(browser) = provider.browser() {
            let auth = browser.authorization(&flow).await.map_err(provider_err)?;
            return browser_login(inner, spec, auth, request).await.map(Some);
        }
        if let Some(device) = provider.device() {
            let start = device.device_start(&flow).await.map_err(provider_err)?;
            return Ok(Some(device_login(spec, start)));
        }
        Ok(None)
    }

    /// Keeps the login, starts its waiter, lists its routes, publishes it, opens the browser.
    fn hold(&mut self, inner: &Inner, begun: Begun) -> LoginStart {
        let Begun {
            mut wait,
            mut start,
            callbacks,
            open,
        } = begun;
        self.logins_started += 1;
        wait.id = self.logins_started;
        if wait.mode == Some(RedirectMode::DeepLink) {
            wait.routes.push(route_key("state", wait.state.expose()));
        }
        if let Some(url) = &wait.desk.url {
            wait.routes.push(route_key("url", url));
        }
        inner.routes.add(&wait.routes, &wait.spec.name);
        let waiter = Waiter {
            owner: self.me.clone(),
            id: wait.id,
            cancel: wait.desk.cancel.clone(),
            timeout: inner.login_timeout,
            finishing: wait.finishing.clone(),
        };
        match &wait.step {
            Step::Code { .. } => drop(tokio::spawn(waiter.code(callbacks))),
            Step::Device { interval, .. } => drop(tokio::spawn(waiter.device(*interval))),
        }
        let name = wait.spec.name.clone();
        self.login = Some(wait);
        self.publish();
        if let Some(page) = open {
            match inner.browser.open(&page) {
                Ok(()) => start.browser_opened = true,
                Err(e) => {
                    tracing::info!(connection = %name, error = %e, "could not open a browser; showing the URL");
                }
            }
        }
        start
    }

    /// Ends the waiting login with `result`: its listener, page, routes and waiter go, and
    /// the caller of `finish` gets the result (or the next one to call it).
    pub(super) fn end_login(&mut self, inner: &Inner, result: Result<()>) {
        let Some(mut wait) = self.login.take() else {
            return;
        };
        inner.routes.remove(&wait.routes);
        wait.desk.cancel.cancel();
        let finisher = wait.finisher.take();
        // The listener and (with the published copy) the page go before anyone is answered.
        drop(wait);
        self.publish();
        match finisher {
            Some(reply) => drop(reply.send(result)),
            None => self.unclaimed = Some(result),
        }
    }

    /// The caller of `finish` waits for the login's end (or gets how it already ended).
    pub(super) fn finish_login(&mut self, reply: Reply<()>) {
        let name = self.name.clone();
        match (self.login.as_mut(), self.unclaimed.take()) {
            (Some(wait), _) if wait.finisher.is_none() => {
                wait.finishing.cancel();
                wait.finisher = Some(reply);
            }
            (Some(_), _) => drop(reply.send(Err(fail(&name, LoginFailure::AlreadyPending)))),
            (None, Some(result)) => drop(reply.send(result)),
            (None, None) => drop(reply.send(Err(fail(&name, LoginFailure::NotPending)))),
        }
    }

    /// A pasted code or redirected URL, checked against the waiting login.
    pub(super) fn pasted(&self, text: &str) -> Result<CallbackOutcome> {
        let not_pending = || fail(&self.name, LoginFailure::NotPending);
        let wait = self.login.as_ref().ok_or_else(not_pending)?;
        if matches!(wait.step, Step::Device { .. }) {
            return Err(fail(
                &self.name,
                LoginFailure::BadPaste(
                    "this login waits for approval on another device; there is nothing to paste"
                        .into(),
                ),
            ));
        }
        login::parse_pasted(text, &wait.state, &wait.iss)
            .map_err(|e| fail(&self.name, LoginFailure::BadPaste(e)))
    }

    /// A deep link's query, checked against the waiting deep-link login.
    pub(super) fn redirected(&self, query: &[(String, String)]) -> Option<CallbackOutcome> {
        let wait = self
            .login
            .as_ref()
            .filter(|w| w.mode == Some(RedirectMode::DeepLink))?;
        match login::parse_callback(query, &wait.state, &wait.iss) {
            Callback::Outcome(outcome) => Some(outcome),
            Callback::WrongIssuer => {
                tracing::warn!("ignored a login callback whose iss is not the expected issuer");
                None
            }
            Callback::Foreign => {
                tracing::info!("ignored a login callback that matches no waiting login");
                None
            }
        }
    }

    /// What the waiter of login `id` says.
    pub(super) async fn arrived(&mut self, inner: &Inner, id: u64, arrival: Arrival) {
        if self.login.as_ref().is_none_or(|w| w.id != id) {
            // A login that already ended.
            return;
        }
        let name = self.name.clone();
        let result = match arrival {
            Arrival::Cancelled => Err(fail(&name, LoginFailure::Cancelled)),
            Arrival::TimedOut => Err(fail(&name, LoginFailure::TimedOut)),
            Arrival::Callback(outcome) => return self.callback(inner, outcome).await,
            Arrival::PollDue(next) => match self.poll_device(inner).await {
                Polled::Again(after) => {
                    let _ = next.send(Some(after));
                    return;
                }
                Polled::Done(tokens) => self.keep_tokens(inner, tokens).await,
            },
        };
        self.end_login(inner, result);
    }

    /// The browser came back: the code is exchanged, the tokens kept, the login ended.
    pub(super) async fn callback(&mut self, inner: &Inner, outcome: CallbackOutcome) {
        let tokens = match outcome {
            CallbackOutcome::Code(code) => self.exchange(inner, &code).await,
            CallbackOutcome::Error { error, description } => Err(fail(
                &self.name,
                LoginFailure::Refused { error, description },
            )),
        };
        let result = self.keep_tokens(inner, tokens).await;
        self.end_login(inner, result);
    }

    async fn keep_tokens(&mut self, inner: &Inner, tokens: Result<TokenSet>) -> Result<()> {
        let spec = self.login.as_ref().map(|w| w.spec.clone());
        match (tokens, spec) {
            (Ok(tokens), Some(spec)) => self.logged_in_elsewhere(inner, &spec, tokens).await,
            (Ok(_), None) => Err(fail(&self.name, LoginFailure::Cancelled)),
            (Err(e), _) => Err(e),
        }
    }

    /// Redeems the code where the login asked for it, with the secrets and client owned here.
    async fn exchange(&mut self, inner: &Inner, code: &Secret) -> Result<TokenSet> {
        let Some(LoginWait {
            spec,
            step:
                Step::Code {
                    auth,
                    verifier,
                    redirect_uri,
                    ..
                },
            ..
        }) = self.login.as_ref()
        else {
            return Err(fail(&self.name, LoginFailure::NotPending));
        };
        let (spec, auth, verifier, redirect_uri) = (
            spec.clone(),
            auth.clone(),
            verifier.clone(),
            redirect_uri.clone(),
        );
        let stored = self.stored(inner, &spec).await?;
        let http = self.http(inner, &spec)?;
        let flow = inner.flow(&spec, &stored, &http);
        let provider = flow.provider();
        let provider_err = |source| Error::Provider {
            connection: spec.name.clone(),
            source,
        };
        // The settings may have changed since the login started.
        let browser = provider.browser().ok_or_else(|| {
            provider_err(ProviderError::NeedsInteraction(
                "this connection has no browser login".into(),
            ))
        })?;
        browser
            .exchange_code(&flow, &auth, code, verifier.as_ref(), &redirect_uri)
            .await
            .map_err(provider_err)
    }

    /// One device poll (RFC 8628), with the secrets and client owned here.
    async fn poll_device(&mut self, inner: &Inner) -> Polled {
        let Some(LoginWait {
            spec,
            step: Step::Device { start, interval },
            ..
        }) = self.login.as_ref()
        else {
            return Polled::Done(Err(fail(&self.name, LoginFailure::NotPending)));
        };
        let (spec, start, interval) = (spec.clone(), start.clone(), *interval);
        if inner.clock.now() >= start.expires_at {
            return Polled::Done(Err(fail(&spec.name, LoginFailure::Expired)));
        }
        let polled = match (self.stored(inner, &spec).await, self.http(inner, &spec)) {
            (Ok(stored), Ok(http)) => {
                let flow = inner.flow(&spec, &stored, &http);
                let provider = flow.provider();
                match provider.device() {
                    Some(device) => device.device_poll(&flow, &start).await,
                    None => Err(ProviderError::NeedsInteraction(
                        "this connection has no device login".into(),
                    )),
                }
            }
            (Err(e), _) | (_, Err(e)) => return Polled::Done(Err(e)),
        };
        let polled = Polled::of(&spec.name, polled, interval);
        if let (
            Polled::Again(after),
            Some(LoginWait {
                step: Step::Device { interval, .. },
                ..
            }),
        ) = (&polled, self.login.as_mut())
        {
            *interval = *after;
        }
        polled
    }

    /// After an edit: a login waits on with the new definition, unless the change could make
    /// its result wrong (then it ends, cancelled).
    pub(super) fn login_edited(
        &mut self,
        inner: &Inner,
        spec: &Arc<ConnectionSpec>,
        material: bool,
    ) {
        if material {
            self.end_login(inner, Err(fail(&spec.name, LoginFailure::Cancelled)));
        } else if let Some(wait) = self.login.as_mut() {
            wait.spec = spec.clone();
        }
    }
}

/// How a device poll went.
enum Polled {
    /// Poll again after this long.
    Again(Duration),
    /// The login ended: the tokens, or why not.
    Done(Result<TokenSet>),
}

impl Polled {
    fn of(
        name: &ConnectionName,
        polled: std::result::Result<DevicePoll, ProviderError>,
        interval: Duration,
    ) -> Self {
        let refused = |error, description| {
            Self::Done(Err(fail(
                name,
                LoginFailure::Refused { error, description },
            )))
        };
        match polled {
            Ok(DevicePoll::Done(tokens)) => Self::Done(Ok(tokens)),
            Ok(DevicePoll::Pending) => Self::Again(interval),
            Ok(DevicePoll::SlowDown) => Self::Again(interval + Duration::from_secs(5)),
            Err(ProviderError::Rejected { code, .. }) if code == "expired_token" => {
                Self::Done(Err(fail(name, LoginFailure::Expired)))
            }
            Err(ProviderError::Rejected { code, description }) => refused(code, description),
            Err(e) if e.is_transient() => {
                tracing::info!(connection = %name, error = %e, "device poll failed; polling on");
                Self::Again(interval)
            }
            Err(source) => Self::Done(Err(Error::Provider {
                connection: name.clone(),
                source,
            })),
        }
    }
}

/// The sub-task that waits for the person and tells the owner by message.
struct Waiter {
    owner: mpsc::WeakUnboundedSender<Msg>,
    id: u64,
    cancel: CancellationToken,
    timeout: Duration,
    finishing: CancellationToken,
}

impl Waiter {
    /// Ends `timeout` after `finish` was first called.
    async fn time_limit(&self) {
        self.finishing.cancelled().await;
        tokio::time::sleep(self.timeout).await;
    }

    fn tell(&self, arrival: Arrival) -> bool {
        self.owner.upgrade().is_some_and(|tx| {
            tx.send(Msg::LoginArrived {
                id: self.id,
                arrival,
            })
            .is_ok()
        })
    }

    /// A browser login: the listener's callback (pastes and deep links go to the owner).
    async fn code(self, callbacks: Option<mpsc::Receiver<CallbackOutcome>>) {
        let callback = async {
            match callbacks {
                Some(mut rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        let arrival = tokio::select! {
            () = self.cancel.cancelled() => Arrival::Cancelled,
            () = self.time_limit() => Arrival::TimedOut,
            outcome = callback => outcome.map_or(Arrival::Cancelled, Arrival::Callback),
        };
        self.tell(arrival);
    }

    /// A device login: a poll every `interval` (as the owner adjusts it) until it ends.
    async fn device(self, mut interval: Duration) {
        let limit = self.time_limit();
        tokio::pin!(limit);
        loop {
            let arrival = tokio::select! {
                () = self.cancel.cancelled() => Arrival::Cancelled,
                () = &mut limit => Arrival::TimedOut,
                () = tokio::time::sleep(interval) => {
                    let (tx, rx) = oneshot::channel();
                    if !self.tell(Arrival::PollDue(tx)) {
                        return;
                    }
                    match rx.await {
                        Ok(Some(next)) => {
                            interval = next;
                            continue;
                        }
                        _ => return,
                    }
                }
            };
            self.tell(arrival);
            return;
        }
    }
}

/// A browser login's first step: the listener (for loopback), the authorize URL and verifier.
async fn browser_login(
    inner: &Inner,
    spec: &Arc<ConnectionSpec>,
    auth: Authorization,
    request: &LoginRequest,
) -> Result<Begun> {
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
    let (redirect_uri, listener, callbacks) = match mode {
        RedirectMode::Loopback => {
            let target = loopback::Target::of(&redirect);
            let l = loopback::listen(&target, state.clone(), auth.iss.clone(), tx)
                .await
                .map_err(|e| fail(&spec.name, LoginFailure::Listener(e.to_string())))?;
            (l.redirect_uri.clone(), Some(l), Some(rx))
        }
        RedirectMode::DeepLink => (RedirectMode::DEEP_LINK_URI.to_owned(), None, None),
        _ => (RedirectMode::OOB_URI.to_owned(), None, None),
    };
    let (url, verifier) =
        authorize_url(&auth, &redirect_uri, &state).map_err(|reason| Error::Provider {
            connection: spec.name.clone(),
            source: ProviderError::Config {
                field: "authorize_url",
                reason,
            },
        })?;
    // The browser is given only the address of an owner-only page that forwards to the
    // authorize URL: an opener's command line is readable by every local user.
    let page = if request.open_browser {
        Some(
            LoginPage::write(&inner.paths.runtime_dir, &url, inner.login_timeout)
                .map_err(|e| fail(&spec.name, LoginFailure::Page(e.to_string())))?,
        )
    } else {
        None
    };
    let open = page.as_ref().map(LoginPage::url);
    let wait = LoginWait {
        id: 0,
        spec: spec.clone(),
        state,
        iss: auth.iss.clone(),
        mode: Some(mode),
        step: Step::Code {
            auth: Box::new(auth),
            verifier,
            redirect_uri: redirect_uri.clone(),
            _listener: listener,
        },
        desk: Arc::new(Desk {
            cancel: CancellationToken::new(),
            url: Some(url.clone()),
            page: Mutex::new(page),
        }),
        routes: Vec::new(),
        finisher: None,
        finishing: CancellationToken::new(),
    };
    let start = LoginStart {
        connection: spec.name.clone(),
        prompt: LoginPrompt::Browser {
            url,
            redirect_uri,
            mode,
        },
        browser_opened: false,
    };
    Ok(Begun {
        wait,
        start,
        callbacks,
        open,
    })
}

/// A device login's first step: the codes to show.
fn device_login(spec: &Arc<ConnectionSpec>, start: DeviceStart) -> Begun {
    let prompt = LoginPrompt::Device {
        user_code: start.user_code.clone(),
        verification_uri: start.verification_uri.clone(),
        verification_uri_complete: start.verification_uri_complete.clone(),
        expires_at: start.expires_at,
    };
    let wait = LoginWait {
        id: 0,
        spec: spec.clone(),
        state: login::new_state(),
        iss: IssCheck::default(),
        mode: None,
        step: Step::Device {
            interval: start.interval.max(Duration::from_secs(1)),
            start,
        },
        desk: Arc::new(Desk {
            cancel: CancellationToken::new(),
            url: None,
            page: Mutex::new(None),
        }),
        routes: Vec::new(),
        finisher: None,
        finishing: CancellationToken::new(),
    };
    Begun {
        wait,
        start: LoginStart {
            connection: spec.name.clone(),
            prompt,
            browser_opened: false,
        },
        callbacks: None,
        open: None,
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
