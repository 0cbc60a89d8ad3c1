//! The token lifecycle of each connection: getting a token, renewing it once for all callers
//! (single flight), classifying failures, persisting before serving, and scheduling the next
//! renewal.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;

use super::{Engine, Inner};
use crate::connection::{ConnectionName, ConnectionSpec};
use crate::error::{Error, Result};
use crate::provider::{self, FailureClass, Flow, LoginInput, ProviderError};
use crate::refresh::{Renewer, window};
use crate::secret::{RejectedToken, Secret};
use crate::state::{ConnectionState, HistoryOutcome, Status};
use crate::time::Timestamp;
use crate::token::{Handout, Identity, TokenSet};
use crate::vault::Stored;

/// A connection's hand-out, with what it was built from.
pub(crate) struct Ready {
    pub(super) spec: Arc<ConnectionSpec>,
    pub(super) tokens: TokenSet,
    /// When the tokens are due for renewal (`Want::Fresh` no longer satisfied).
    pub(super) renew_at: Option<Timestamp>,
    /// When a renewal was last made or tried: until the renewal window has passed, the tokens
    /// are the freshest there are, whatever the caller asks (see `refresh::window`).
    pub(super) last_attempt: Option<window::Attempt>,
    pub(super) handout: Arc<Handout>,
}

/// A failure shared with every caller that waited for the same renewal.
#[derive(Clone, Debug)]
enum Failure {
    Provider(ProviderError),
    Store(String),
}

impl Failure {
    fn into_error(self, name: &ConnectionName) -> Error {
        match self {
            Self::Provider(source) => Error::Provider {
                connection: name.clone(),
                source,
            },
            Self::Store(message) => Error::Store(crate::ports::StoreError::Platform { message }),
        }
    }
}

#[derive(Default)]
struct SlotState {
    stored: Option<Stored>,
    state: Option<ConnectionState>,
    generation: u64,
    last_failure: Option<Failure>,
    failures: u32,
    /// Counts every access that may have changed the above; a hand-out built from an older
    /// version is not kept.
    version: u64,
    /// The hand-out of the stored tokens, built once (see `handout.rs`).
    ready: Option<Arc<Ready>>,
}

/// Per-connection lifecycle state: a gate that makes renewals single-flight, and what is known.
#[derive(Default)]
pub(crate) struct Slot {
    pub(crate) gate: tokio::sync::Mutex<()>,
    data: Mutex<SlotState>,
}

impl Slot {
    pub(crate) fn with_stored(&self, stored: Stored) {
        self.with(|s| s.stored = Some(stored));
    }

    /// Any access that may change what is known: forgets the prepared hand-out.
    fn with<T>(&self, f: impl FnOnce(&mut SlotState) -> T) -> T {
        let mut data = self.data.lock().expect("slot lock");
        data.version += 1;
        data.ready = None;
        f(&mut data)
    }

    /// The prepared hand-out, if one is kept.
    pub(super) fn ready(&self) -> Option<Arc<Ready>> {
        self.data.lock().expect("slot lock").ready.clone()
    }

    /// What a hand-out is built from, as known now.
    pub(super) fn tokens_now(&self) -> SlotTokens {
        let data = self.data.lock().expect("slot lock");
        SlotTokens {
            version: data.version,
            tokens: data.stored.as_ref().and_then(|s| s.tokens.clone()),
            identity: data.state.as_ref().and_then(|st| st.identity.clone()),
            last_attempt: data.state.as_ref().and_then(window::last_attempt),
            has_state: data.state.is_some(),
        }
    }

    /// The state kept here, if any, without forgetting the prepared hand-out (a read only).
    fn state_now(&self) -> Option<ConnectionState> {
        self.data.lock().expect("slot lock").state.clone()
    }

    /// Keeps `ready` unless anything changed since `version`.
    pub(super) fn keep_ready(&self, version: u64, ready: &Arc<Ready>) {
        let mut data = self.data.lock().expect("slot lock");
        if data.version == version {
            data.ready = Some(ready.clone());
        }
    }
}

/// A slot's tokens and identity at one version.
pub(super) struct SlotTokens {
    pub(super) version: u64,
    /// `None` until the store was read, or without tokens.
    pub(super) tokens: Option<TokenSet>,
    pub(super) identity: Option<Identity>,
    /// When a renewal was last made or tried (see `refresh::window`), by the state kept here.
    pub(super) last_attempt: Option<window::Attempt>,
    /// Whether any state is kept here yet (else the state file knows the identity).
    pub(super) has_state: bool,
}

/// What a caller needs from a token.
#[derive(Clone, Copy, Debug)]
pub(super) enum Want {
    /// Valid for at least this long.
    MinValid(Duration),
    /// Not yet due for renewal.
    Fresh,
    /// The scheduler's call: renew unless it was renewed since it was scheduled (then it is
    /// not due even counting the jitter the schedule subtracts).
    Due,
    /// A new token whatever the old one; `limited`: unless the renewal limit holds the
    /// current one (see `refresh::window`).
    Forced { limited: bool },
    /// Any valid token but this one, which a service refused (`Engine::token_rejected`);
    /// within the renewal limit, which here gives an error rather than the refused token.
    Rejected(RejectedToken),
}

impl Want {
    /// Whether the renewal limit holds this caller back after `attempt` (see
    /// `refresh::window`): everything but the scheduler's own call (which keeps its schedule)
    /// and a person's explicit refresh in the app; a plain caller only after a failure.
    pub(super) fn held_by(self, attempt: window::Attempt) -> bool {
        match self {
            Self::MinValid(_) | Self::Rejected(_) => true,
            Self::Fresh => attempt.failed,
            Self::Forced { limited } => limited,
            Self::Due => false,
        }
    }

    pub(super) fn satisfied_by(self, spec: &ConnectionSpec, t: &TokenSet, now: Timestamp) -> bool {
        match self {
            Self::MinValid(d) => t.valid_for(now, d),
            Self::Fresh => {
                t.valid_for(now, Duration::ZERO)
                    && t.renew_at(refresh_before(spec)).is_none_or(|at| now < at)
            }
            Self::Due => {
                let margin = t.refresh_margin(refresh_before(spec));
                t.valid_for(now, Duration::ZERO)
                    && t.renew_at(refresh_before(spec))
                        .is_none_or(|at| now < at.minus(margin / 10))
            }
            Self::Forced { .. } => false,
            Self::Rejected(r) => {
                t.valid_for(now, Duration::ZERO) && !r.matches(t.access_token.expose())
            }
        }
    }

    /// Whether the token held must not be answered in place of a renewal.
    fn refuses_held(self) -> bool {
        matches!(self, Self::Forced { .. } | Self::Rejected(_))
    }
}

/// What a forced refresh did ([`Engine::refresh_limited`]).
#[derive(Clone, Debug)]
pub struct Refreshed {
    /// The connection as it stands now.
    pub view: crate::events::ConnectionView,
    /// `None` when the tokens were renewed now (or by a concurrent caller). Otherwise they
    /// were not: the last renewal, login or failed attempt was at this time, less than
    /// [`crate::RENEWAL_WINDOW`] ago, and the current token, still valid, was kept.
    pub held_since: Option<Timestamp>,
}

/// What [`Inner::renew`] gave.
pub(super) struct Renewed {
    pub(super) tokens: TokenSet,
    /// Set when the token held was given instead of a renewal, because of the renewal limit:
    /// when the last attempt was.
    pub(super) held_since: Option<Timestamp>,
}

impl Renewed {
    fn now(tokens: TokenSet) -> Self {
        Self {
            tokens,
            held_since: None,
        }
    }

    /// The token held, when the renewal limit applies to `want` at `now` by `state`'s history;
    /// for a refused token (`Want::Rejected`), the error saying when it may be renewed.
    fn held(
        want: Want,
        name: &ConnectionName,
        tokens: Option<&TokenSet>,
        state: &ConnectionState,
        now: Timestamp,
    ) -> Option<Result<Self>> {
        let tokens = tokens.filter(|t| t.valid_for(now, Duration::ZERO))?;
        let attempt =
            window::last_attempt(state).filter(|a| a.holds_at(now) && want.held_by(*a))?;
        if let Want::Rejected(_) = want {
            return Some(Err(Error::RejectedTooSoon {
                connection: name.clone(),
                retry_at: attempt.at.plus(crate::refresh::RENEWAL_WINDOW),
            }));
        }
        Some(Ok(Self {
            tokens: tokens.clone(),
            held_since: Some(attempt.at),
        }))
    }
}

/// How long to wait for another process's renewal of the same connection.
const LOCK_WAIT: Duration = Duration::from_secs(30);

pub(super) fn refresh_before(spec: &ConnectionSpec) -> Option<Duration> {
    spec.int("refresh_before")
        .and_then(|s| u64::try_from(s).ok())
        .map(Duration::from_secs)
}

/// The scheduler's handle on the engine; holds it weakly so the scheduler never keeps a
/// dropped engine alive.
pub(crate) struct WeakRenewer(pub(crate) Weak<Inner>);

#[async_trait]
impl Renewer for WeakRenewer {
    async fn renew_due(&self, name: &ConnectionName) -> Option<Timestamp> {
        let inner = self.0.upgrade()?;
        let spec = inner.spec(name.as_str()).ok()?;
        if !Inner::keeps_fresh(&spec) {
            return None;
        }
        let slot = inner.slot(&spec.name);
        if let Err(e) = inner.renew(&spec, &slot, Want::Due).await {
            tracing::info!(connection = %name, error = %e, "background renewal failed");
        }
        // `renew` schedules the next attempt itself.
        None
    }
}

impl Engine {
    /// A token for `name` valid for at least `min_valid` (or, with `None`, not yet due for
    /// renewal), renewing it first when needed.
    pub async fn token(&self, name: &str, min_valid: Option<Duration>) -> Result<Handout> {
        Ok(Handout::clone(&*self.token_shared(name, min_valid).await?))
    }

    /// [`Engine::token`] after the fast path missed: reads the store, renews when needed.
    pub(super) async fn token_slow(
        &self,
        spec: &ConnectionSpec,
        slot: &Slot,
        min_valid: Option<Duration>,
    ) -> Result<TokenSet> {
        let want = min_valid.map_or(Want::Fresh, Want::MinValid);
        let stored = self.inner.stored(spec, slot).await?;
        let now = self.inner.clock.now();
        // A `min_valid` longer than the provider's tokens live is answered with the freshest
        // token there is: renewed once, then held for the renewal window (see
        // `refresh::window`); the answer's expiry says how long it is good for.
        match stored.tokens.filter(|t| want.satisfied_by(spec, t, now)) {
            Some(t) => Ok(t),
            None => Ok(self.inner.renew(spec, slot, want).await?.tokens),
        }
    }

    /// Renews `name` now whatever the state of its token (one renewal for all concurrent
    /// callers), within the renewal limit: what `tokentray refresh` and
    /// `POST /v1/connections/{name}/refresh` do. See [`Engine::refresh_limited`].
    pub async fn refresh(&self, name: &str) -> Result<crate::events::ConnectionView> {
        Ok(self.refresh_limited(name).await?.view)
    }

    /// [`Engine::refresh`], saying whether it renewed. Less than [`RENEWAL_WINDOW`] after the
    /// connection's last renewal (or login, or failed attempt), while its token is still
    /// valid, it does not renew again: the current token, the freshest there is, stays, and
    /// [`Refreshed::held_since`] says when that last attempt was.
    ///
    /// [`RENEWAL_WINDOW`]: crate::RENEWAL_WINDOW
    pub async fn refresh_limited(&self, name: &str) -> Result<Refreshed> {
        let held_since = self.force(name, true).await?;
        Ok(Refreshed {
            view: self.view(name)?,
            held_since,
        })
    }

    /// Renews `name` now, whatever the state of its token and however recently it was
    /// renewed: a person's explicit refresh in the app's window or tray, which no script can
    /// click. Every other path uses [`Engine::refresh`].
    pub async fn refresh_now(&self, name: &str) -> Result<crate::events::ConnectionView> {
        self.force(name, false).await?;
        self.view(name)
    }

    async fn force(&self, name: &str, limited: bool) -> Result<Option<Timestamp>> {
        let spec = self.inner.spec(name)?;
        let slot = self.inner.slot(&spec.name);
        self.inner.stored(&spec, &slot).await?;
        let renewed = self
            .inner
            .renew(&spec, &slot, Want::Forced { limited })
            .await?;
        Ok(renewed.held_since)
    }

    /// Logs in with the stored credentials and what the person typed (a TOTP code), replacing
    /// any tokens. Flows that need a browser answer with `NeedsLogin`.
    pub async fn login(
        &self,
        name: &str,
        input: LoginInput,
    ) -> Result<crate::events::ConnectionView> {
        let spec = self.inner.spec(name)?;
        let slot = self.inner.slot(&spec.name);
        let _gate = slot.gate.lock().await;
        let _lock = self.inner.lock_connection(&spec.name).await?;
        let mut stored = self.inner.reload(&spec, &slot).await?;
        let result = {
            let http = self.inner.http_client(&spec)?;
            let flow = self.inner.flow(&spec, &stored, &http);
            flow.provider().login(&flow, &input).await
        };
        match result {
            Ok(tokens) => {
                stored.tokens = Some(tokens.clone());
                self.inner.logged_in(&spec, &slot, stored, &tokens).await?;
            }
            Err(e) => return Err(self.inner.failed(&spec, &slot, e)),
        }
        self.view(name)
    }

    /// Who the token of `name` belongs to, asked of the service now.
    pub async fn whoami(&self, name: &str) -> Result<Option<Identity>> {
        let handout = self.token(name, None).await?;
        let spec = self.inner.spec(name)?;
        let slot = self.inner.slot(&spec.name);
        let stored = self.inner.stored(&spec, &slot).await?;
        let Some(tokens) = stored.tokens.clone() else {
            return Ok(handout.identity);
        };
        let http = self.inner.http_client(&spec)?;
        let flow = self.inner.flow(&spec, &stored, &http);
        let identity = flow
            .provider()
            .whoami(&flow, &tokens)
            .await
            .map_err(|source| Error::Provider {
                connection: spec.name.clone(),
                source,
            })?;
        let mut state = self.inner.current_state(&spec.name);
        state.identity.clone_from(&identity);
        self.inner.set_state(&spec, &slot, &state);
        Ok(identity)
    }

    /// Forgets the tokens of `name` (keeping its credentials) and revokes them where the
    /// service allows. Returns a revocation failure as a warning, after forgetting.
    pub async fn logout(&self, name: &str) -> Result<Option<String>> {
        let spec = self.inner.spec(name)?;
        let slot = self.inner.slot(&spec.name);
        let _gate = slot.gate.lock().await;
        let mut stored = self.inner.stored(&spec, &slot).await?;
        let mut warning = None;
        if let Some(tokens) = stored.tokens.take() {
            let http = self.inner.http_client(&spec)?;
            let flow = self.inner.flow(&spec, &stored, &http);
            let provider = flow.provider();
            let revoked = match provider.revocation() {
                Some(revocation) => revocation.revoke(&flow, &tokens).await,
                None => Ok(()),
            };
            if let Err(e) = revoked {
                warning = Some(format!(
                    "the tokens were forgotten but could not be revoked: {e}"
                ));
            }
        }
        self.inner.vault.save(&spec, &stored).await?;
        crate::sink::remove(&self.inner.paths, &spec);
        slot.with(|s| s.stored = Some(stored));
        self.inner.unschedule(&spec.name);
        let before = self.inner.current_state(&spec.name);
        let mut state = ConnectionState {
            store: Some(self.inner.vault.info().kind),
            // Kept (not shown while signed out) so that the next login notices another account.
            previous_identity: before.identity.or(before.previous_identity),
            history: before.history,
            ..ConnectionState::default()
        };
        state.record(self.inner.clock.now(), HistoryOutcome::LoggedOut, None);
        self.inner.set_state(&spec, &slot, &state);
        Ok(warning)
    }
}

impl Inner {
    pub(crate) fn slot(&self, name: &ConnectionName) -> Arc<Slot> {
        self.slots
            .lock()
            .expect("slots lock")
            .entry(name.clone())
            .or_default()
            .clone()
    }

    pub(crate) fn drop_slot(&self, name: &ConnectionName) {
        self.slots.lock().expect("slots lock").remove(name);
    }

    /// What is stored for the connection, loaded from the vault once.
    pub(crate) async fn stored(&self, spec: &ConnectionSpec, slot: &Slot) -> Result<Stored> {
        // A copy loaded for another definition (the config changed since) is loaded again, so
        // the vault's destination binding is checked against the current one.
        if let Some(s) = slot.with(|s| s.stored.clone())
            && s.fits(spec)
        {
            return Ok(s);
        }
        let loaded = self.vault.load(spec).await?;
        Ok(slot.with(|s| match &s.stored {
            Some(cached) if cached.fits(spec) => cached.clone(),
            _ => s.stored.insert(loaded).clone(),
        }))
    }

    /// Takes the cross-process lock of a connection (kernel-released if the process dies).
    pub(crate) async fn lock_connection(
        &self,
        name: &ConnectionName,
    ) -> Result<crate::files::FileLock> {
        let path = self.paths.connection_lock(name.as_str());
        let shown = path.display().to_string();
        let io = |source| Error::Io {
            action: "lock",
            path: shown.clone(),
            source,
        };
        let acquire = tokio::task::spawn_blocking(move || crate::files::FileLock::acquire(&path));
        match tokio::time::timeout(LOCK_WAIT, acquire).await {
            Ok(Ok(Ok(lock))) => Ok(lock),
            Ok(Ok(Err(e))) => Err(io(e)),
            Ok(Err(e)) => Err(io(std::io::Error::other(e))),
            Err(_) => Err(io(std::io::Error::other(
                "another Tokentray process has held it for 30 s",
            ))),
        }
    }

    /// Reads the connection's secrets from the store again, replacing the cached copy.
    pub(crate) async fn reload(&self, spec: &ConnectionSpec, slot: &Slot) -> Result<Stored> {
        let fresh = self.vault.load(spec).await?;
        slot.with(|s| s.stored = Some(fresh.clone()));
        Ok(fresh)
    }

    pub(crate) fn current_state(&self, name: &ConnectionName) -> ConnectionState {
        let from_slot = self
            .slots
            .lock()
            .expect("slots lock")
            .get(name)
            .and_then(|slot| slot.with(|s| s.state.clone()));
        from_slot.unwrap_or_else(|| self.state.load(name))
    }

    pub(crate) fn set_state(&self, spec: &ConnectionSpec, slot: &Slot, state: &ConnectionState) {
        slot.with(|s| s.state = Some(state.clone()));
        if let Err(e) = self.state.put(&spec.name, Some(state)) {
            tracing::warn!(connection = %spec.name, error = %e, "could not write the state file");
        }
        self.emit(spec, state);
    }

    /// [`Inner::set_state`] to the default state for connections just added, with one write
    /// of the state file for all of them.
    pub(crate) fn set_states_new(&self, specs: &[ConnectionSpec]) {
        let state = ConnectionState::default();
        for spec in specs {
            self.slot(&spec.name)
                .with(|s| s.state = Some(state.clone()));
        }
        if let Err(e) = self
            .state
            .put_all(specs.iter().map(|s| (&s.name, Some(&state))))
        {
            tracing::warn!(error = %e, "could not write the state file");
        }
        for spec in specs {
            self.emit(spec, &state);
        }
    }

    pub(crate) fn flow<'a>(
        &'a self,
        spec: &'a ConnectionSpec,
        stored: &'a Stored,
        http: &'a reqwest::Client,
    ) -> Flow<'a> {
        Flow::new(
            spec,
            &stored.credentials,
            http,
            self.clock.as_ref(),
            &self.discovery,
        )
    }

    /// The hand-out of `tokens`, for `identity` (see `handout.rs` for where it comes from).
    pub(super) fn handout(
        spec: &ConnectionSpec,
        tokens: TokenSet,
        identity: Option<Identity>,
    ) -> Handout {
        let prefix = spec
            .text("header_prefix")
            .unwrap_or_else(|| tokens.token_type.clone());
        let header_value = if prefix.is_empty() {
            tokens.access_token.clone()
        } else {
            Secret::new(format!("{prefix} {}", tokens.access_token.expose()))
        };
        Handout {
            connection: spec.name.clone(),
            kind: spec.kind,
            token: tokens.access_token,
            token_type: tokens.token_type,
            expires_at: tokens.expires_at,
            header_name: spec
                .text("header_name")
                .unwrap_or_else(|| "Authorization".into()),
            header_value,
            identity,
            referer: spec.text("referer"),
        }
    }

    /// Renews once for every concurrent caller: whoever holds the gate renews; the others
    /// wait, then share its outcome instead of starting their own.
    pub(super) async fn renew(
        &self,
        spec: &ConnectionSpec,
        slot: &Slot,
        want: Want,
    ) -> Result<Renewed> {
        let generation = slot.with(|s| s.generation);
        let _gate = slot.gate.lock().await;
        let (now_gen, failure) = slot.with(|s| (s.generation, s.last_failure.clone()));
        let stored = self.stored(spec, slot).await?;
        let now = self.clock.now();
        if now_gen != generation {
            if let Some(t) = stored
                .tokens
                .as_ref()
                .filter(|t| t.valid_for(now, Duration::ZERO) || failure.is_none())
                && (failure.is_none() || want.satisfied_by(spec, t, now))
            {
                return Ok(Renewed::now(t.clone()));
            }
            if let Some(f) = failure {
                return Err(f.into_error(&spec.name));
            }
        }
        if let Some(t) = stored
            .tokens
            .as_ref()
            .filter(|t| want.satisfied_by(spec, t, now))
        {
            return Ok(Renewed::now(t.clone()));
        }
        let known = slot
            .state_now()
            .unwrap_or_else(|| self.state.load(&spec.name));
        if let Some(held) = Renewed::held(want, &spec.name, stored.tokens.as_ref(), &known, now) {
            return held;
        }
        // Across processes: one renewal at a time per connection, and whatever another process
        // stored meanwhile (a rotated refresh token) is read before deciding to renew.
        let _lock = self.lock_connection(&spec.name).await?;
        let stored = self.reload(spec, slot).await?;
        if let Some(t) = stored.tokens.as_ref().filter(|t| {
            !matches!(want, Want::Forced { .. }) && want.satisfied_by(spec, t, self.clock.now())
        }) {
            return Ok(Renewed::now(t.clone()));
        }
        // Another process may have renewed (or tried) since: the state file says when.
        let on_file = self.state.load(&spec.name);
        let now = self.clock.now();
        if let Some(held) = Renewed::held(want, &spec.name, stored.tokens.as_ref(), &on_file, now) {
            return held;
        }
        let mut state = self.current_state(&spec.name);
        state.status = Status::Refreshing;
        self.set_state(spec, slot, &state);
        let result = {
            let http = self.http_client(spec)?;
            let flow = self.flow(spec, &stored, &http);
            let provider = flow.provider();
            match &stored.tokens {
                Some(t) => provider.renew(&flow, t).await,
                None => provider.login(&flow, &LoginInput::default()).await,
            }
        };
        match result {
            Ok(tokens) => {
                let mut stored = stored;
                stored.tokens = Some(tokens.clone());
                self.succeeded(spec, slot, stored, &tokens).await?;
                Ok(Renewed::now(tokens))
            }
            Err(e) => {
                let still_valid = stored.tokens.filter(|t| {
                    !want.refuses_held() && t.valid_for(self.clock.now(), Duration::ZERO)
                });
                let transient = e.is_transient();
                let err = self.failed(spec, slot, e);
                match still_valid {
                    // Keep serving a token that still works while the provider is down.
                    Some(t) if transient => Ok(Renewed::now(t)),
                    _ => Err(err),
                }
            }
        }
    }

    /// Persists new tokens (before anyone is given them), then updates state and schedule.
    pub(crate) async fn succeeded(
        &self,
        spec: &ConnectionSpec,
        slot: &Slot,
        stored: Stored,
        tokens: &TokenSet,
    ) -> Result<()> {
        self.store_success(spec, slot, stored, tokens, false).await
    }

    /// Like `succeeded`, after a login: who the tokens belong to is asked of the service again
    /// (a person may have signed in as someone else), and a change of account is kept in the
    /// state for front ends to announce.
    pub(crate) async fn logged_in(
        &self,
        spec: &ConnectionSpec,
        slot: &Slot,
        stored: Stored,
        tokens: &TokenSet,
    ) -> Result<()> {
        self.store_success(spec, slot, stored, tokens, true).await
    }

    async fn store_success(
        &self,
        spec: &ConnectionSpec,
        slot: &Slot,
        stored: Stored,
        tokens: &TokenSet,
        login: bool,
    ) -> Result<()> {
        let saved = self.vault.save(spec, &stored).await;
        let file_problem = saved
            .is_ok()
            .then(|| crate::sink::write(&self.paths, spec, tokens))
            .flatten();
        slot.with(|s| {
            s.stored = Some(stored.clone());
            s.generation += 1;
            s.failures = 0;
            s.last_failure = saved.as_ref().err().map(|e| Failure::Store(e.to_string()));
        });
        let mut state = self.current_state(&spec.name);
        if login {
            // Signed out, the last account is kept as the previous one.
            let before = state.identity.take().or(state.previous_identity.take());
            let now = self.quick_identity(spec, &stored, tokens).await;
            state.previous_identity = match (before, &now) {
                (Some(before), Some(now)) if before.subject != now.subject => {
                    tracing::info!(connection = %spec.name, "the login signed in as another account");
                    Some(before)
                }
                _ => None,
            };
            state.identity = now;
        } else if state.identity.is_none() || state.status != Status::Active {
            state.identity = self
                .quick_identity(spec, &stored, tokens)
                .await
                .or(state.identity);
        }
        state.status = Status::Active;
        state.expires_at = tokens.expires_at;
        state.refresh_expires_at = tokens.refresh_expires_at;
        state.needs_login_at = tokens
            .refresh_expires_at
            .filter(|_| provider::with(spec, |p| p.session_end_needs_person(tokens)));
        state.last_refresh = Some(tokens.obtained_at);
        state.record(
            tokens.obtained_at,
            HistoryOutcome::Renewed,
            tokens.note.clone(),
        );
        state.last_error = saved
            .as_ref()
            .err()
            .map(|e| format!("the new tokens could not be saved: {e}"))
            .or(file_problem)
            .or_else(|| tokens.note.clone());
        state.store = Some(self.vault.info().kind);
        self.set_state(spec, slot, &state);
        if let Some(at) = tokens.renew_at(refresh_before(spec))
            && Self::keeps_fresh(spec)
        {
            let early = self.jitter(tokens.refresh_margin(refresh_before(spec)) / 10);
            self.schedule(&spec.name, at.minus(early));
        }
        saved.map_err(Error::Store)
    }

    /// Best-effort whoami right after a login, so lists show who the token is for.
    async fn quick_identity(
        &self,
        spec: &ConnectionSpec,
        stored: &Stored,
        tokens: &TokenSet,
    ) -> Option<Identity> {
        let http = self.http_client(spec).ok()?;
        let flow = self.flow(spec, stored, &http);
        match flow.provider().whoami(&flow, tokens).await {
            Ok(id) => id,
            Err(e) => {
                tracing::debug!(connection = %spec.name, error = %e, "whoami failed");
                None
            }
        }
    }

    /// Records a failure, decides whether to retry, and returns the error for the caller.
    fn failed(&self, spec: &ConnectionSpec, slot: &Slot, e: ProviderError) -> Error {
        let class = e.class();
        let failures = slot.with(|s| {
            s.generation += 1;
            s.failures += 1;
            s.last_failure = Some(Failure::Provider(e.clone()));
            s.failures
        });
        let mut state = self.current_state(&spec.name);
        state.last_error = Some(e.to_string());
        state.record(
            self.clock.now(),
            HistoryOutcome::Failed,
            Some(e.to_string()),
        );
        if class == FailureClass::Transient {
            state.status = Status::Error;
            let mut delay = self
                .backoff
                .delay(failures, &mut *self.rng.lock().expect("rng lock"));
            if let Some(after) = e.retry_after() {
                delay = delay.max(after);
            }
            if Self::keeps_fresh(spec) {
                self.schedule(&spec.name, self.clock.now().plus(delay));
            }
        } else {
            // Only a person can fix this; retrying could lock the account.
            state.status = Status::NeedsLogin;
            self.unschedule(&spec.name);
        }
        self.set_state(spec, slot, &state);
        match class {
            FailureClass::NeedsLogin => Error::NeedsLogin {
                connection: spec.name.clone(),
                reason: e.to_string(),
                remedy: crate::error::Remedy::for_kind(spec.kind),
            },
            _ => Error::Provider {
                connection: spec.name.clone(),
                source: e,
            },
        }
    }

    pub(crate) fn schedule(&self, name: &ConnectionName, at: Timestamp) {
        if let Some(h) = self.scheduler.lock().expect("scheduler lock").as_ref() {
            h.schedule(name.clone(), at);
        }
    }

    pub(crate) fn unschedule(&self, name: &ConnectionName) {
        if let Some(h) = self.scheduler.lock().expect("scheduler lock").as_ref() {
            h.cancel(name.clone());
        }
    }

    /// At start-up: schedule from what the state file remembers.
    pub(crate) fn schedule_from_state(&self, spec: &ConnectionSpec) {
        if !Self::keeps_fresh(spec) {
            return;
        }
        let state = self.current_state(&spec.name);
        if !matches!(
            state.status,
            Status::Active | Status::Error | Status::Refreshing
        ) {
            return;
        }
        let Some(expires) = state.expires_at else {
            return;
        };
        let lifetime = state
            .last_refresh
            .map_or(Duration::ZERO, |l| expires.since(l));
        let margin =
            refresh_before(spec).unwrap_or_else(|| (lifetime / 4).min(Duration::from_secs(300)));
        self.schedule(&spec.name, expires.minus(margin));
    }
}
