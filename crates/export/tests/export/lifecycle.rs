//! Starting and stopping: 127.0.0.1 only, the port fallback, `endpoint.json` (private, removed
//! on shutdown and drop, left alone when another endpoint wrote it) and the hand-out log.

use std::os::unix::fs::PermissionsExt as _;

use tokentray_export::{DEFAULT_PORT, bind};

use crate::harness::{Home, KeepAlive, Server};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_default_port_is_the_documented_one() {
    assert_eq!(DEFAULT_PORT, 47210);
}

#[tokio::test]
async fn endpoint_json_is_private_names_the_endpoint_and_goes_away_on_shutdown() {
    let mut s = Server::start().await;
    let file = s.home.engine.paths().endpoint_file();
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    let found: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(found["url"], format!("http://127.0.0.1:{}", s.port));
    assert_eq!(found["pid"], std::process::id());
    assert_eq!(
        found["key"].as_str().unwrap().len(),
        43,
        "256 bits, base64url"
    );
    let mut keys: Vec<&String> = found.as_object().unwrap().keys().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["key", "pid", "url"]);
    s.shutdown().await;
    assert!(!file.exists(), "removed on shutdown");
    let refused = tokio::net::TcpStream::connect(("127.0.0.1", s.port)).await;
    assert!(refused.is_err(), "no longer listening");
}

#[tokio::test]
async fn a_wider_runtime_directory_is_narrowed_before_the_key_is_written() {
    let home = Home::new();
    let dir = home.engine.paths().runtime_dir.clone();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let s = Server::over(home).await;
    assert_eq!(mode(&dir), 0o700);
    drop(s);
}

#[tokio::test]
async fn dropping_the_handle_removes_endpoint_json() {
    let mut s = Server::start().await;
    let file = s.home.engine.paths().endpoint_file();
    drop(s.handle.take());
    assert!(!file.exists());
}

#[tokio::test]
async fn an_endpoint_json_written_by_another_endpoint_is_left_alone() {
    let mut s = Server::start().await;
    let file = s.home.engine.paths().endpoint_file();
    let theirs = r#"{"url":"http://127.0.0.1:1","key":"k","pid":1}"#;
    tokentray_engine::files::write_atomic(&file, theirs.as_bytes()).unwrap();
    s.shutdown().await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), theirs);
}

#[tokio::test]
async fn a_taken_pinned_port_fails_loudly_and_is_never_swapped_for_another() {
    let held = bind(Some(0)).await.unwrap();
    let taken = held.port();
    let err = bind(Some(taken)).await.unwrap_err();
    assert!(
        matches!(err, tokentray_export::ExportError::PortTaken { port, .. } if port == taken),
        "{err:?}"
    );
    assert!(!held.fell_back());
}

#[tokio::test]
async fn start_on_a_taken_pinned_port_fails_and_publishes_nothing() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = held.local_addr().unwrap().port();
    let home = Home::new();
    let Err(err) = tokentray_export::start(home.engine.clone(), Some(taken)).await else {
        panic!("started on a taken pinned port");
    };
    let message = err.to_string();
    assert!(
        message.contains(&taken.to_string()) && message.contains("pinned"),
        "a clear error: {message}"
    );
    assert!(
        !home.engine.paths().endpoint_file().exists(),
        "no endpoint.json pointing anywhere"
    );
}

#[tokio::test]
async fn hand_outs_are_logged_with_the_client_and_its_process() {
    let mut s = Server::start().await;
    // One keep-alive connection, open until the log is written, so its process can be found.
    let mut client = KeepAlive::open(&s).await;
    for _ in 0..3 {
        assert_eq!(client.get("/v1/connections/api/token").await.0, 200);
    }
    assert_eq!(client.get("/v1/connections/hidden/token").await.0, 404);
    let other = s.get("/v1/connections/api/token").send().await.unwrap();
    assert_eq!(other.status(), 200);
    s.shutdown().await;
    let entries = s.home.engine.audit(10);
    assert_eq!(
        entries.len(),
        2,
        "one per client socket, repeats coalesced: {entries:?}"
    );
    assert_ne!(entries[0].client, entries[1].client);
    for entry in &entries {
        assert_eq!(entry.connection.as_str(), "api");
        assert_eq!(entry.via, "GET /v1/connections/{name}/token");
        assert!(
            entry.client.as_deref().unwrap().starts_with("127.0.0.1:"),
            "{entry:?}"
        );
    }
    #[cfg(target_os = "linux")]
    {
        let process = entries[0].process.as_deref().expect("found on Linux");
        assert!(
            process.ends_with(&format!("(pid {})", std::process::id())),
            "{process}"
        );
    }
    drop(client);
}
