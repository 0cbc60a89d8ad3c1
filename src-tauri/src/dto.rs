//! The one shape the webview sees that the engine does not define: a connection with what
//! only the running app knows (a waiting login, the warnings shown with it). Everything else
//! the commands and events carry is an engine type, with its generated TypeScript.

use serde::Serialize;
use specta::Type;
use tokentray_engine as engine;

/// A connection as the UI shows it: the engine's view and the live facts beside it.
#[derive(Clone, Debug, PartialEq, Serialize, Type)]
pub(crate) struct Connection {
    #[serde(flatten)]
    pub(crate) view: engine::ConnectionView,
    /// Warnings to show wherever the connection is shown (TLS certificates not verified).
    pub(crate) warnings: Vec<String>,
    /// Whether a login is waiting for the person (browser, device code or pasted code).
    pub(crate) login_pending: bool,
    /// The kind's name for people (the engine's, as the CLI says it).
    pub(crate) kind_title: String,
}

impl Connection {
    /// The view with what the engine decides about its kind, and no live facts.
    pub(crate) fn of(view: engine::ConnectionView) -> Self {
        Self {
            kind_title: view.kind.title().to_owned(),
            warnings: Vec::new(),
            login_pending: false,
            view,
        }
    }

    /// The view with what only the running engine knows (a waiting login, its warnings).
    pub(crate) fn live(view: engine::ConnectionView, engine: &engine::Engine) -> Self {
        let login_pending = engine.logins().pending(&view.name);
        let warnings = engine
            .spec(&view.name)
            .ok()
            .and_then(|spec| engine::insecure_warning(&spec))
            .into_iter()
            .collect();
        Self {
            warnings,
            login_pending,
            ..Self::of(view)
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
            header_prefix: "Bearer".into(),
            token_file: None,
            referer: None,
            allow_http: false,
            login: engine::LoginMethod::Browser,
        }
    }

    #[test]
    fn a_connection_serialises_in_the_shape_the_generated_bindings_declare() {
        let json = serde_json::to_value(Connection::of(active_view("work"))).unwrap();
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
        assert_eq!(
            json["identity"].get("email"),
            None,
            "unknown parts are left out"
        );
        assert_eq!(json["store"], "keychain");
        assert_eq!(json["header_prefix"], "Bearer");
        assert_eq!(
            json["login_pending"], false,
            "the live facts sit beside the view"
        );
        assert_eq!(json["kind_title"], "OAuth 2.0 / OpenID Connect");
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
            tauri::async_runtime::block_on(engine.manage().add(
                &tokentray_engine::testing::conn(name),
                engine::ProviderKind::Oauth2,
                &fields,
                secrets,
            ))
            .unwrap();
        }
        let careless = Connection::live(
            engine
                .view(&tokentray_engine::testing::conn("careless"))
                .unwrap(),
            &engine,
        );
        assert_eq!(careless.warnings.len(), 1);
        assert!(
            careless.warnings[0].contains("does not verify TLS certificates"),
            "{:?}",
            careless.warnings
        );
        let careful = Connection::live(
            engine
                .view(&tokentray_engine::testing::conn("careful"))
                .unwrap(),
            &engine,
        );
        assert!(careful.warnings.is_empty());
    }
}
