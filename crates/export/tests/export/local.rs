//! The daemon socket beside the HTTP endpoint: owner-only, the same routes without a key
//! (every connection, exportable or not), `GET /v1/daemon`; one daemon per runtime directory,
//! a stale socket replaced, the socket removed at exit; and the export key new at every start,
//! never in the secret store.

use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::time::Duration;

use tokentray_engine::SecretStore as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::harness::{API_TOKEN, Home, Server};

/// One request over the daemon socket of `home` (`head`: the method and target, then any
/// header lines): the status and body.
async fn over_socket(home: &Home, head: &str) -> (u16, String) {
    over_socket_with(home, head, "").await
}

async fn over_socket_with(home: &Home, head: &str, body: &str) -> (u16, String) {
    let mut stream = tokio::net::UnixStream::connect(home.engine.paths().daemon_socket())
        .await
        .unwrap();
    let (line, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    let headers = if headers.is_empty() {
        String::new()
    } else {
        format!("{headers}\r\n")
    };
    let request =
        format!("{line} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n{body}");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("the daemon answers and closes")
        .unwrap();
    let text = String::from_utf8(answer).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

#[tokio::test]
async fn the_socket_is_private_needs_no_key_and_serves_every_connection() {
    let mut s = Server::start().await;
    let socket = s.home.engine.paths().daemon_socket();
    let meta = std::fs::symlink_metadata(&socket).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let (status, body) = over_socket(&s.home, "GET /v1/connections/api/token").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(API_TOKEN));
    let (status, body) = over_socket(
        &s.home,
        "GET /v1/connections/api/token?min_valid=60\r\nAccept: text/plain",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, API_TOKEN));
    // Not exported over HTTP, but this user's own CLI may read it, as it could locally.
    let (status, body) = over_socket(&s.home, "GET /v1/connections/hidden/token").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        s.get("/v1/connections/hidden/token")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let (status, body) = over_socket_with(
        &s.home,
        "POST /v1/connections/api/refresh\r\nContent-Type: application/json\r\nContent-Length: 2",
        "{}",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Browser-shaped requests are refused here too.
    let (status, _) = over_socket(
        &s.home,
        "GET /v1/connections/api/token\r\nOrigin: http://evil.example",
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = over_socket(&s.home, "GET /v1/daemon").await;
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["url"], s.url.as_str());
    assert_eq!(info["pid"], std::process::id());
    assert_eq!(info["default_taken"], false);
    assert!(!body.contains(&s.key), "never the export key");
    // Not on the HTTP endpoint.
    assert_eq!(s.get("/v1/daemon").send().await.unwrap().status(), 404);
    s.shutdown().await;
    assert!(!socket.exists(), "removed on shutdown");
}

#[tokio::test]
async fn a_second_daemon_over_the_same_files_refuses_to_start() {
    let s = Server::start().await;
    let err = tokentray_export::start(s.home.engine.clone(), Some(0))
        .await
        .err()
        .expect("a second daemon refused");
    assert!(
        matches!(err, tokentray_export::ExportError::AlreadyRunning { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("already running"), "{err}");
    // The first one is untouched.
    let (status, _) = over_socket(&s.home, "GET /v1/connections/api/token").await;
    assert_eq!(status, 200);
    let found: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.home.engine.paths().endpoint_file()).unwrap())
            .unwrap();
    assert_eq!(found["url"], s.url.as_str());
}

#[tokio::test]
async fn a_stale_socket_is_replaced_and_a_dropped_handle_removes_it() {
    let home = Home::new();
    home.add_static("api", API_TOKEN, crate::harness::FAR, true)
        .await;
    let socket = home.engine.paths().daemon_socket();
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    // A crashed daemon's socket: the file stays, nobody answers.
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(std::os::unix::net::UnixStream::connect(&socket).is_err());
    let mut s = Server::over(home).await;
    let (status, _) = over_socket(&s.home, "GET /v1/connections/api/token").await;
    assert_eq!(status, 200);
    drop(s.handle.take());
    assert!(!socket.exists());
    assert!(!s.home.engine.paths().endpoint_file().exists());
}

#[tokio::test]
async fn a_failed_start_leaves_no_socket_behind() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = held.local_addr().unwrap().port();
    let home = Home::new();
    assert!(
        tokentray_export::start(home.engine.clone(), Some(taken))
            .await
            .is_err()
    );
    assert!(!home.engine.paths().daemon_socket().exists());
    // And the lock is free again: the next start works.
    let s = Server::over(home).await;
    drop(s);
}

/// Whether any item of the store holds `value`.
async fn stored_anywhere(home: &Home, value: &str) -> bool {
    for key in home.store.keys() {
        let item = home.store.get(&key).await.unwrap().unwrap();
        if item.expose().contains(value) {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn the_key_is_new_at_every_start_and_the_old_stored_one_is_deleted() {
    let home = Home::new();
    home.add_static("api", API_TOKEN, crate::harness::FAR, true)
        .await;
    let legacy = tokentray_engine::Secret::new("legacy-export-key");
    home.store.put("_export-key", &legacy).await.unwrap();
    let mut s = Server::over(home).await;
    let first = s.key.clone();
    assert_ne!(first, "legacy-export-key");
    assert!(
        s.home.store.get("_export-key").await.unwrap().is_none(),
        "the old key is deleted"
    );
    assert!(
        !stored_anywhere(&s.home, &first).await,
        "the key is not in the secret store"
    );
    s.shutdown().await;
    let s = Server::over(s.home).await;
    assert_ne!(s.key, first, "a new key at every start");
    assert!(!stored_anywhere(&s.home, &s.key).await);
    // The old key no longer opens anything.
    let old = s
        .http
        .get(format!("{}/v1/connections/api/token", s.url))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);
}

#[tokio::test]
async fn a_home_too_deep_for_a_socket_still_serves_http_and_still_holds_the_lock() {
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("d".repeat(120));
    let paths = tokentray_engine::Paths::under(&deep);
    let engine = tokentray_engine::Engine::new(tokentray_engine::EngineOptions::new(
        paths.clone(),
        Arc::new(tokentray_engine::testing::MemorySecretStore::new()),
    ));
    let handle = tokentray_export::start(engine.clone(), Some(0))
        .await
        .unwrap();
    assert!(!paths.daemon_socket().exists());
    assert!(paths.endpoint_file().exists());
    let again = tokentray_export::start(engine.clone(), Some(0)).await;
    assert!(
        matches!(
            again,
            Err(tokentray_export::ExportError::AlreadyRunning { .. })
        ),
        "one daemon per home, socket or not"
    );
    handle.shutdown().await;
    assert!(!paths.endpoint_file().exists());
}

#[tokio::test]
async fn over_the_socket_no_token_or_key_reaches_a_log_line_or_an_error_body() {
    use crate::harness::{canary, logs};
    let token = canary("socket-token");
    let bait = canary("socket-bait");
    let home = Home::new();
    home.add_static("api", &token, crate::harness::FAR, false)
        .await;
    home.add_static(
        "old",
        &canary("socket-expired"),
        "2001-01-01T00:00:00Z",
        true,
    )
    .await;
    let s = Server::over(home).await;
    let heads = [
        "GET /v1/connections/api/token".to_owned(),
        "GET /v1/connections/api/token\r\nAccept: text/plain".to_owned(),
        "GET /v1/connections/old/token".to_owned(),
        format!("GET /v1/connections/api/token\r\nOrigin: {bait}"),
        format!("GET /v1/connections/api/token\r\nAuthorization: Bearer {bait}"),
        format!("GET /v1/connections/{bait}/token"),
        format!("GET /v1/connections/api/token?min_valid={bait}"),
        format!("GET /{bait}\r\nX-Bait: {bait}"),
        format!("POST /v1/connections/api/refresh\r\nContent-Type: text/{bait}"),
        "GET /v1/daemon".to_owned(),
        "OPTIONS /v1/connections".to_owned(),
    ];
    let mut handed_out = false;
    for head in &heads {
        let (status, body) = over_socket(&s.home, head).await;
        handed_out |= body == token || body.contains(&format!("\"{token}\""));
        if status == 200 && head.contains("/api/token") {
            continue;
        }
        for secret in [&s.key, &token, &bait] {
            assert!(!body.contains(secret.as_str()), "{head:?} echoed: {body}");
        }
    }
    assert!(handed_out, "the token was handed out at all");
    let logged = logs();
    for secret in [&s.key, &token, &bait] {
        let lines: Vec<&str> = logged
            .lines()
            .filter(|l| l.contains(secret.as_str()))
            .collect();
        assert!(lines.is_empty(), "logged: {lines:#?}");
    }
}

#[tokio::test]
async fn a_runtime_directory_another_user_made_is_refused_and_nothing_is_published_there() {
    let Some(n) = tokentray_engine::testing::neighbour::Neighbour::get() else {
        return;
    };
    let home = Home::new();
    let run = home.engine.paths().runtime_dir.clone();
    std::fs::create_dir_all(&run).unwrap();
    std::os::unix::fs::chown(&run, Some(n.uid), Some(n.uid)).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    let Err(err) = tokentray_export::start(home.engine.clone(), Some(0)).await else {
        panic!("started in another user's runtime directory");
    };
    assert!(err.to_string().contains("another user"), "{err}");
    assert!(!home.engine.paths().endpoint_file().exists());
    assert!(!home.engine.paths().daemon_socket().exists());
}
