//! The keychain store against a real Secret Service: the private gnome-keyring that
//! `tests/scripts/with-keyring.sh` starts. Without it, each test says it skips.

use std::time::Instant;

use tokentray_engine::{Secret, SecretStore, StoreKind};

use crate::support::{Home, private_keyring};

fn secret(s: &str) -> Secret {
    Secret::new(s)
}

#[tokio::test]
async fn a_stored_secret_reads_back_unchanged() {
    let home = Home::new();
    let store = home.keychain();
    if !private_keyring(&store).await {
        return;
    }
    let value = secret(r#"{"refresh_token":"rt-1","note":"ünïcødé ✓"}"#);
    store.put("work", &value).await.unwrap();
    assert_eq!(store.get("work").await.unwrap(), Some(value));
    store.delete("work").await.unwrap();
}

#[tokio::test]
async fn a_second_put_replaces_the_first() {
    let home = Home::new();
    let store = home.keychain();
    if !private_keyring(&store).await {
        return;
    }
    store.put("work", &secret("old")).await.unwrap();
    store.put("work", &secret("new")).await.unwrap();
    assert_eq!(store.get("work").await.unwrap(), Some(secret("new")));
    store.delete("work").await.unwrap();
}

#[tokio::test]
async fn a_deleted_secret_is_gone_and_deleting_again_reports_nothing_deleted() {
    let home = Home::new();
    let store = home.keychain();
    if !private_keyring(&store).await {
        return;
    }
    store.put("work", &secret("v")).await.unwrap();
    assert!(store.delete("work").await.unwrap(), "something was deleted");
    assert_eq!(store.get("work").await.unwrap(), None);
    assert!(
        !store.delete("work").await.unwrap(),
        "deleting a missing key is not an error, and says so"
    );
}

#[tokio::test]
async fn a_key_never_stored_reads_as_none() {
    let home = Home::new();
    let store = home.keychain();
    if !private_keyring(&store).await {
        return;
    }
    assert_eq!(store.get("never-stored").await.unwrap(), None);
}

#[tokio::test]
async fn two_homes_never_see_each_others_secrets() {
    let (a, b) = (Home::new(), Home::new());
    let (store_a, store_b) = (a.keychain(), b.keychain());
    if !private_keyring(&store_a).await {
        return;
    }
    assert_ne!(store_a.service(), store_b.service());
    store_a.put("work", &secret("from-a")).await.unwrap();
    assert_eq!(
        store_b.get("work").await.unwrap(),
        None,
        "the same key under another service is another item"
    );
    store_b.put("work", &secret("from-b")).await.unwrap();
    assert!(store_b.delete("work").await.unwrap());
    assert_eq!(
        store_a.get("work").await.unwrap(),
        Some(secret("from-a")),
        "deleting in one home leaves the other alone"
    );
    store_a.delete("work").await.unwrap();
}

#[tokio::test]
async fn the_probe_passes_and_leaves_nothing_behind() {
    let home = Home::new();
    let store = home.keychain();
    if !private_keyring(&store).await {
        return;
    }
    store.probe().await.unwrap();
    assert_eq!(store.get("_probe").await.unwrap(), None);
}

#[tokio::test]
async fn the_store_describes_itself_as_the_keychain_with_its_service() {
    let home = Home::new();
    let store = home.keychain();
    let info = store.info();
    assert_eq!(info.kind, StoreKind::Keychain);
    assert!(info.location.contains(store.service()), "{}", info.location);
}

/// Not a benchmark: prints how long one round trip takes, so slow keychains are noticed.
#[tokio::test]
async fn a_put_get_delete_round_trip_takes_milliseconds() {
    let home = Home::new();
    let store = home.keychain();
    if !private_keyring(&store).await {
        return;
    }
    let value = secret(&"x".repeat(2000));
    let started = Instant::now();
    for _ in 0..10 {
        store.put("timing", &value).await.unwrap();
        assert_eq!(store.get("timing").await.unwrap(), Some(value.clone()));
        assert!(store.delete("timing").await.unwrap());
    }
    let per_round_trip = started.elapsed() / 10;
    eprintln!("keychain put+get+delete round trip: {per_round_trip:?}");
    assert!(
        per_round_trip < store.timeout(),
        "a round trip stays well inside one call's timeout"
    );
}
