//! Which store the settings pick: the file only when the user chose it, the keychain otherwise,
//! and a keychain that cannot be reached is still the keychain.

use tokentray_engine::{AppSettings, StoreKind};
use tokentray_keychain::open_store;

use crate::support::Home;

fn settings(secret_store: Option<StoreKind>) -> AppSettings {
    AppSettings {
        secret_store,
        ..AppSettings::default()
    }
}

#[test]
fn the_keychain_is_the_default() {
    let home = Home::new();
    let store = open_store(&home.paths, &settings(None));
    assert_eq!(store.info().kind, StoreKind::Keychain);
    assert!(
        store
            .info()
            .location
            .contains(&home.paths.keychain_service()),
        "{}",
        store.info().location
    );
}

#[test]
fn the_file_store_is_used_only_when_the_user_chose_it() {
    let home = Home::new();
    let file = open_store(&home.paths, &settings(Some(StoreKind::File)));
    assert_eq!(file.info().kind, StoreKind::File);
    assert_eq!(
        file.info().location,
        home.paths
            .data_dir
            .join("secrets.json")
            .display()
            .to_string()
    );
    let keychain = open_store(&home.paths, &settings(Some(StoreKind::Keychain)));
    assert_eq!(keychain.info().kind, StoreKind::Keychain);
}

#[test]
fn opening_a_store_touches_nothing() {
    let home = Home::new();
    let _keychain = open_store(&home.paths, &settings(None));
    let _file = open_store(&home.paths, &settings(Some(StoreKind::File)));
    assert!(
        !home.paths.data_dir.exists(),
        "no directory or file appears before the first write"
    );
}
