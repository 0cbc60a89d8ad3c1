//! The shapes the webview sees. Engine types stay free of specta (and of Tauri), so this module
//! mirrors the ones the UI needs and converts them. Each mirror enum is matched exhaustively:
//! a new engine variant fails to compile here instead of reaching the UI as an unknown string.

use serde::Serialize;
use specta::Type;
use tokentray_engine as engine;

/// Milliseconds since the Unix epoch, as a JavaScript number (what `Date.now()` returns).
pub(crate) type EpochMillis = f64;

#[allow(
    clippy::cast_precision_loss,
    reason = "epoch milliseconds stay below 2^53, exact in an f64, until the year 287396"
)]
pub(crate) fn millis(ts: engine::Timestamp) -> EpochMillis {
    ts.as_millis() as f64
}

/// A connection as the UI shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Type)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent facts the UI shows, not a state machine"
)]
pub(crate) struct Connection {
    /// The unique name (a slug), used by the CLI and the export endpoint.
    pub(crate) name: String,
    pub(crate) kind: ProviderKind,
    /// The display label (the name when none was set).
    pub(crate) label: String,
    pub(crate) status: Status,
    /// When the access token expires, if known.
    pub(crate) expires_at: Option<EpochMillis>,
    /// When the refresh token or session ends, if known.
    pub(crate) refresh_expires_at: Option<EpochMillis>,
    /// When the session ends and a person must log in again, so the UI can warn before.
    pub(crate) needs_login_at: Option<EpochMillis>,
    pub(crate) identity: Option<Identity>,
    /// Who the token belonged to before the last login signed in as another account, until
    /// the person acknowledges the change (or logs in again).
    pub(crate) previous_identity: Option<Identity>,
    /// When a token was last obtained.
    pub(crate) last_refresh: Option<EpochMillis>,
    /// The last error, in words.
    pub(crate) last_error: Option<String>,
    /// Warnings to show wherever the connection is shown (TLS certificates not verified).
    pub(crate) warnings: Vec<String>,
    /// Where the secrets live, once some are stored.
    pub(crate) store: Option<StoreKind>,
    /// Whether other tools may be handed the token.
    pub(crate) exportable: bool,
    /// Whether the token is renewed in the background.
    pub(crate) keep_fresh: bool,
    /// The HTTP header that carries the token.
    pub(crate) header_name: String,
    /// What comes before the token in that header (`Bearer`, `Basic`; empty for none).
    pub(crate) header_prefix: String,
    /// Where the token is also written as a file, if anywhere.
    pub(crate) token_file: Option<String>,
    /// Whether a login is waiting for the person (browser, device code or pasted code).
    pub(crate) login_pending: bool,
    /// The `Referer` API calls must send with the token (referer-bound ArcGIS tokens).
    pub(crate) referer: Option<String>,
    /// Whether plain http to a non-loopback host is allowed: shown as a warning.
    pub(crate) allow_http: bool,
    /// How it logs in (the login dialog asks for a one-time code first where one may be needed).
    pub(crate) login: LoginMethod,
}

impl Connection {
    /// The view with what only the running engine knows (a waiting login).
    pub(crate) fn live(view: engine::ConnectionView, engine: &engine::Engine) -> Self {
        let pending = engine.login_pending(view.name.as_str());
        let warnings = engine
            .spec(view.name.as_str())
            .ok()
            .and_then(|spec| engine::insecure_warning(&spec))
            .into_iter()
            .collect();
        Self {
            login_pending: pending,
            warnings,
            ..Self::from(view)
        }
    }
}

impl From<engine::ConnectionView> for Connection {
    fn from(v: engine::ConnectionView) -> Self {
        Self {
            name: v.name.to_string(),
            kind: v.kind.into(),
            label: v.label,
            status: v.status.into(),
            expires_at: v.expires_at.map(millis),
            refresh_expires_at: v.refresh_expires_at.map(millis),
            needs_login_at: v.needs_login_at.map(millis),
            identity: v.identity.map(Identity::from),
            previous_identity: v.previous_identity.map(Identity::from),
            last_refresh: v.last_refresh.map(millis),
            last_error: v.last_error,
            warnings: Vec::new(),
            store: v.store.map(StoreKind::from),
            exportable: v.exportable,
            keep_fresh: v.keep_fresh,
            header_name: v.header_name,
            header_prefix: v.header_prefix.unwrap_or_else(|| {
                if v.kind == engine::ProviderKind::Basic {
                    "Basic".into()
                } else {
                    "Bearer".into()
                }
            }),
            token_file: v.token_file,
            login_pending: false,
            referer: v.referer,
            allow_http: v.allow_http,
            login: v.login.into(),
        }
    }
}

/// How a connection logs in: what the login dialog asks of the person, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(tag = "method", rename_all = "snake_case")]
pub(crate) enum LoginMethod {
    /// A sign-in in the browser.
    Browser,
    /// A code entered at a verification page.
    DeviceCode,
    /// A stored password posted by Tokentray; with `totp`, a one-time code may be needed.
    Password { totp: bool },
    /// The stored secrets alone.
    Stored,
}

impl From<engine::LoginMethod> for LoginMethod {
    fn from(m: engine::LoginMethod) -> Self {
        use engine::LoginMethod as M;
        match m {
            M::Browser => Self::Browser,
            M::DeviceCode => Self::DeviceCode,
            M::Password { totp } => Self::Password { totp },
            M::Stored => Self::Stored,
        }
    }
}

/// Which token flow a connection runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, Type)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ProviderKind {
    ArcgisToken,
    ArcgisOauth,
    Itkpd,
    Cdse,
    Oauth2,
    Basic,
    Static,
}

impl From<ProviderKind> for engine::ProviderKind {
    fn from(k: ProviderKind) -> Self {
        use ProviderKind as K;
        match k {
            K::ArcgisToken => Self::ArcgisToken,
            K::ArcgisOauth => Self::ArcgisOauth,
            K::Itkpd => Self::Itkpd,
            K::Cdse => Self::Cdse,
            K::Oauth2 => Self::Oauth2,
            K::Basic => Self::Basic,
            K::Static => Self::Static,
        }
    }
}

impl From<engine::ProviderKind> for ProviderKind {
    fn from(k: engine::ProviderKind) -> Self {
        use engine::ProviderKind as K;
        match k {
            K::ArcgisToken => Self::ArcgisToken,
            K::ArcgisOauth => Self::ArcgisOauth,
            K::Itkpd => Self::Itkpd,
            K::Cdse => Self::Cdse,
            K::Oauth2 => Self::Oauth2,
            K::Basic => Self::Basic,
            K::Static => Self::Static,
        }
    }
}

/// Where a connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    SignedOut,
    Active,
    Refreshing,
    NeedsLogin,
    Error,
}

impl From<engine::Status> for Status {
    fn from(s: engine::Status) -> Self {
        use engine::Status as S;
        match s {
            S::SignedOut => Self::SignedOut,
            S::Active => Self::Active,
            S::Refreshing => Self::Refreshing,
            S::NeedsLogin => Self::NeedsLogin,
            S::Error => Self::Error,
        }
    }
}

/// Who a token belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub(crate) struct Identity {
    /// The account name or id.
    pub(crate) subject: String,
    /// A display name, if the service gave one.
    pub(crate) name: Option<String>,
    /// An e-mail address, if the service gave one.
    pub(crate) email: Option<String>,
}

impl From<engine::Identity> for Identity {
    fn from(i: engine::Identity) -> Self {
        Self {
            subject: i.subject,
            name: i.name,
            email: i.email,
        }
    }
}

/// Where a connection's secrets live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StoreKind {
    Keychain,
    File,
    Memory,
}

impl From<engine::StoreKind> for StoreKind {
    fn from(s: engine::StoreKind) -> Self {
        use engine::StoreKind as S;
        match s {
            S::Keychain => Self::Keychain,
            S::File => Self::File,
            S::Memory => Self::Memory,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use engine::{ConnectionName, ConnectionView, Timestamp};

    /// A view as the engine would report an active OAuth 2.0 connection.
    pub(crate) fn active_view(name: &str) -> ConnectionView {
        ConnectionView {
            name: ConnectionName::new(name).unwrap(),
            kind: engine::ProviderKind::Oauth2,
            label: "Work API".into(),
            status: engine::Status::NeedsLogin,
            expires_at: Some(Timestamp::from_millis(1_767_225_600_123)),
            refresh_expires_at: None,
            needs_login_at: None,
            identity: Some(engine::Identity::subject("ada")),
            previous_identity: None,
            last_refresh: Some(Timestamp::from_millis(1_767_222_000_000)),
            last_error: None,
            store: Some(engine::StoreKind::Keychain),
            exportable: true,
            keep_fresh: true,
            header_name: "Authorization".into(),
            header_prefix: None,
            token_file: None,
            referer: None,
            allow_http: false,
            login: engine::LoginMethod::Browser,
        }
    }

    #[test]
    fn a_connection_serialises_in_the_shape_the_generated_bindings_declare() {
        let json = serde_json::to_value(Connection::from(active_view("work"))).unwrap();
        assert_eq!(json["name"], "work");
        assert_eq!(
            json["kind"], "oauth2",
            "kinds keep the engine's kebab-case names"
        );
        assert_eq!(json["status"], "needs_login", "statuses are snake_case");
        assert_eq!(
            json["expires_at"], 1_767_225_600_123.0,
            "timestamps are epoch milliseconds, exact to the millisecond"
        );
        assert_eq!(json["identity"]["subject"], "ada");
        assert_eq!(json["identity"]["email"], serde_json::Value::Null);
        assert_eq!(json["store"], "keychain");
        assert_eq!(
            json["header_prefix"], "Bearer",
            "the default prefix is spelled out"
        );
        assert_eq!(json["login_pending"], false);
        assert_eq!(
            json["login"],
            serde_json::json!({"method": "browser"}),
            "the ways to log in are tagged by method"
        );
    }

    #[test]
    fn a_live_connection_carries_the_warning_of_switched_off_tls_checks() {
        let home = tempfile::tempdir().unwrap();
        let engine = engine::Engine::new(engine::EngineOptions::new(
            engine::Paths::under(home.path()),
            std::sync::Arc::new(engine::testing::MemorySecretStore::new()),
        ));
        for (name, insecure) in [("careless", "true"), ("careful", "false")] {
            let mut secrets = engine::Credentials::new();
            secrets.set("client_secret", engine::Secret::new("s"));
            let fields = [
                ("token_url", "https://idp.example/token"),
                ("grant", "client_credentials"),
                ("client_id", "c"),
                ("insecure_skip_verify", insecure),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
            tauri::async_runtime::block_on(engine.add(
                name,
                engine::ProviderKind::Oauth2,
                &fields,
                secrets,
            ))
            .unwrap();
        }
        let careless = Connection::live(engine.view("careless").unwrap(), &engine);
        assert_eq!(careless.warnings.len(), 1);
        assert!(
            careless.warnings[0].contains("does not verify TLS certificates"),
            "{:?}",
            careless.warnings
        );
        let careful = Connection::live(engine.view("careful").unwrap(), &engine);
        assert!(careful.warnings.is_empty());
    }

    #[test]
    fn every_engine_kind_maps_to_the_same_wire_name() {
        for kind in engine::ProviderKind::ALL {
            let ours = serde_json::to_value(ProviderKind::from(kind)).unwrap();
            assert_eq!(
                ours,
                kind.as_str(),
                "the UI and the CLI must agree on kind names"
            );
        }
    }
}
