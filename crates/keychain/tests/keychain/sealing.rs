//! Sealing against the real Secret Service: a value above the threshold lives encrypted in an
//! owner-only file, the keychain item holds only the marker (read here with keyring-core
//! directly, behind the store's back), and no stale file survives a delete or an overwrite.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use keyring_core::api::CredentialStoreApi;
use tokentray_engine::{Secret, SecretStore, StoreError};
use tokentray_keychain::KeychainStore;

use crate::support::{Home, private_keyring};

const THRESHOLD: usize = 64;

/// A value well above the test threshold, with a canary to look for.
fn large() -> Secret {
    Secret::new(format!(
        r#"{{"refresh_token":"canary-5d2f-{}"}}"#,
        "r".repeat(300)
    ))
}

/// The keychain item's raw text, read with keyring-core instead of the store.
async fn raw_item(store: &KeychainStore, key: &str) -> Option<String> {
    let (service, key) = (store.service().to_owned(), key.to_owned());
    tokio::task::spawn_blocking(move || {
        let native = zbus_secret_service_keyring_store::Store::new().expect("a Secret Service");
        let entry = native.build(&service, &key, None).expect("an entry");
        match entry.get_password() {
            Ok(text) => Some(text),
            Err(keyring_core::Error::NoEntry) => None,
            Err(err) => panic!("could not read the raw item: {err}"),
        }
    })
    .await
    .unwrap()
}

fn sealed_files(store: &KeychainStore) -> Vec<PathBuf> {
    let Ok(dir) = fs::read_dir(store.sealed_dir()) else {
        return Vec::new();
    };
    dir.map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "bin"))
        .collect()
}

async fn sealing_store(home: &Home) -> Option<KeychainStore> {
    let store = home.keychain_sealing_above(THRESHOLD);
    private_keyring(&store).await.then_some(store)
}

#[tokio::test]
async fn a_large_value_is_sealed_and_the_keychain_holds_only_a_marker() {
    let home = Home::new();
    let Some(store) = sealing_store(&home).await else {
        return;
    };
    store.put("work", &large()).await.unwrap();

    let raw = raw_item(&store, "work").await.expect("an item");
    let marker: serde_json::Value = serde_json::from_str(&raw).expect("the item is JSON");
    assert_eq!(marker["sealed"], 1, "{raw}");
    assert!(!raw.contains("canary"), "the marker never holds the value");
    assert!(
        raw.len() < 256,
        "the marker stays small: {} bytes",
        raw.len()
    );

    let files = sealed_files(&store);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        marker["file"],
        *files[0].file_name().unwrap().to_str().unwrap()
    );
    let meta = fs::metadata(&files[0]).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let dir_mode = fs::metadata(store.sealed_dir())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700);
    let bytes = fs::read(&files[0]).unwrap();
    assert!(
        !String::from_utf8_lossy(&bytes).contains("canary"),
        "the file holds ciphertext only"
    );

    assert_eq!(store.get("work").await.unwrap(), Some(large()));
    store.delete("work").await.unwrap();
}

#[tokio::test]
async fn deleting_a_sealed_value_removes_the_item_and_the_file() {
    let home = Home::new();
    let Some(store) = sealing_store(&home).await else {
        return;
    };
    store.put("work", &large()).await.unwrap();
    assert!(store.delete("work").await.unwrap());
    assert_eq!(raw_item(&store, "work").await, None);
    assert!(
        sealed_files(&store).is_empty(),
        "{:?}",
        sealed_files(&store)
    );
    assert_eq!(store.get("work").await.unwrap(), None);
}

#[tokio::test]
async fn overwriting_a_sealed_value_with_a_small_one_removes_the_stale_file() {
    let home = Home::new();
    let Some(store) = sealing_store(&home).await else {
        return;
    };
    store.put("work", &large()).await.unwrap();
    store.put("work", &Secret::new("small")).await.unwrap();
    assert!(
        sealed_files(&store).is_empty(),
        "{:?}",
        sealed_files(&store)
    );
    assert_eq!(raw_item(&store, "work").await.as_deref(), Some("small"));
    assert_eq!(store.get("work").await.unwrap(), Some(Secret::new("small")));
    store.delete("work").await.unwrap();
}

#[tokio::test]
async fn resealing_keeps_only_the_newest_file() {
    let home = Home::new();
    let Some(store) = sealing_store(&home).await else {
        return;
    };
    let newer = Secret::new(format!("{}-rotated", large().expose()));
    store.put("work", &large()).await.unwrap();
    store.put("work", &newer).await.unwrap();
    assert_eq!(sealed_files(&store).len(), 1, "{:?}", sealed_files(&store));
    assert_eq!(store.get("work").await.unwrap(), Some(newer));
    store.delete("work").await.unwrap();
}

#[tokio::test]
async fn a_missing_sealed_file_is_reported_as_corrupt_never_as_empty() {
    let home = Home::new();
    let Some(store) = sealing_store(&home).await else {
        return;
    };
    store.put("work", &large()).await.unwrap();
    for file in sealed_files(&store) {
        fs::remove_file(file).unwrap();
    }
    let err = store.get("work").await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { key } if key == "work"),
        "{err:?}"
    );
    assert!(
        store.delete("work").await.unwrap(),
        "a damaged entry can still be deleted"
    );
}

#[tokio::test]
async fn a_small_value_that_looks_like_a_marker_reads_back_as_itself() {
    let home = Home::new();
    let Some(store) = sealing_store(&home).await else {
        return;
    };
    let lookalike = Secret::new(r#"{"sealed":1,"file":"x","key":"k","nonce":"n"}"#);
    store.put("work", &lookalike).await.unwrap();
    assert_eq!(store.get("work").await.unwrap(), Some(lookalike));
    store.delete("work").await.unwrap();
    assert!(sealed_files(&store).is_empty());
}
