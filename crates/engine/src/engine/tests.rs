//! The engine's public behaviour with an in-memory secret store and real files in a temp dir.
//! Flows that talk HTTP are tested against the sandbox providers in the acceptance suite.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::connection::ProviderKind;
use crate::error::{ErrorCode, LoginFailure};
use crate::secret::{Credentials, Secret};
use crate::state::Status;
use crate::testing::conn;
use crate::testing::{FakeClock, MemorySecretStore};
use crate::time::Timestamp;

const T0: Timestamp = Timestamp::from_secs(1_800_000_000);

struct Harness {
    dir: tempfile::TempDir,
    engine: Engine,
    store: MemorySecretStore,
    clock: FakeClock,
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = MemorySecretStore::new();
    let clock = FakeClock::starting_at(T0);
    let mut options = EngineOptions::new(Paths::under(dir.path()), Arc::new(store.clone()));
    options.clock = Arc::new(clock.clone());
    options.seed = Some(1);
    Harness {
        engine: Engine::new(options),
        dir,
        store,
        clock,
    }
}

fn creds(pairs: &[(&str, &str)]) -> Credentials {
    let mut c = Credentials::new();
    for (k, v) in pairs {
        c.set(*k, Secret::new(*v));
    }
    c
}

fn set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_static_token_is_handed_out_with_its_header_and_expiry() {
    let h = harness();
    h.engine
        .manage()
        .add(
            &conn("key"),
            ProviderKind::Static,
            &set(&[("expires_at", "2027-06-01T00:00:00Z")]),
            creds(&[("token", "canary-static-1")]),
        )
        .await
        .unwrap();
    let out = h
        .engine
        .token(&conn("key"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(out.token.expose(), "canary-static-1");
    assert_eq!(out.header_name, "Authorization");
    assert_eq!(out.header_value.expose(), "Bearer canary-static-1");
    assert_eq!(
        out.expires_at,
        Timestamp::parse_rfc3339("2027-06-01T00:00:00Z")
    );
    assert_eq!(h.engine.view(&conn("key")).unwrap().status, Status::Active);
}

#[tokio::test(start_paused = true)]
async fn basic_credentials_become_a_basic_header() {
    let h = harness();
    h.engine
        .manage()
        .add(
            &conn("b"),
            ProviderKind::Basic,
            &set(&[("username", "user")]),
            creds(&[("password", "pässword")]),
        )
        .await
        .unwrap();
    let out = h.engine.token(&conn("b"), Freshness::NotDue).await.unwrap();
    assert_eq!(out.header_value.expose(), "Basic dXNlcjpww6Rzc3dvcmQ=");
    h.engine
        .manage()
        .edit(
            &conn("b"),
            Edit {
                set: set(&[("encoding", "latin1")]),
                ..Edit::default()
            },
        )
        .await
        .unwrap();
    let out = h.engine.token(&conn("b"), Freshness::NotDue).await.unwrap();
    assert_eq!(
        out.header_value.expose(),
        "Basic dXNlcjpw5HNzd29yZA==",
        "editing the encoding re-encodes"
    );
}

#[tokio::test(start_paused = true)]
async fn add_refuses_missing_required_fields_and_writes_nothing() {
    let h = harness();
    let err = h
        .engine
        .manage()
        .add(&conn("x"), ProviderKind::Static, &[], Credentials::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("token"), "{err}");
    assert!(h.engine.list().unwrap().is_empty());
    assert!(
        h.store.keys().is_empty(),
        "no secrets are kept for a refused add"
    );
    // A bad name never reaches `add`: the name type refuses it, as invalid input.
    let err = Error::from(ConnectionName::new("Bad Name").unwrap_err());
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

#[tokio::test(start_paused = true)]
async fn duplicate_names_are_refused_without_touching_the_first_connection() {
    let h = harness();
    h.engine
        .manage()
        .add(
            &conn("k"),
            ProviderKind::Static,
            &[],
            creds(&[("token", "first")]),
        )
        .await
        .unwrap();
    let err = h
        .engine
        .manage()
        .add(
            &conn("k"),
            ProviderKind::Static,
            &[],
            creds(&[("token", "second")]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AlreadyExists);
    assert_eq!(
        h.engine
            .token(&conn("k"), Freshness::NotDue)
            .await
            .unwrap()
            .token
            .expose(),
        "first"
    );
}

#[tokio::test(start_paused = true)]
async fn remove_deletes_the_secrets_and_the_state() {
    let h = harness();
    h.engine
        .manage()
        .add(
            &conn("k"),
            ProviderKind::Static,
            &[],
            creds(&[("token", "t")]),
        )
        .await
        .unwrap();
    h.engine.token(&conn("k"), Freshness::NotDue).await.unwrap();
    h.engine.manage().remove(&conn("k")).await.unwrap();
    assert!(h.store.keys().is_empty(), "{:?}", h.store.keys());
    assert!(h.engine.list().unwrap().is_empty());
    assert_eq!(
        h.engine
            .token(&conn("k"), Freshness::NotDue)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::UnknownConnection
    );
}

#[tokio::test(start_paused = true)]
async fn an_unavailable_keychain_is_reported_and_loses_nothing() {
    let h = harness();
    h.engine
        .manage()
        .add(
            &conn("k"),
            ProviderKind::Static,
            &[],
            creds(&[("token", "t")]),
        )
        .await
        .unwrap();
    h.store.set_unavailable(true);
    let err = h
        .engine
        .manage()
        .add(
            &conn("k2"),
            ProviderKind::Static,
            &[],
            creds(&[("token", "t2")]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::StorageUnavailable);
    assert!(err.to_string().contains("keychain"), "{err}");
    let names: Vec<_> = h
        .engine
        .list()
        .unwrap()
        .into_iter()
        .map(|v| v.name.to_string())
        .collect();
    assert_eq!(
        names,
        ["k"],
        "the config is not changed when the secrets could not be stored"
    );
    let err = h.engine.manage().remove(&conn("k")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::StorageUnavailable);
    assert_eq!(
        h.engine.list().unwrap().len(),
        1,
        "remove keeps the connection when its secrets cannot be deleted"
    );
}

#[tokio::test(start_paused = true)]
async fn an_expired_static_token_needs_a_person() {
    let h = harness();
    h.engine
        .manage()
        .add(
            &conn("k"),
            ProviderKind::Static,
            &set(&[("expires_at", "2027-06-01T00:00:00Z")]),
            creds(&[("token", "t")]),
        )
        .await
        .unwrap();
    h.engine.token(&conn("k"), Freshness::NotDue).await.unwrap();
    h.clock.jump(Duration::from_secs(3 * 365 * 86_400));
    let err = h
        .engine
        .token(&conn("k"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NeedsLogin, "{err}");
    assert_eq!(
        h.engine.view(&conn("k")).unwrap().status,
        Status::NeedsLogin
    );
}

#[tokio::test(start_paused = true)]
async fn export_then_import_round_trips_definitions_without_secrets() {
    let a = harness();
    a.engine
        .manage()
        .add(
            &conn("api"),
            ProviderKind::Oauth2,
            &set(&[
                ("client_id", "c"),
                ("token_url", "https://idp.example/token"),
                ("grant", "client_credentials"),
            ]),
            creds(&[("client_secret", "canary-secret-9")]),
        )
        .await
        .unwrap();
    let text = a.engine.manage().export_definitions(&[]).unwrap();
    assert!(!text.contains("canary"), "{text}");
    let b = harness();
    let names = b.engine.manage().import(&text, false).await.unwrap().names;
    assert_eq!(names.len(), 1);
    assert_eq!(
        b.engine.spec(&conn("api")).unwrap(),
        a.engine.spec(&conn("api")).unwrap()
    );
    assert_eq!(
        b.engine.view(&conn("api")).unwrap().status,
        Status::SignedOut
    );
    assert_eq!(
        b.engine
            .manage()
            .import(&text, false)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::AlreadyExists
    );
}

#[tokio::test(start_paused = true)]
async fn events_announce_changes_without_secrets() {
    let h = harness();
    let mut rx = h.engine.subscribe();
    h.engine
        .manage()
        .add(
            &conn("k"),
            ProviderKind::Static,
            &[],
            creds(&[("token", "canary-evt")]),
        )
        .await
        .unwrap();
    h.engine.token(&conn("k"), Freshness::NotDue).await.unwrap();
    let mut seen = Vec::new();
    while let Ok(e) = rx.try_recv() {
        seen.push(serde_json::to_string(&e).unwrap());
    }
    assert!(seen.iter().any(|e| e.contains("\"active\"")), "{seen:?}");
    assert!(seen.iter().all(|e| !e.contains("canary")), "{seen:?}");
}

#[tokio::test(start_paused = true)]
async fn a_token_file_is_kept_fresh_owner_only_and_removed_on_logout() {
    let h = harness();
    let file = h.dir.path().join("bt_u1000");
    let file_str = file.to_string_lossy().into_owned();
    h.engine
        .manage()
        .add(
            &conn("k"),
            ProviderKind::Static,
            &set(&[("token_file", &file_str)]),
            creds(&[("token", "tok-1")]),
        )
        .await
        .unwrap();
    h.engine.token(&conn("k"), Freshness::NotDue).await.unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "tok-1\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    h.engine
        .manage()
        .edit(
            &conn("k"),
            Edit {
                secrets: creds(&[("token", "tok-2")]),
                ..Edit::default()
            },
        )
        .await
        .unwrap();
    h.engine.token(&conn("k"), Freshness::NotDue).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "tok-2\n",
        "rewritten with the new token"
    );
    h.engine.logins().logout(&conn("k")).await.unwrap();
    assert!(!file.exists(), "removed on logout");
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_may_not_be_exported_gets_no_token_file() {
    let h = harness();
    let file = h.dir.path().join("never");
    let file_str = file.to_string_lossy().into_owned();
    h.engine
        .manage()
        .add(
            &conn("k"),
            ProviderKind::Static,
            &set(&[("token_file", &file_str), ("export", "false")]),
            creds(&[("token", "tok")]),
        )
        .await
        .unwrap();
    h.engine.token(&conn("k"), Freshness::NotDue).await.unwrap();
    assert!(!file.exists());
}

#[tokio::test(start_paused = true)]
async fn who_logs_in_unattended_follows_the_kind_and_its_settings() {
    let h = harness();
    h.engine
        .manage()
        .add(
            &conn("key"),
            ProviderKind::Static,
            &[],
            creds(&[("token", "t")]),
        )
        .await
        .unwrap();
    let cc = [
        ("issuer".to_string(), "https://idp.example".to_string()),
        ("grant".to_string(), "client_credentials".to_string()),
        ("client_id".to_string(), "app".to_string()),
    ];
    h.engine
        .manage()
        .add(
            &conn("cc"),
            ProviderKind::Oauth2,
            &cc,
            creds(&[("client_secret", "s")]),
        )
        .await
        .unwrap();
    let code = [
        ("issuer".to_string(), "https://idp.example".to_string()),
        ("grant".to_string(), "authorization_code".to_string()),
        ("client_id".to_string(), "app".to_string()),
    ];
    h.engine
        .manage()
        .add(
            &conn("user"),
            ProviderKind::Oauth2,
            &code,
            Credentials::new(),
        )
        .await
        .unwrap();
    // A static token is read from the store: a login without anyone, though it never renews.
    assert!(h.engine.inspect().logs_in_unattended(&conn("key")).unwrap());
    assert!(h.engine.inspect().logs_in_unattended(&conn("cc")).unwrap());
    assert!(
        !h.engine
            .inspect()
            .logs_in_unattended(&conn("user"))
            .unwrap()
    );
    assert!(
        h.engine
            .inspect()
            .logs_in_unattended(&conn("missing"))
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn a_copernicus_password_login_waits_for_a_person_who_may_have_a_code() {
    let h = harness();
    let password = [
        ("grant".to_string(), "password".to_string()),
        ("username".to_string(), "grace".to_string()),
    ];
    h.engine
        .manage()
        .add(
            &conn("cdse"),
            ProviderKind::Cdse,
            &password,
            creds(&[("password", "p")]),
        )
        .await
        .unwrap();
    let idp = [
        ("issuer".to_string(), "https://idp.example".to_string()),
        ("client_id".to_string(), "app".to_string()),
        ("grant".to_string(), "password".to_string()),
        ("username".to_string(), "grace".to_string()),
    ];
    h.engine
        .manage()
        .add(
            &conn("idp"),
            ProviderKind::Oauth2,
            &idp,
            creds(&[("password", "p")]),
        )
        .await
        .unwrap();
    assert!(
        !h.engine
            .inspect()
            .logs_in_unattended(&conn("cdse"))
            .unwrap()
    );
    assert!(h.engine.inspect().logs_in_unattended(&conn("idp")).unwrap());
}

/// A second engine over the same files, as the next `tokentray` process would be.
fn next_process(h: &Harness) -> Engine {
    let mut options = EngineOptions::new(Paths::under(h.dir.path()), Arc::new(h.store.clone()));
    options.clock = Arc::new(h.clock.clone());
    Engine::new(options)
}

#[tokio::test(start_paused = true)]
async fn a_one_shot_token_reads_its_own_connection_alone_and_a_broken_file_still_fails() {
    let h = harness();
    for name in ["alpha", "key", "omega"] {
        h.engine
            .manage()
            .add(
                &conn(name),
                ProviderKind::Static,
                &[],
                creds(&[("token", &format!("canary-{name}"))]),
            )
            .await
            .unwrap();
    }
    // Read in full once (and found valid): the next process can read one connection alone.
    h.engine.list().unwrap();
    let next = next_process(&h);
    assert_eq!(
        next.token(&conn("key"), Freshness::NotDue)
            .await
            .unwrap()
            .token
            .expose(),
        "canary-key"
    );
    assert!(
        next.inner.config_cache.lock().unwrap().is_none(),
        "the whole file was not parsed"
    );
    assert!(matches!(
        next.token(&conn("nobody"), Freshness::NotDue)
            .await
            .unwrap_err(),
        Error::UnknownConnection { .. }
    ));

    // Broken by hand: the stamp no longer fits, so the whole file is read and refused.
    let path = h.dir.path().join("config/connections.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("name = \"omega\"", "name = \"key\"")).unwrap();
    let broken = next_process(&h);
    let e = broken
        .token(&conn("key"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidConfig, "{e}");
    assert!(e.to_string().contains("defined twice"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn what_a_person_must_do_follows_the_kind_and_is_never_a_login_for_a_static_token() {
    let h = harness();
    h.engine
        .manage()
        .add(
            &conn("key"),
            ProviderKind::Static,
            &[],
            creds(&[("token", "canary-refused")]),
        )
        .await
        .unwrap();
    let refused = crate::secret::RejectedToken::of("canary-refused");
    let e = h
        .engine
        .token_rejected(&conn("key"), &refused, Freshness::NotDue)
        .await
        .unwrap_err();
    match &e {
        Error::NeedsLogin { remedy, .. } => {
            assert_eq!(*remedy, crate::error::Remedy::StoreSecret("token"));
        }
        other => panic!("expected needs-login, got {other:?}"),
    }
    assert!(
        !e.to_string().contains("tokentray "),
        "front ends word the remedy: {e}"
    );
    let words = crate::contract::error::said(&e);
    assert!(words.contains("tokentray edit key --token"), "{words}");
    assert!(!words.contains("tokentray login"), "{words}");
    assert!(!words.contains("canary-refused"), "{words}");
    assert_eq!(
        crate::error::Remedy::for_kind(ProviderKind::Oauth2),
        crate::error::Remedy::LogIn
    );
    assert_eq!(
        crate::error::Remedy::for_kind(ProviderKind::Basic),
        crate::error::Remedy::CheckCredentials
    );
}

#[tokio::test(start_paused = true)]
async fn owners_start_on_first_use_so_idle_connections_cost_nothing() {
    use std::fmt::Write as _;
    let h = harness();
    let mut text = String::from("schema_version = 1\n");
    for i in 0..10_000 {
        write!(
            text,
            "\n[[connection]]\nname = \"api-{i:05}\"\nkind = \"oauth2\"\n\
             token_url = \"https://id.example.org/token\"\nclient_id = \"c{i}\"\n\
             grant = \"client_credentials\"\n"
        )
        .unwrap();
    }
    h.engine.manage().import(&text, false).await.unwrap();
    h.engine.start_background().unwrap();
    assert_eq!(h.engine.list().unwrap().len(), 10_000);
    assert!(h.engine.view(&conn("api-04711")).is_ok());
    assert_eq!(
        h.engine.inner.runtimes.len(),
        0,
        "importing, scheduling, listing and viewing start no owner"
    );
    h.engine
        .manage()
        .add(
            &conn("key"),
            ProviderKind::Static,
            &[],
            creds(&[("token", "tok")]),
        )
        .await
        .unwrap();
    h.engine
        .token(&conn("key"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(
        h.engine.inner.runtimes.len(),
        1,
        "one owner, for the one in use"
    );
    h.engine.manage().remove(&conn("key")).await.unwrap();
    assert_eq!(
        h.engine.inner.runtimes.len(),
        0,
        "a removed connection's owner stops"
    );
    h.engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_first_login_after_adding_runs_only_where_nobody_is_needed() {
    let h = harness();
    h.engine
        .manage()
        .add(
            &conn("key"),
            ProviderKind::Static,
            &[],
            creds(&[("token", "static-first")]),
        )
        .await
        .unwrap();
    let first = h.engine.logins().first_login(&conn("key")).await;
    let view = first.expect("a static token needs nobody").unwrap();
    assert_eq!(view.status, Status::Active);
    let browser = set(&[
        ("issuer", "https://idp.example"),
        ("grant", "authorization_code"),
        ("client_id", "app"),
    ]);
    h.engine
        .manage()
        .add(
            &conn("user"),
            ProviderKind::Oauth2,
            &browser,
            Credentials::new(),
        )
        .await
        .unwrap();
    assert!(
        h.engine.logins().first_login(&conn("user")).await.is_none(),
        "a browser login waits for the person"
    );
    assert_eq!(
        h.engine.view(&conn("user")).unwrap().status,
        Status::SignedOut
    );
}

#[tokio::test(start_paused = true)]
async fn refresh_all_renews_what_has_tokens_and_reports_each_failure() {
    let h = harness();
    for name in ["one", "two"] {
        h.engine
            .manage()
            .add(
                &conn(name),
                ProviderKind::Static,
                &[],
                creds(&[("token", "static-all")]),
            )
            .await
            .unwrap();
    }
    h.engine
        .logins()
        .first_login(&conn("one"))
        .await
        .unwrap()
        .unwrap();
    // "two" never logged in: signed out, so refresh-all leaves it alone.
    assert_eq!(
        h.engine.view(&conn("two")).unwrap().status,
        Status::SignedOut
    );
    let failed = h.engine.refresh_all().await.unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(h.engine.view(&conn("one")).unwrap().status, Status::Active);
    assert_eq!(
        h.engine.view(&conn("two")).unwrap().status,
        Status::SignedOut
    );
    // A renewal that cannot be done fails on its own, named in the answer.
    h.store.set_unavailable(true);
    let failed = h.engine.refresh_all().await.unwrap();
    assert_eq!(
        failed.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["one"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_waiting_login_times_out_counting_from_finish_and_is_gone_after() {
    let h = harness();
    let web = set(&[
        ("grant", "authorization_code"),
        ("authorize_url", "https://idp.example/authorize"),
        ("token_url", "https://idp.example/token"),
        ("client_id", "app"),
        ("redirect", "oob"),
    ]);
    h.engine
        .manage()
        .add(&conn("web"), ProviderKind::Oauth2, &web, creds(&[]))
        .await
        .unwrap();
    let logins = h.engine.logins();
    let step = logins
        .start(&conn("web"), LoginRequest::default())
        .await
        .unwrap();
    assert!(matches!(step, LoginStep::Waiting(_)));
    // The person may take long to come back with a code before `finish` is called (the
    // login's waiter runs first, so its timer would have started).
    tokio::task::yield_now().await;
    tokio::time::advance(Duration::from_secs(3600)).await;
    tokio::task::yield_now().await;
    assert!(logins.pending(&conn("web")));
    let err = logins.finish(&conn("web")).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Login {
                reason: LoginFailure::TimedOut,
                ..
            }
        ),
        "{err}"
    );
    assert!(!logins.pending(&conn("web")));
    let again = logins.paste(&conn("web"), "code").await.unwrap_err();
    assert!(again.to_string().contains("not waiting"), "{again}");
}
