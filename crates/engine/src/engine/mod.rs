//! `Engine`: the one facade every front end calls. It owns the config file, the state file, the
//! vault, one owner task per connection in use (`runtime`) and the background scheduler, and it
//! decides what happens to a connection; providers only speak their wire protocol. The use
//! cases behind the facade are small modules over the owners: `handout` (token), `renew`,
//! `login_flow` (login, behind [`Engine::logins`]), `manage` ([`Engine::manage`]) and
//! `inspect` ([`Engine::inspect`]).

mod handout;
mod inspect;
mod login_flow;
mod manage;
mod renew;
mod runtime;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod trust_tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use tokio::sync::broadcast;

pub use crate::token::Handout;
pub use inspect::{FormValues, Inspect, Probe, TokenDetail};
pub use login_flow::{LoginRequest, LoginStep, Logins};
pub use manage::{Edit, Edited, Imported, Manage};
pub use renew::Refreshed;

use crate::config::{ConfigFile, ConfigStore};
use crate::connection::{ConnectionName, ConnectionSpec};
use crate::error::{Error, Result};
use crate::events::{ConnectionView, EngineEvent};
use crate::paths::Paths;
use crate::ports::SecretStore;
use crate::provider::DiscoveryCache;
use crate::provider::Flow;
use crate::refresh::{Backoff, SchedulerHandle};
use crate::state::{ConnectionState, StateStore};
use crate::time::Clock;
use crate::time::Timestamp;
use crate::vault::Stored;
use crate::vault::Vault;

/// How fresh a token a caller needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Freshness {
    /// Not yet due for renewal (the connection's own renewal time has not come).
    #[default]
    NotDue,
    /// Valid for at least this long. Longer than the provider's tokens live is answered with
    /// the freshest token there is (renewed once, then held for [`crate::RENEWAL_WINDOW`]);
    /// its expiry says how long it is good for.
    AtLeast(Duration),
}

impl From<Option<Duration>> for Freshness {
    /// `None`: [`Freshness::NotDue`]; a time: [`Freshness::AtLeast`] it.
    fn from(min_valid: Option<Duration>) -> Self {
        min_valid.map_or(Self::NotDue, Self::AtLeast)
    }
}

/// The connection a front end's text names. A text that is no valid name names no connection:
/// [`Error::UnknownConnection`], as for a valid name no connection has.
///
/// # Errors
/// [`Error::UnknownConnection`] for a text that is not a valid connection name.
pub fn connection_name(text: &str) -> Result<ConnectionName> {
    ConnectionName::new(text).map_err(|_| Error::unknown(text))
}

/// What an engine is built from.
pub struct EngineOptions {
    /// Where files live.
    pub paths: Paths,
    /// Where secrets live.
    pub store: Arc<dyn SecretStore>,
    /// Where the time comes from.
    pub clock: Arc<dyn Clock>,
    /// Retry policy for transient failures.
    pub backoff: Backoff,
    /// A seed for jitter, for reproducible tests; `None` seeds from the OS.
    pub seed: Option<u64>,
    /// How long one HTTP request to a provider may take.
    pub http_timeout: Duration,
    /// Opens the person's browser for logins.
    pub browser: Arc<dyn crate::login::Browser>,
    /// How long an interactive login may wait for the person.
    pub login_timeout: Duration,
}

impl EngineOptions {
    /// Options with the system clock, default backoff and OS randomness.
    pub fn new(paths: Paths, store: Arc<dyn SecretStore>) -> Self {
        Self {
            paths,
            store,
            clock: Arc::new(crate::time::SystemClock),
            backoff: Backoff::default(),
            seed: None,
            http_timeout: crate::provider::http::REQUEST_TIMEOUT,
            browser: Arc::new(crate::login::NoBrowser),
            login_timeout: Duration::from_secs(300),
        }
    }
}

/// The engine. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// The engine itself, for the owners it starts (which must not keep it alive).
    me: Weak<Inner>,
    paths: Paths,
    config: ConfigStore,
    config_cache: Mutex<Option<(Arc<ConfigSnapshot>, Instant)>>,
    state: StateStore,
    audit: crate::audit::AuditLog,
    vault: Vault,
    clock: Arc<dyn Clock>,
    discovery: DiscoveryCache,
    backoff: Backoff,
    http_timeout: Duration,
    browser: Arc<dyn crate::login::Browser>,
    login_timeout: Duration,
    /// Which connection a deep link or a sign-in URL belongs to (the logins are the owners').
    routes: runtime::LoginRoutes,
    /// Seeds each owner's jitter, for reproducible tests; `None`: from the OS.
    seed: Option<u64>,
    /// One owner per connection in use.
    runtimes: runtime::Runtimes,
    events: broadcast::Sender<EngineEvent>,
    scheduler: Mutex<Option<SchedulerHandle>>,
}

impl Engine {
    /// Builds an engine. Nothing is read until it is asked for.
    pub fn new(options: EngineOptions) -> Self {
        let (events, _) = broadcast::channel(256);
        Self {
            inner: Arc::new_cyclic(|me| Inner {
                me: me.clone(),
                config: ConfigStore::new(options.paths.config_file()),
                state: StateStore::new(options.paths.state_file()),
                audit: crate::audit::AuditLog::new(options.paths.audit_file()),
                paths: options.paths,
                config_cache: Mutex::new(None),
                vault: Vault::new(options.store),
                clock: options.clock,
                discovery: DiscoveryCache::default(),
                backoff: options.backoff,
                http_timeout: options.http_timeout,
                browser: options.browser,
                login_timeout: options.login_timeout,
                routes: runtime::LoginRoutes::default(),
                seed: options.seed,
                runtimes: runtime::Runtimes::new(),
                events,
                scheduler: Mutex::new(None),
            }),
        }
    }

    /// The directories in use.
    pub fn paths(&self) -> &Paths {
        &self.inner.paths
    }

    /// Adding, editing, removing, importing and exporting connections.
    pub fn manage(&self) -> Manage<'_> {
        Manage { engine: self }
    }

    /// Logging in and out: browser, device and password logins, and what they wait for.
    pub fn logins(&self) -> Logins<'_> {
        Logins { engine: self }
    }

    /// Read-only questions about connections, drafts and the secret store.
    pub fn inspect(&self) -> Inspect<'_> {
        Inspect { engine: self }
    }

    /// A new export key: 256 random bits, base64url. The endpoint makes one at every start and
    /// keeps it only in memory and in its owner-only `endpoint.json`; it is never stored.
    pub fn new_export_key() -> crate::secret::Secret {
        use base64::Engine as _;
        use rand::RngCore as _;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        crate::secret::Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Records that a token of `connection` was handed out (never the token itself).
    pub fn record_handout(
        &self,
        connection: &ConnectionName,
        via: &str,
        client: Option<String>,
        process: Option<String>,
    ) {
        let entry = crate::audit::AuditEntry {
            at: self.inner.clock.now(),
            connection: connection.clone(),
            via: via.to_owned(),
            client,
            process,
        };
        self.inner.audit.record(&entry);
    }

    /// The newest `limit` hand-outs, oldest first.
    pub fn audit(&self, limit: usize) -> Vec<crate::audit::AuditEntry> {
        self.inner.audit.recent(limit)
    }

    /// Subscribes to connection changes.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    /// The whole config file (reloaded when it changed on disk).
    pub fn config(&self) -> Result<Arc<ConfigFile>> {
        self.inner.load_config()
    }

    /// The app-wide settings (which secret store, the endpoint's port). Read without parsing
    /// every connection when the file is the one last found valid in full.
    pub fn app_settings(&self) -> Result<crate::config::AppSettings> {
        if self
            .inner
            .config_cache
            .lock()
            .expect("config cache lock")
            .is_none()
            && let Some(app) = self.inner.config.load_app()
        {
            return Ok(app);
        }
        Ok(self.inner.load_config()?.app.clone())
    }

    /// The spec of `name`, shared rather than copied: the cheap look-up for hot paths (the
    /// export endpoint asks on every request). Edits made through this engine are seen at
    /// once; edits by another process within a quarter of a second.
    pub fn spec(&self, name: &ConnectionName) -> Result<Arc<ConnectionSpec>> {
        self.inner.spec_arc(name.as_str())
    }

    /// The current time by the engine's clock (the one expiries are judged by).
    pub fn now(&self) -> crate::time::Timestamp {
        self.inner.clock.now()
    }

    /// Every connection as front ends show it, from the config and the state file; the
    /// keychain is not touched.
    pub fn list(&self) -> Result<Vec<ConnectionView>> {
        let config = self.inner.load_config()?;
        let states = self.inner.state.load_all();
        Ok(config
            .connections
            .iter()
            .map(|spec| Inner::view(spec, states.get(&spec.name).cloned().unwrap_or_default()))
            .collect())
    }

    /// One connection's view.
    pub fn view(&self, name: &ConnectionName) -> Result<ConnectionView> {
        let spec = self.inner.spec_arc(name.as_str())?;
        let state = self.inner.current_state(&spec.name);
        Ok(Inner::view(&spec, state))
    }

    /// Starts background refresh of every connection that keeps fresh. Call once, from inside
    /// a tokio runtime; `shutdown` stops it.
    pub fn start_background(&self) -> Result<()> {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let renewer = Arc::new(renew::WeakRenewer(weak));
        let handle = SchedulerHandle::spawn(renewer, self.inner.clock.clone());
        *self.inner.scheduler.lock().expect("scheduler lock") = Some(handle);
        let config = self.inner.load_config()?;
        // The state file read once for all of them, not once per connection.
        let mut on_file = self.inner.state.load_all();
        for spec in &config.connections {
            let state = self
                .inner
                .runtimes
                .state(&spec.name)
                .or_else(|| on_file.remove(&spec.name))
                .unwrap_or_default();
            self.inner.schedule_from_state(spec, &state);
        }
        Ok(())
    }

    /// When the background scheduler will next renew `name` (`None`: not scheduled, or
    /// background refresh is not running).
    pub async fn next_renewal(&self, name: &ConnectionName) -> Option<crate::time::Timestamp> {
        let handle = self
            .inner
            .scheduler
            .lock()
            .expect("scheduler lock")
            .as_ref()
            .map(SchedulerHandle::requester)?;
        handle.deadline(name.clone()).await
    }

    /// Stops background work and waits for renewals under way to finish.
    pub async fn shutdown(&self) {
        let handle = self.inner.scheduler.lock().expect("scheduler lock").take();
        if let Some(handle) = handle {
            handle.shutdown().await;
        }
    }
}

impl Inner {
    fn load_config(&self) -> Result<Arc<ConfigFile>> {
        Ok(self.snapshot(false)?.file.clone())
    }

    /// The config as last read. The file is looked at (one `stat`) at most every
    /// [`CONFIG_RECHECK`], or at once with `recheck`, and read again only when it changed.
    fn snapshot(&self, recheck: bool) -> Result<Arc<ConfigSnapshot>> {
        let now = Instant::now();
        let mut cache = self.config_cache.lock().expect("config cache lock");
        if let Some((snapshot, checked)) = cache.as_mut() {
            if !recheck && now.saturating_duration_since(*checked) < CONFIG_RECHECK {
                return Ok(snapshot.clone());
            }
            let stamp = FileStamp::of(self.config.path());
            if stamp.is_some() && stamp == snapshot.stamp {
                *checked = now;
                return Ok(snapshot.clone());
            }
        }
        // Stamped before reading: a change made in between is seen at the next look.
        let stamp = FileStamp::of(self.config.path());
        let snapshot = Arc::new(ConfigSnapshot::new(self.config.load()?, stamp));
        *cache = Some((snapshot.clone(), now));
        Ok(snapshot)
    }

    fn forget_config_cache(&self) {
        *self.config_cache.lock().expect("config cache lock") = None;
    }

    /// The shared spec of `name`. A name not known yet makes the file be looked at again at
    /// once, so a connection just added by another process is found.
    fn spec_arc(&self, name: &str) -> Result<Arc<ConnectionSpec>> {
        if self
            .config_cache
            .lock()
            .expect("config cache lock")
            .is_none()
            && let Ok(valid) = ConnectionName::new(name)
            && let Some(spec) = self.config.load_one(&valid)
        {
            // Nothing read yet (a one-shot command): one connection is all it needs.
            return Ok(Arc::new(spec));
        }
        if let Some(spec) = self.snapshot(false)?.specs.get(name) {
            return Ok(spec.clone());
        }
        let name = ConnectionName::new(name).map_err(|_| Error::unknown(name))?;
        self.snapshot(true)?
            .specs
            .get(name.as_str())
            .cloned()
            .ok_or_else(|| Error::unknown(name.as_str()))
    }

    fn spec(&self, name: &str) -> Result<ConnectionSpec> {
        self.spec_arc(name).map(|spec| ConnectionSpec::clone(&spec))
    }

    fn view(spec: &ConnectionSpec, state: ConnectionState) -> ConnectionView {
        ConnectionView {
            name: spec.name.clone(),
            kind: spec.kind,
            label: spec.label(),
            status: state.status,
            expires_at: state.expires_at,
            refresh_expires_at: state.refresh_expires_at,
            needs_login_at: state.needs_login_at,
            identity: state.identity,
            previous_identity: state.previous_identity,
            last_refresh: state.last_refresh,
            last_error: state.last_error,
            store: state.store,
            exportable: spec.exportable(),
            keep_fresh: Self::keeps_fresh(spec),
            header_name: spec
                .text("header_name")
                .unwrap_or_else(|| "Authorization".into()),
            header_prefix: spec.text("header_prefix").unwrap_or_default(),
            token_file: spec.text("token_file"),
            referer: spec.text("referer"),
            allow_http: spec.flag("allow_http"),
            login: spec.typed().kind.login_method(),
        }
    }

    fn keeps_fresh(spec: &ConnectionSpec) -> bool {
        match spec.settings.get("keep_fresh") {
            Some(crate::connection::Value::Bool(b)) => *b,
            _ => crate::provider::with(spec, |p| p.renews_unattended()),
        }
    }

    /// A new HTTP client for `spec` (a connection's owner keeps the one it uses).
    fn new_http_client(&self, spec: &ConnectionSpec) -> Result<reqwest::Client> {
        crate::provider::http::client_for(spec, self.http_timeout).map_err(|source| {
            Error::Provider {
                connection: spec.name.clone(),
                source,
            }
        })
    }

    fn emit(&self, spec: &ConnectionSpec, state: &ConnectionState) {
        let _ = self.events.send(EngineEvent::Changed {
            connection: Box::new(Self::view(spec, state.clone())),
        });
    }

    /// The state the connection's owner keeps, else the state file's.
    pub(crate) fn current_state(&self, name: &ConnectionName) -> ConnectionState {
        self.runtimes
            .state(name)
            .unwrap_or_else(|| self.state.load(name))
    }

    /// Writes the state of connections that have no owner yet (just added or imported), with
    /// one write of the state file for all of them, and announces them.
    pub(crate) fn put_new_states(&self, specs: &[ConnectionSpec], state: &ConnectionState) {
        for spec in specs {
            self.runtimes.forget(&spec.name);
        }
        if let Err(e) = self
            .state
            .put_all(specs.iter().map(|s| (&s.name, Some(state))))
        {
            tracing::warn!(error = %e, "could not write the state file");
        }
        for spec in specs {
            self.emit(spec, state);
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
}

/// How long the engine trusts its copy of the config file without looking at the file: edits
/// by another process (the CLI while the app runs) are seen within this long; edits through
/// the engine itself at once.
pub(crate) const CONFIG_RECHECK: Duration = Duration::from_millis(250);

/// The config file as read, with a look-up by name.
struct ConfigSnapshot {
    file: Arc<ConfigFile>,
    specs: HashMap<String, Arc<ConnectionSpec>>,
    stamp: Option<FileStamp>,
}

impl ConfigSnapshot {
    fn new(file: ConfigFile, stamp: Option<FileStamp>) -> Self {
        let mut specs = HashMap::with_capacity(file.connections.len());
        for spec in &file.connections {
            // The first of a repeated name wins, as in `ConfigFile::get`.
            specs
                .entry(spec.name.as_str().to_owned())
                .or_insert_with(|| Arc::new(spec.clone()));
        }
        Self {
            file: Arc::new(file),
            specs,
            stamp,
        }
    }
}

/// What tells one version of a file from another without reading it: its modification time,
/// size and (on Unix) inode. Every write replaces the file by a rename, so the inode changes
/// even when two writes fall within one tick of the file system's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    modified: SystemTime,
    len: u64,
    inode: u64,
}

impl FileStamp {
    fn of(path: &std::path::Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Self {
            modified: meta.modified().ok()?,
            len: meta.len(),
            inode,
        })
    }
}
