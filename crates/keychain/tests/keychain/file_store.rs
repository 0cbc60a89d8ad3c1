//! The explicit owner-only file store: modes set at creation (even under `umask 000`), files
//! that others could read or that are symlinks refused, concurrent writers serialised, and a
//! damaged file reported and left alone.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use tokentray_engine::{Secret, SecretStore, StoreError, StoreKind};
use tokentray_keychain::FileStore;

use crate::support::{Home, assert_child_passed, child, in_child};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_stored_secret_reads_back_from_an_owner_only_file() {
    let home = Home::new();
    let store = FileStore::new(&home.paths);
    store.put("work", &Secret::new("v1")).await.unwrap();
    store.put("home", &Secret::new("v2")).await.unwrap();
    assert_eq!(store.get("work").await.unwrap(), Some(Secret::new("v1")));
    assert_eq!(store.get("missing").await.unwrap(), None);
    assert_eq!(store.path(), home.paths.data_dir.join("secrets.json"));
    assert_eq!(mode(store.path()), 0o600);
    assert_eq!(mode(&home.paths.data_dir), 0o700);
}

#[tokio::test]
async fn deleting_says_whether_something_was_there() {
    let home = Home::new();
    let store = FileStore::new(&home.paths);
    store.put("work", &Secret::new("v")).await.unwrap();
    assert!(store.delete("work").await.unwrap());
    assert!(!store.delete("work").await.unwrap());
    assert_eq!(store.get("work").await.unwrap(), None);
    store.probe().await.unwrap();
}

#[test]
fn the_store_calls_itself_a_file_and_names_it() {
    let home = Home::new();
    let store = FileStore::new(&home.paths);
    let info = store.info();
    assert_eq!(info.kind, StoreKind::File);
    assert_eq!(info.location, store.path().display().to_string());
}

#[tokio::test]
#[ignore = "a child of files_are_owner_only_even_under_umask_000"]
async fn child_under_umask_000() {
    if !in_child() {
        return;
    }
    let home = Home::new();
    let witness = home.dir.path().join("witness");
    fs::write(&witness, "").unwrap();
    assert_eq!(
        mode(&witness),
        0o666,
        "the child really runs under umask 000"
    );
    let store = FileStore::new(&home.paths);
    store.put("work", &Secret::new("v")).await.unwrap();
    assert_eq!(mode(store.path()), 0o600);
    assert_eq!(mode(&home.paths.data_dir), 0o700);
    let lock = home.paths.data_dir.join("secrets.json.lock");
    assert_eq!(mode(&lock), 0o600);
}

#[test]
fn files_are_owner_only_even_under_umask_000() {
    let name = "file_store::child_under_umask_000";
    let out = child(
        name,
        &["sh", "-c", r#"umask 000 && exec "$0" "$@""#],
        |_| {},
    );
    assert_child_passed(name, &out);
}

#[tokio::test]
async fn a_file_others_can_read_is_refused_with_the_chmod_to_run() {
    let home = Home::new();
    let store = FileStore::new(&home.paths);
    store.put("work", &Secret::new("v")).await.unwrap();
    fs::set_permissions(store.path(), fs::Permissions::from_mode(0o644)).unwrap();
    let before = fs::read(store.path()).unwrap();

    let err = store.get("work").await.unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("chmod 600"), "{message}");
    assert!(message.contains("mode 644"), "{message}");
    assert!(store.put("home", &Secret::new("v")).await.is_err());
    assert_eq!(fs::read(store.path()).unwrap(), before, "left untouched");
}

#[tokio::test]
async fn a_symlinked_file_is_refused_and_its_target_left_untouched() {
    let home = Home::new();
    let target = home.dir.path().join("bashrc");
    fs::write(&target, "export PS1='$ '\n").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
    let store = FileStore::new(&home.paths);
    fs::create_dir_all(&home.paths.data_dir).unwrap();
    symlink(&target, store.path()).unwrap();

    let err = store.put("work", &Secret::new("v")).await.unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    let err = store.get("work").await.unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(fs::read_to_string(&target).unwrap(), "export PS1='$ '\n");
    assert!(
        fs::symlink_metadata(store.path())
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link itself is not replaced either"
    );
}

#[test]
fn two_writers_at_once_never_lose_each_others_secrets() {
    let home = Home::new();
    let path = FileStore::new(&home.paths).path().to_path_buf();
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|writer| {
            // Each writer has its own store and runtime, as two processes would.
            let store = FileStore::at(&path);
            std::thread::spawn(move || {
                runtime().block_on(async {
                    for i in 0..25 {
                        let key = format!("{writer}-{i}");
                        store.put(&key, &Secret::new(key.clone())).await.unwrap();
                    }
                });
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let store = FileStore::at(&path);
    runtime().block_on(async {
        for writer in ["a", "b"] {
            for i in 0..25 {
                let key = format!("{writer}-{i}");
                assert_eq!(
                    store.get(&key).await.unwrap(),
                    Some(Secret::new(key.clone())),
                    "{key} survived the other writer"
                );
            }
        }
    });
}

#[tokio::test]
async fn a_damaged_file_is_reported_and_never_overwritten() {
    let home = Home::new();
    let store = FileStore::new(&home.paths);
    fs::create_dir_all(&home.paths.data_dir).unwrap();
    let damaged = r#"{"version":1,"secrets":"canary-91ab"#;
    fs::write(store.path(), damaged).unwrap();
    fs::set_permissions(store.path(), fs::Permissions::from_mode(0o600)).unwrap();

    let err = store.put("work", &Secret::new("v")).await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("not a Tokentray secrets file"),
        "{message}"
    );
    assert!(
        !message.contains("canary"),
        "never quotes the file: {message}"
    );
    assert!(store.get("work").await.is_err());
    assert!(store.delete("work").await.is_err());
    assert_eq!(fs::read_to_string(store.path()).unwrap(), damaged);
}
