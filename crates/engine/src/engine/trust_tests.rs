//! Secrets go only where the person pointed the connection when they gave them: after an edit,
//! an import or a hand edit of `connections.toml` moves a connection's token URL, issuer or
//! portal, recording servers (real HTTP listeners on loopback) must never see the client
//! secret, the password or the refresh token. Each test first shows that the secret does reach
//! the original place, so the recorder is known to see it when it is sent.

use std::sync::Arc;

use super::*;
use crate::connection::ProviderKind;
use crate::error::ErrorCode;
use crate::secret::{Credentials, Secret};
use crate::testing::MemorySecretStore;
use crate::testing::conn;
use crate::testing::recorder::Recorder;

struct Harness {
    _dir: tempfile::TempDir,
    engine: Engine,
    store: MemorySecretStore,
}

fn harness_with(store: MemorySecretStore) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut options = EngineOptions::new(Paths::under(dir.path()), Arc::new(store.clone()));
    options.http_timeout = std::time::Duration::from_secs(10);
    Harness {
        engine: Engine::new(options),
        _dir: dir,
        store,
    }
}

fn harness() -> Harness {
    harness_with(MemorySecretStore::new())
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

fn canary(tag: &str) -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("canary-{tag}-{n:016x}")
}

/// Asserts the recorder saw `secret` (the control: it would notice a leak).
fn saw(rec: &Recorder, secret: &str) {
    assert!(
        rec.leaked(&[secret]).is_some(),
        "the original endpoint should have received the secret: {:?}",
        rec.requests()
    );
}

async fn add_client_credentials(h: &Harness, token_url: &str, secret: &str) {
    h.engine
        .manage()
        .add(
            &conn("cc"),
            ProviderKind::Oauth2,
            &set(&[
                ("grant", "client_credentials"),
                ("client_id", "cli"),
                ("token_url", token_url),
            ]),
            creds(&[("client_secret", secret)]),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn an_edited_token_url_never_gets_the_client_secret() {
    let (home, elsewhere) = (Recorder::start(), Recorder::start());
    let secret = canary("cs");
    let h = harness();
    add_client_credentials(&h, &format!("{}token", home.url()), &secret).await;
    assert!(
        h.engine
            .token(&conn("cc"), Freshness::NotDue)
            .await
            .is_err()
    );
    saw(&home, &secret);

    // Refused when the secret is not given again (the app's form), and nothing changes.
    let moved = set(&[("token_url", &format!("{}token", elsewhere.url()))]);
    let err = h
        .engine
        .manage()
        .edit(
            &conn("cc"),
            Edit {
                set: moved.clone(),
                ..Edit::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    let text = err.to_string();
    assert!(
        text.contains("client_secret") && text.contains("Token URL"),
        "{text}"
    );
    assert!(!text.contains(&secret));
    assert_eq!(
        h.engine
            .spec(&conn("cc"))
            .unwrap()
            .text("token_url")
            .unwrap(),
        format!("{}token", home.url())
    );
    assert_eq!(
        h.engine
            .inspect()
            .stored_secret_fields(&conn("cc"))
            .await
            .unwrap(),
        ["client_secret"]
    );

    // Saved without it (the CLI): the secret is deleted and named as needed.
    let edited = h
        .engine
        .manage()
        .edit_report(
            &conn("cc"),
            Edit {
                set: moved,
                save_without_secrets: true,
                ..Edit::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.moved, ["token_url"]);
    assert_eq!(edited.dropped, ["client_secret"]);
    assert_eq!(edited.needed, ["client_secret"]);
    assert!(
        h.engine
            .inspect()
            .stored_secret_fields(&conn("cc"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        h.engine
            .token(&conn("cc"), Freshness::NotDue)
            .await
            .is_err()
    );
    assert!(h.engine.refresh(&conn("cc")).await.map(|r| r.view).is_err());
    elsewhere.assert_never_saw(&[&secret]);
    assert!(h.store.keys().is_empty(), "{:?}", h.store.keys());
}

#[tokio::test]
async fn a_new_secret_given_with_the_move_is_the_only_one_sent() {
    let (home, elsewhere) = (Recorder::start(), Recorder::start());
    let (old, new) = (canary("old"), canary("new"));
    let h = harness();
    add_client_credentials(&h, &format!("{}token", home.url()), &old).await;
    let edited = h
        .engine
        .manage()
        .edit_report(
            &conn("cc"),
            Edit {
                set: set(&[("token_url", &format!("{}token", elsewhere.url()))]),
                secrets: creds(&[("client_secret", &new)]),
                ..Edit::default()
            },
        )
        .await
        .unwrap();
    assert!(edited.needed.is_empty() && edited.dropped.is_empty());
    assert!(
        h.engine
            .token(&conn("cc"), Freshness::NotDue)
            .await
            .is_err()
    );
    saw(&elsewhere, &new);
    elsewhere.assert_never_saw(&[&old]);
}

#[tokio::test]
async fn a_cosmetic_edit_keeps_the_secrets() {
    let home = Recorder::start();
    let secret = canary("cs");
    let h = harness();
    add_client_credentials(&h, &format!("{}token", home.url()), &secret).await;
    let edited = h
        .engine
        .manage()
        .edit_report(
            &conn("cc"),
            Edit {
                set: set(&[("label", "Renamed"), ("scope", "read")]),
                ..Edit::default()
            },
        )
        .await
        .unwrap();
    assert!(edited.moved.is_empty() && edited.dropped.is_empty());
    assert_eq!(
        h.engine
            .inspect()
            .stored_secret_fields(&conn("cc"))
            .await
            .unwrap(),
        ["client_secret"]
    );
}

#[tokio::test]
async fn an_edited_portal_never_gets_the_arcgis_password() {
    let (home, elsewhere) = (Recorder::start(), Recorder::start());
    let password = canary("pw");
    let h = harness();
    h.engine
        .manage()
        .add(
            &conn("gis"),
            ProviderKind::ArcgisToken,
            &set(&[("portal_url", home.url()), ("username", "ada")]),
            creds(&[("password", &password)]),
        )
        .await
        .unwrap();
    assert!(
        h.engine
            .token(&conn("gis"), Freshness::NotDue)
            .await
            .is_err()
    );
    saw(&home, &password);
    let edited = h
        .engine
        .manage()
        .edit_report(
            &conn("gis"),
            Edit {
                set: set(&[("portal_url", elsewhere.url())]),
                save_without_secrets: true,
                ..Edit::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.needed, ["password"]);
    assert!(
        h.engine
            .token(&conn("gis"), Freshness::NotDue)
            .await
            .is_err()
    );
    elsewhere.assert_never_saw(&[&password]);
}

#[tokio::test]
async fn an_edited_issuer_never_gets_the_refresh_token() {
    let (home, elsewhere) = (Recorder::start(), Recorder::start());
    let refresh = canary("rt");
    let h = harness();
    h.engine
        .manage()
        .add(
            &conn("rt"),
            ProviderKind::Oauth2,
            &set(&[
                ("issuer", home.url()),
                ("grant", "refresh_token"),
                ("client_auth", "none"),
                ("client_id", "cli"),
            ]),
            creds(&[("refresh_token", &refresh)]),
        )
        .await
        .unwrap();
    assert!(
        h.engine
            .token(&conn("rt"), Freshness::NotDue)
            .await
            .is_err()
    );
    saw(&home, &refresh);
    let edited = h
        .engine
        .manage()
        .edit_report(
            &conn("rt"),
            Edit {
                set: set(&[("issuer", elsewhere.url())]),
                save_without_secrets: true,
                ..Edit::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.dropped, ["refresh_token"]);
    assert!(
        h.engine
            .token(&conn("rt"), Freshness::NotDue)
            .await
            .is_err()
    );
    elsewhere.assert_never_saw(&[&refresh]);
}

#[tokio::test]
async fn a_hand_edited_config_does_not_get_the_old_secrets() {
    let (home, elsewhere) = (Recorder::start(), Recorder::start());
    let secret = canary("cs");
    let h = harness();
    add_client_credentials(&h, &format!("{}token", home.url()), &secret).await;
    assert!(
        h.engine
            .token(&conn("cc"), Freshness::NotDue)
            .await
            .is_err()
    );
    saw(&home, &secret);
    let file = h.engine.paths().config_file();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(home.url()));
    std::fs::write(&file, text.replace(home.url(), elsewhere.url())).unwrap();
    // A fresh engine (another process), and this one once it sees the file change.
    let other = Engine::new(EngineOptions::new(
        h.engine.paths().clone(),
        Arc::new(h.store.clone()),
    ));
    assert!(other.token(&conn("cc"), Freshness::NotDue).await.is_err());
    h.engine.inner.forget_config_cache();
    assert!(
        h.engine
            .token(&conn("cc"), Freshness::NotDue)
            .await
            .is_err()
    );
    elsewhere.assert_never_saw(&[&secret]);
    assert!(
        other
            .inspect()
            .stored_secret_fields(&conn("cc"))
            .await
            .unwrap()
            .is_empty()
    );
    // Pointed back where they were given, the secrets work again.
    std::fs::write(&file, text).unwrap();
    h.engine.inner.forget_config_cache();
    assert_eq!(
        h.engine
            .inspect()
            .stored_secret_fields(&conn("cc"))
            .await
            .unwrap(),
        ["client_secret"]
    );
}

#[tokio::test]
async fn import_never_adopts_a_leftover_secret() {
    let (home, elsewhere) = (Recorder::start(), Recorder::start());
    let secret = canary("cs");
    let store = MemorySecretStore::new();
    let a = harness_with(store.clone());
    add_client_credentials(&a, &format!("{}token", home.url()), &secret).await;
    assert!(
        a.engine
            .token(&conn("cc"), Freshness::NotDue)
            .await
            .is_err()
    );
    saw(&home, &secret);
    let exported = a.engine.manage().export_definitions(&[]).unwrap();

    // Another config over the same secret store, where "cc" is not defined: the item is a
    // leftover. An import of "cc" (pointed elsewhere, or even at the same place) deletes it.
    let b = harness_with(store.clone());
    let moved = exported.replace(home.url(), elsewhere.url());
    let imported = b.engine.manage().import(&moved, false).await.unwrap();
    assert_eq!(imported.names[0].as_str(), "cc");
    assert_eq!(imported.cleared.len(), 1);
    assert!(
        b.engine
            .inspect()
            .stored_secret_fields(&conn("cc"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        b.engine
            .token(&conn("cc"), Freshness::NotDue)
            .await
            .is_err()
    );
    elsewhere.assert_never_saw(&[&secret]);
    assert!(store.keys().is_empty(), "{:?}", store.keys());
}

#[tokio::test]
async fn import_keeps_token_files_only_when_asked() {
    let h = harness();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tok");
    let text = format!(
        "schema_version = {}\n[[connection]]\nname = \"k\"\nkind = \"static\"\ntoken_file = \"{}\"\n",
        crate::config::SCHEMA_VERSION,
        file.display()
    );
    let imported = h.engine.manage().import(&text, false).await.unwrap();
    assert_eq!(imported.token_files.len(), 1);
    assert!(!imported.token_files_kept);
    assert_eq!(h.engine.spec(&conn("k")).unwrap().text("token_file"), None);

    let h = harness();
    let imported = h.engine.manage().import(&text, true).await.unwrap();
    assert!(imported.token_files_kept);
    assert_eq!(
        h.engine
            .spec(&conn("k"))
            .unwrap()
            .text("token_file")
            .as_deref(),
        file.to_str()
    );

    let h = harness();
    let relative = text.replace(file.to_str().unwrap(), "tok");
    let err = h.engine.manage().import(&relative, true).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(h.engine.list().unwrap().is_empty());
}

#[tokio::test]
async fn token_file_settings_must_be_absolute_and_free() {
    let h = harness();
    let err = h
        .engine
        .manage()
        .add(
            &conn("k"),
            ProviderKind::Static,
            &set(&[("token_file", "relative/tok")]),
            creds(&[("token", "t")]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("absolute"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join(".bashrc");
    std::fs::write(&mine, "export PS1\n").unwrap();
    let err = h
        .engine
        .manage()
        .add(
            &conn("k"),
            ProviderKind::Static,
            &set(&[("token_file", mine.to_str().unwrap())]),
            creds(&[("token", "t")]),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(mine.to_str().unwrap()),
        "names the file: {err}"
    );
    assert!(h.engine.list().unwrap().is_empty(), "nothing saved");
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "export PS1\n");
}
