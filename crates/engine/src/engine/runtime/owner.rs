//! The task that owns one connection (see the module above for why). It handles one message
//! at a time; a renewal or login it makes is the only one for its connection in this process,
//! and the per-connection file lock makes it the only one across processes.
//!
//! Callers that waited while an attempt (a renewal or a login) ran share its outcome: when an
//! attempt ends, the owner counts the messages queued meanwhile, and those of them that ask
//! for a token are answered from that outcome (the new tokens, or the same failure) instead of
//! starting another attempt.

pub(super) mod login;

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Weak};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::{mpsc, watch};

use super::want::{Renewed, Want, refresh_before};
use super::{Commit, Handle, IdentityChange, Msg, Published, Rebuild, Rebuilt, Served};
use crate::connection::{ConnectionName, ConnectionSpec};
use crate::engine::Inner;
use crate::error::{Error, Result};
use crate::provider::{self, FailureClass, LoginInput, ProviderError};
use crate::refresh::window;
use crate::secret::Secret;
use crate::state::{ConnectionState, HistoryOutcome, Status};
use crate::time::Timestamp;
use crate::token::{Handout, Identity, TokenSet};
use crate::vault::Stored;

/// How long to wait for another process's renewal of the same connection.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// A connection's hand-out, with what it was built from.
pub(crate) struct Ready {
    pub(crate) spec: Arc<ConnectionSpec>,
    pub(crate) tokens: TokenSet,
    /// When the tokens are due for renewal (`Want::Fresh` no longer satisfied).
    pub(crate) renew_at: Option<Timestamp>,
    /// When a renewal was last made or tried: until the renewal window has passed, the tokens
    /// are the freshest there are, whatever the caller asks (see `refresh::window`).
    pub(crate) last_attempt: Option<window::Attempt>,
    pub(crate) handout: Arc<Handout>,
}

impl Ready {
    /// Whether these are the tokens the hand-out was built from.
    fn holds(&self, tokens: &TokenSet) -> bool {
        self.tokens.obtained_at == tokens.obtained_at
            && self.tokens.expires_at == tokens.expires_at
            && self.tokens.access_token.expose() == tokens.access_token.expose()
    }

    /// Whether this hand-out was built for `spec`.
    pub(crate) fn built_for(&self, spec: &Arc<ConnectionSpec>) -> bool {
        Arc::ptr_eq(&self.spec, spec) || *self.spec == **spec
    }
}

/// A failure shared with every caller that waited for the same attempt.
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

/// How an attempt (a renewal or a login) ended.
#[derive(Clone, Debug)]
enum Outcome {
    /// New tokens were obtained (and saved, or `Failed` with the store's error).
    Renewed,
    Failed(Failure),
}

/// The outcome of the last attempt, for the messages that were queued while it ran.
struct Shared {
    outcome: Outcome,
    /// How many of the next messages waited for it.
    left: usize,
}

/// Everything one connection's task owns.
pub(super) struct Owner {
    inner: Weak<Inner>,
    name: ConnectionName,
    /// Its own way in, for the sub-tasks it starts (which must not keep it alive).
    me: mpsc::WeakUnboundedSender<Msg>,
    /// The browser or device login waiting for the person.
    login: Option<login::LoginWait>,
    /// How many logins it started (each login's id).
    logins_started: u64,
    /// How the last login ended, while nobody has asked yet.
    unclaimed: Option<Result<()>>,
    /// What the store holds, once read.
    stored: Option<Stored>,
    /// The state, once this process changed it (before, the state file knows).
    state: Option<ConnectionState>,
    /// Consecutive failed attempts (for the backoff).
    failures: u32,
    /// The hand-out of the stored tokens, once built.
    ready: Option<Arc<Ready>>,
    /// Set by an attempt just made: how it ended, and how many messages were queued then
    /// (before its caller is answered, so none of them came after).
    attempted: Option<(Outcome, usize)>,
    shared: Option<Shared>,
    /// The HTTP client of the connection, with the spec it was built for (rebuilt when the
    /// settings change; it keeps its connections to the provider open between renewals).
    http: Option<(ConnectionSpec, reqwest::Client)>,
    /// Jitter for the schedule and the backoff.
    rng: StdRng,
    publish: watch::Sender<Published>,
    rx: mpsc::UnboundedReceiver<Msg>,
}

/// Starts the owner of `name`.
pub(super) fn spawn(name: &ConnectionName, inner: Weak<Inner>) -> Handle {
    let (tx, rx) = mpsc::unbounded_channel();
    let (publish, published) = watch::channel(Published::default());
    let seed = inner.upgrade().and_then(|i| i.seed);
    let rng = match seed {
        Some(seed) => {
            // Reproducible per connection, whatever order the owners start in.
            let mut h = std::collections::hash_map::DefaultHasher::new();
            name.hash(&mut h);
            StdRng::seed_from_u64(seed ^ h.finish())
        }
        None => StdRng::from_os_rng(),
    };
    let owner = Owner {
        inner,
        name: name.clone(),
        me: tx.downgrade(),
        login: None,
        logins_started: 0,
        unclaimed: None,
        stored: None,
        state: None,
        failures: 0,
        ready: None,
        attempted: None,
        shared: None,
        http: None,
        rng,
        publish,
        rx,
    };
    tokio::spawn(owner.run());
    Handle { tx, published }
}

impl Owner {
    async fn run(mut self) {
        while let Some(msg) = self.rx.recv().await {
            let Some(inner) = self.inner.upgrade() else {
                break;
            };
            let waited = self.waited();
            let stop = self.handle(&inner, msg, waited).await;
            if let Some((outcome, left)) = self.attempted.take() {
                self.shared = (left > 0).then_some(Shared { outcome, left });
            }
            if stop {
                break;
            }
        }
        // Stopped (removed, replaced, or the engine is gone): a waiting login ends with it.
        if let Some(inner) = self.inner.upgrade() {
            let cancelled = Error::Login {
                connection: self.name.clone(),
                reason: crate::error::LoginFailure::Cancelled,
            };
            self.end_login(&inner, Err(cancelled));
        }
        // Who asked how that login ends hears it; other late messages find no owner.
        self.rx.close();
        while let Ok(msg) = self.rx.try_recv() {
            if let Msg::FinishLogin { reply } = msg {
                self.finish_login(reply);
            }
        }
    }

    /// The outcome the message now handled waited for, if it did.
    fn waited(&mut self) -> Option<Outcome> {
        let shared = self.shared.as_mut()?;
        let outcome = shared.outcome.clone();
        shared.left -= 1;
        if shared.left == 0 {
            self.shared = None;
        }
        Some(outcome)
    }

    /// Handles one message; `true` when the owner stops.
    async fn handle(&mut self, inner: &Inner, msg: Msg, waited: Option<Outcome>) -> bool {
        match msg {
            Msg::Token { spec, want, reply } => {
                let _ = reply.send(self.token(inner, &spec, want, waited).await);
            }
            Msg::Stored { spec, reply } => {
                let _ = reply.send(self.stored(inner, &spec).await);
            }
            Msg::Client { spec, reply } => {
                let _ = reply.send(self.http(inner, &spec));
            }
            Msg::Login { spec, input, reply } => {
                let _ = reply.send(self.login(inner, &spec, &input).await);
            }
            msg @ (Msg::BeginLogin { .. }
            | Msg::FinishLogin { .. }
            | Msg::Paste { .. }
            | Msg::Redirect { .. }
            | Msg::LoginArrived { .. }) => self.handle_login(inner, msg).await,
            Msg::Logout { spec, reply } => {
                let _ = reply.send(self.logout(inner, &spec).await);
            }
            Msg::Edit {
                old,
                spec,
                rebuild,
                commit,
                reply,
            } => {
                let edited = self.edit(inner, &old, &spec, rebuild, commit).await;
                if let Ok(rebuilt) = &edited {
                    self.login_edited(inner, &spec, rebuilt.material);
                }
                let _ = reply.send(edited);
            }
            Msg::Remove {
                spec,
                commit,
                reply,
            } => {
                let removed = self.remove(inner, &spec, commit).await;
                let stop = removed.is_ok();
                if stop {
                    let cancelled = Error::Login {
                        connection: spec.name.clone(),
                        reason: crate::error::LoginFailure::Cancelled,
                    };
                    self.end_login(inner, Err(cancelled));
                }
                let _ = reply.send(removed);
                return stop;
            }
            Msg::Identity {
                spec,
                change,
                reply,
            } => {
                self.identity(inner, &spec, change);
                let _ = reply.send(Ok(()));
            }
        }
        false
    }

    /// The connection's HTTP client, built once per definition.
    fn http(&mut self, inner: &Inner, spec: &ConnectionSpec) -> Result<reqwest::Client> {
        if let Some((seen, client)) = &self.http
            && seen == spec
        {
            return Ok(client.clone());
        }
        let client = inner.new_http_client(spec)?;
        self.http = Some((spec.clone(), client.clone()));
        Ok(client)
    }

    fn publish(&self) {
        self.publish.send_replace(Published {
            state: self.state.clone(),
            ready: self.ready.clone(),
            login: self.login.as_ref().map(login::LoginWait::desk),
        });
    }

    fn set_stored(&mut self, stored: Stored) {
        self.stored = Some(stored);
        self.ready = None;
        self.publish();
    }

    fn current_state(&self, inner: &Inner, name: &ConnectionName) -> ConnectionState {
        self.state.clone().unwrap_or_else(|| inner.state.load(name))
    }

    fn set_state(&mut self, inner: &Inner, spec: &ConnectionSpec, state: &ConnectionState) {
        self.state = Some(state.clone());
        self.ready = None;
        self.publish();
        if let Err(e) = inner.state.put(&spec.name, Some(state)) {
            tracing::warn!(connection = %spec.name, error = %e, "could not write the state file");
        }
        inner.emit(spec, state);
    }

    /// What is stored for the connection, loaded from the vault once.
    async fn stored(&mut self, inner: &Inner, spec: &ConnectionSpec) -> Result<Stored> {
        // A copy loaded for another definition (the config changed since) is loaded again, so
        // the vault's destination binding is checked against the current one.
        if let Some(s) = self.stored.as_ref().filter(|s| s.fits(spec)) {
            return Ok(s.clone());
        }
        let loaded = inner.vault.load(spec).await?;
        self.set_stored(loaded.clone());
        Ok(loaded)
    }

    /// Reads the connection's secrets from the store again, replacing the cached copy.
    async fn reload(&mut self, inner: &Inner, spec: &ConnectionSpec) -> Result<Stored> {
        let fresh = inner.vault.load(spec).await?;
        self.set_stored(fresh.clone());
        Ok(fresh)
    }

    /// A token as `want` asks, as the shared hand-out.
    async fn token(
        &mut self,
        inner: &Inner,
        spec: &Arc<ConnectionSpec>,
        want: Want,
        waited: Option<Outcome>,
    ) -> Result<Served> {
        let renewed = self.renew(inner, spec, want, waited).await?;
        Ok(Served {
            handout: self.handout_of(inner, spec, renewed.tokens),
            held_since: renewed.held_since,
        })
    }

    /// The stored tokens when they do what `want` asks, else a renewal. A caller that waited
    /// for the last attempt shares its outcome instead of starting another.
    async fn renew(
        &mut self,
        inner: &Inner,
        spec: &ConnectionSpec,
        want: Want,
        waited: Option<Outcome>,
    ) -> Result<Renewed> {
        let stored = self.stored(inner, spec).await?;
        let now = inner.clock.now();
        if let Some(outcome) = waited {
            let failure = match outcome {
                Outcome::Renewed => None,
                Outcome::Failed(f) => Some(f),
            };
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
        let known = self.current_state(inner, &spec.name);
        if let Some(held) = Renewed::held(want, &spec.name, stored.tokens.as_ref(), &known, now) {
            return held;
        }
        // Across processes: one renewal at a time per connection, and whatever another process
        // stored meanwhile (a rotated refresh token) is read before deciding to renew.
        let _lock = lock_connection(inner, &spec.name).await?;
        let stored = self.reload(inner, spec).await?;
        if let Some(t) = stored.tokens.as_ref().filter(|t| {
            !matches!(want, Want::Forced { .. }) && want.satisfied_by(spec, t, inner.clock.now())
        }) {
            return Ok(Renewed::now(t.clone()));
        }
        // Another process may have renewed (or tried) since: the state file says when.
        let on_file = inner.state.load(&spec.name);
        let now = inner.clock.now();
        if let Some(held) = Renewed::held(want, &spec.name, stored.tokens.as_ref(), &on_file, now) {
            return held;
        }
        self.attempt(inner, spec, want, stored).await
    }

    /// Renews (or, without tokens, logs in unattended) through the provider, now.
    async fn attempt(
        &mut self,
        inner: &Inner,
        spec: &ConnectionSpec,
        want: Want,
        stored: Stored,
    ) -> Result<Renewed> {
        let mut state = self.current_state(inner, &spec.name);
        state.status = Status::Refreshing;
        self.set_state(inner, spec, &state);
        let result = {
            let http = self.http(inner, spec)?;
            let flow = inner.flow(spec, &stored, &http);
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
                self.store_success(inner, spec, stored, &tokens, false)
                    .await?;
                Ok(Renewed::now(tokens))
            }
            Err(e) => {
                let still_valid = stored.tokens.filter(|t| {
                    !want.refuses_held() && t.valid_for(inner.clock.now(), Duration::ZERO)
                });
                let transient = e.is_transient();
                let err = self.failed(inner, spec, e);
                match still_valid {
                    // Keep serving a token that still works while the provider is down.
                    Some(t) if transient => Ok(Renewed::now(t)),
                    _ => Err(err),
                }
            }
        }
    }

    /// Logs in with the stored credentials and what the person typed, replacing any tokens.
    async fn login(
        &mut self,
        inner: &Inner,
        spec: &ConnectionSpec,
        input: &LoginInput,
    ) -> Result<()> {
        let _lock = lock_connection(inner, &spec.name).await?;
        let mut stored = self.reload(inner, spec).await?;
        let result = {
            let http = self.http(inner, spec)?;
            let flow = inner.flow(spec, &stored, &http);
            flow.provider().login(&flow, input).await
        };
        match result {
            Ok(tokens) => {
                stored.tokens = Some(tokens.clone());
                self.store_success(inner, spec, stored, &tokens, true).await
            }
            Err(e) => Err(self.failed(inner, spec, e)),
        }
    }

    /// Keeps the tokens of a login that finished elsewhere (browser, device).
    async fn logged_in_elsewhere(
        &mut self,
        inner: &Inner,
        spec: &ConnectionSpec,
        tokens: TokenSet,
    ) -> Result<()> {
        let _lock = lock_connection(inner, &spec.name).await?;
        let mut stored = self.reload(inner, spec).await?;
        stored.tokens = Some(tokens.clone());
        self.store_success(inner, spec, stored, &tokens, true).await
    }

    /// Persists new tokens (before anyone is given them), then updates state and schedule.
    /// After a login (`login`), who the tokens belong to is asked of the service again (a
    /// person may have signed in as someone else), and a change of account is kept in the
    /// state for front ends to announce.
    async fn store_success(
        &mut self,
        inner: &Inner,
        spec: &ConnectionSpec,
        stored: Stored,
        tokens: &TokenSet,
        login: bool,
    ) -> Result<()> {
        let saved = inner.vault.save(spec, &stored).await;
        let file_problem = saved
            .is_ok()
            .then(|| crate::sink::write(&inner.paths, spec, tokens))
            .flatten();
        self.set_stored(stored.clone());
        self.failures = 0;
        let outcome = match &saved {
            Ok(()) => Outcome::Renewed,
            Err(e) => Outcome::Failed(Failure::Store(e.to_string())),
        };
        self.attempted = Some((outcome, self.rx.len()));
        let mut state = self.current_state(inner, &spec.name);
        if login {
            // Signed out, the last account is kept as the previous one.
            let before = state.identity.take().or(state.previous_identity.take());
            let now = self.quick_identity(inner, spec, &stored, tokens).await;
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
                .quick_identity(inner, spec, &stored, tokens)
                .await
                .or(state.identity);
        }
        holds(&mut state, spec, tokens);
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
        state.store = Some(inner.vault.info().kind);
        self.set_state(inner, spec, &state);
        if let Some(at) = tokens.renew_at(refresh_before(spec))
            && Inner::keeps_fresh(spec)
        {
            let early = self.jitter(tokens.refresh_margin(refresh_before(spec)) / 10);
            inner.schedule(&spec.name, at.minus(early));
        }
        saved.map_err(Error::Store)
    }

    /// Records a failure, decides whether to retry, and returns the error for the caller.
    fn failed(&mut self, inner: &Inner, spec: &ConnectionSpec, e: ProviderError) -> Error {
        let class = e.class();
        self.failures += 1;
        let outcome = Outcome::Failed(Failure::Provider(e.clone()));
        self.attempted = Some((outcome, self.rx.len()));
        let mut state = self.current_state(inner, &spec.name);
        state.last_error = Some(e.to_string());
        state.record(
            inner.clock.now(),
            HistoryOutcome::Failed,
            Some(e.to_string()),
        );
        if class == FailureClass::Transient {
            state.status = Status::Error;
            let mut delay = inner.backoff.delay(self.failures, &mut self.rng);
            if let Some(after) = e.retry_after() {
                delay = delay.max(after);
            }
            if Inner::keeps_fresh(spec) {
                inner.schedule(&spec.name, inner.clock.now().plus(delay));
            }
        } else {
            // Only a person can fix this; retrying could lock the account.
            state.status = Status::NeedsLogin;
            inner.unschedule(&spec.name);
        }
        self.set_state(inner, spec, &state);
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

    /// Best-effort whoami right after a login, so lists show who the token is for.
    async fn quick_identity(
        &mut self,
        inner: &Inner,
        spec: &ConnectionSpec,
        stored: &Stored,
        tokens: &TokenSet,
    ) -> Option<Identity> {
        let http = self.http(inner, spec).ok()?;
        let flow = inner.flow(spec, stored, &http);
        match flow.provider().whoami(&flow, tokens).await {
            Ok(id) => id,
            Err(e) => {
                tracing::debug!(connection = %spec.name, error = %e, "whoami failed");
                None
            }
        }
    }

    fn jitter(&mut self, max: Duration) -> Duration {
        use rand::Rng;
        max.mul_f64(self.rng.random::<f64>())
    }

    /// Forgets the tokens (keeping the credentials) and revokes them where the service
    /// allows; a revocation failure is returned as a warning, after forgetting.
    async fn logout(&mut self, inner: &Inner, spec: &ConnectionSpec) -> Result<Option<String>> {
        let mut stored = self.stored(inner, spec).await?;
        let mut warning = None;
        if let Some(tokens) = stored.tokens.take() {
            let http = self.http(inner, spec)?;
            let flow = inner.flow(spec, &stored, &http);
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
        inner.vault.save(spec, &stored).await?;
        crate::sink::remove(&inner.paths, spec);
        self.set_stored(stored);
        inner.unschedule(&spec.name);
        let before = self.current_state(inner, &spec.name);
        let mut state = ConnectionState {
            store: Some(inner.vault.info().kind),
            // Kept (not shown while signed out) so that the next login notices another account.
            previous_identity: before.identity.or(before.previous_identity),
            history: before.history,
            ..ConnectionState::default()
        };
        state.record(inner.clock.now(), HistoryOutcome::LoggedOut, None);
        self.set_state(inner, spec, &state);
        Ok(warning)
    }

    /// Applies an edit: the secrets rebuilt from what is stored now and saved (or deleted),
    /// then the config committed, then the state (started over after a material change).
    async fn edit(
        &mut self,
        inner: &Inner,
        old: &ConnectionSpec,
        spec: &ConnectionSpec,
        rebuild: Rebuild,
        commit: Commit,
    ) -> Result<Rebuilt> {
        let before = self.stored(inner, old).await?;
        let (mut stored, outcome) = rebuild(before)?;
        if outcome.delete {
            inner.vault.delete(&spec.name).await?;
        } else {
            inner.vault.save(spec, &stored).await?;
        }
        stored.bound = Some(crate::connection::destination_fingerprint(spec));
        self.set_stored(stored);
        commit()?;
        let state = if outcome.material {
            inner.unschedule(&spec.name);
            ConnectionState {
                store: Some(inner.vault.info().kind),
                ..ConnectionState::default()
            }
        } else {
            self.current_state(inner, &spec.name)
        };
        self.set_state(inner, spec, &state);
        Ok(outcome)
    }

    /// Deletes the connection's secrets, commits its removal from the config and forgets its
    /// state and schedule.
    async fn remove(&mut self, inner: &Inner, spec: &ConnectionSpec, commit: Commit) -> Result<()> {
        inner.vault.delete(&spec.name).await?;
        crate::sink::remove(&inner.paths, spec);
        commit()?;
        inner.unschedule(&spec.name);
        if let Err(e) = inner.state.put(&spec.name, None) {
            tracing::warn!(connection = %spec.name, error = %e, "could not update the state file");
        }
        Ok(())
    }

    fn identity(&mut self, inner: &Inner, spec: &ConnectionSpec, change: IdentityChange) {
        let mut state = self.current_state(inner, &spec.name);
        match change {
            IdentityChange::Now(identity) => state.identity = identity,
            IdentityChange::Acknowledged => {
                if state.previous_identity.take().is_none() {
                    return;
                }
            }
        }
        self.set_state(inner, spec, &state);
    }

    /// The hand-out of `tokens`: the prepared one when they are the stored tokens.
    fn handout_of(
        &mut self,
        inner: &Inner,
        spec: &Arc<ConnectionSpec>,
        tokens: TokenSet,
    ) -> Arc<Handout> {
        if let Some(ready) = self.ready(inner, spec)
            && ready.holds(&tokens)
        {
            return ready.handout.clone();
        }
        let identity = self.current_identity(inner, &spec.name);
        Arc::new(handout(spec, tokens, identity))
    }

    /// The hand-out of the stored tokens for `spec`, built now if none is kept; `None` while
    /// the tokens have not been read from the store, or there are none.
    fn ready(&mut self, inner: &Inner, spec: &Arc<ConnectionSpec>) -> Option<Arc<Ready>> {
        if let Some(ready) = self.ready.as_ref().filter(|r| r.built_for(spec)) {
            return Some(ready.clone());
        }
        let tokens = self.stored.as_ref()?.tokens.clone()?;
        let on_file = match self.state {
            Some(_) => None,
            None => Some(inner.state.load(&spec.name)),
        };
        let on_file = match on_file {
            Some(state) if knows_nothing(&state) => {
                self.recover_state(inner, spec, &tokens, state);
                None
            }
            other => other,
        };
        let state = self.state.as_ref().or(on_file.as_ref())?;
        let (identity, last_attempt) = (state.identity.clone(), window::last_attempt(state));
        let ready = Arc::new(Ready {
            spec: spec.clone(),
            renew_at: tokens.renew_at(refresh_before(spec)),
            last_attempt,
            handout: Arc::new(handout(spec, tokens.clone(), identity)),
            tokens,
        });
        self.ready = Some(ready.clone());
        self.publish();
        Some(ready)
    }

    /// The state file is a cache of what the store holds. When it knows nothing of tokens the
    /// store has (the file was damaged or deleted), what the tokens say is written back, so
    /// that lists, which never wake the keychain, show the connection as it is again.
    fn recover_state(
        &mut self,
        inner: &Inner,
        spec: &ConnectionSpec,
        tokens: &TokenSet,
        mut state: ConnectionState,
    ) {
        tracing::info!(connection = %spec.name, "the state file knew nothing of the stored tokens; written again from them");
        holds(&mut state, spec, tokens);
        state.store = Some(inner.vault.info().kind);
        self.set_state(inner, spec, &state);
    }

    fn current_identity(&self, inner: &Inner, name: &ConnectionName) -> Option<Identity> {
        match &self.state {
            Some(state) => state.identity.clone(),
            None => inner.state.load(name).identity,
        }
    }
}

/// Whether `state` knows nothing of tokens: what a missing or damaged state file reads as.
fn knows_nothing(state: &ConnectionState) -> bool {
    state.status == Status::SignedOut && state.expires_at.is_none() && state.last_refresh.is_none()
}

/// Notes in `state` that the connection holds `tokens`: active, and when they end.
fn holds(state: &mut ConnectionState, spec: &ConnectionSpec, tokens: &TokenSet) {
    state.status = Status::Active;
    state.expires_at = tokens.expires_at;
    state.refresh_expires_at = tokens.refresh_expires_at;
    state.needs_login_at = tokens
        .refresh_expires_at
        .filter(|_| provider::with(spec, |p| p.session_end_needs_person(tokens)));
    state.last_refresh = Some(tokens.obtained_at);
}

/// Takes the cross-process lock of a connection (kernel-released if the process dies), waiting
/// at most [`LOCK_WAIT`].
async fn lock_connection(inner: &Inner, name: &ConnectionName) -> Result<crate::files::FileLock> {
    let path = inner.paths.connection_lock(name.as_str());
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

/// The hand-out of `tokens`, for `identity`.
fn handout(spec: &ConnectionSpec, tokens: TokenSet, identity: Option<Identity>) -> Handout {
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
