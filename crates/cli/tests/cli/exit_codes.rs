//! Exit codes and output shapes of PRODUCT.md §6.

use tokentray_sandbox::Sandbox;

use crate::{Home, keychain_ready, stderr, stdout};

#[test]
fn usage_and_unknown_connection_have_their_own_codes() {
    let home = Home::new();
    assert_eq!(home.run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        home.run(&["add", "x", "--kind", "nope"]).status.code(),
        Some(2)
    );
    let o = home.run(&["token", "missing"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "errors never go to stdout");
    assert!(
        stderr(&o).contains("tokentray list"),
        "the message says what to do: {}",
        stderr(&o)
    );
}

#[test]
fn an_unreachable_keychain_exits_6_and_writes_no_connection() {
    let home = Home::new();
    let o = home
        .cmd()
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env("TOKENTRAY_TOKEN", "t")
        .args(["add", "k", "--kind", "static"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    assert!(stderr(&o).contains("keychain"), "{}", stderr(&o));
    let list = home.run(&["list", "--json"]);
    assert_eq!(stdout(&list).trim(), "[]", "nothing half-added");
}

#[test]
fn token_prints_the_token_and_nothing_else() {
    if !keychain_ready() {
        return;
    }
    let home = Home::new();
    let o = home
        .cmd()
        .env("TOKENTRAY_TOKEN", "abc.def-123")
        .args(["add", "k", "--kind", "static"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["token", "k"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "abc.def-123\n");
    let o = home.run(&["token", "k", "--format", "header"]);
    assert_eq!(stdout(&o), "Authorization: Bearer abc.def-123\n");
    let o = home.run(&["token", "k", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["access_token"], "abc.def-123");
    assert_eq!(v["connection"], "k");
    assert_eq!(v["header"]["value"], "Bearer abc.def-123");
    assert!(
        v["expires_at"].is_null() && v["expires_in"].is_null(),
        "unknown expiry is null"
    );
    let list: serde_json::Value =
        serde_json::from_str(&stdout(&home.run(&["list", "--json"]))).unwrap();
    assert_eq!(list[0]["status"], "active");
    assert_eq!(home.run(&["remove", "k"]).status.code(), Some(0));
}

#[test]
fn an_expired_static_token_needs_login_exit_4() {
    if !keychain_ready() {
        return;
    }
    let home = Home::new();
    let o = home
        .cmd()
        .env("TOKENTRAY_TOKEN", "old")
        .args([
            "add",
            "k",
            "--kind",
            "static",
            "--expires-at",
            "2020-01-01T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["token", "k"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    home.run(&["remove", "k"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_provider_exits_5() {
    if !keychain_ready() {
        return;
    }
    let sb = Sandbox::start().await.unwrap();
    sb.inject(
        tokentray_sandbox::Endpoint::Token,
        tokentray_sandbox::Fault::Status(503),
        1,
    );
    let home = Home::new();
    let url = format!("{}oauth/token", sb.url());
    let o = home
        .cmd()
        .env("TOKENTRAY_CLIENT_SECRET", "demo-cc-secret")
        .args([
            "add",
            "api",
            "--kind",
            "oauth2",
            "--token-url",
            &url,
            "--grant",
            "client_credentials",
            "--client-id",
            "demo-cc",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["token", "api"]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(stderr(&o).contains("503"), "{}", stderr(&o));
    let o = home.run(&["token", "api"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the provider is back: {}",
        stderr(&o)
    );
    home.run(&["remove", "api"]);
}

#[test]
fn a_corrupt_config_is_reported_kept_and_not_overwritten() {
    let home = Home::new();
    let config = home.path().join("config/connections.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let broken = "schema_version = 1\n[[connection]\nname = \"x\"\n";
    std::fs::write(&config, broken).unwrap();
    let o = home.run(&["list"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let msg = stderr(&o);
    assert!(
        msg.contains("line 2") && msg.contains("Fix the file"),
        "{msg}"
    );
    let o = home
        .cmd()
        .env("TOKENTRAY_TOKEN", "t")
        .args(["add", "y", "--kind", "static"])
        .output()
        .unwrap();
    assert_ne!(
        o.status.code(),
        Some(0),
        "no write over a file Tokentray cannot read"
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        broken,
        "the file is untouched"
    );
    let kept: Vec<_> = home
        .files()
        .into_iter()
        .filter(|f| f.to_string_lossy().contains("corrupt"))
        .collect();
    assert_eq!(kept.len(), 1, "a copy was kept aside: {kept:?}");
}

#[test]
fn a_damaged_state_file_is_written_again_from_the_stored_tokens() {
    if !keychain_ready() {
        return;
    }
    let home = Home::new();
    let o = home
        .cmd()
        .env("TOKENTRAY_TOKEN", "state-canary-token")
        .args([
            "add",
            "k",
            "--kind",
            "static",
            "--expires-at",
            "2999-01-01T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&home.run(&["token", "k"])), "state-canary-token\n");
    let status = |home: &Home| -> serde_json::Value {
        let list: serde_json::Value =
            serde_json::from_str(&stdout(&home.run(&["list", "--json"]))).unwrap();
        list[0].clone()
    };
    let before = status(&home);
    assert_eq!(before["status"], "active", "{before}");
    // Cut off mid-write, say: lists (which never read the keychain) know nothing now.
    let state = home.path().join("data/state.json");
    std::fs::write(&state, "{\"connections\": {\"k\": [1,2").unwrap();
    assert_eq!(status(&home)["status"], "signed_out");
    // The first command that reads the store writes back what the tokens say.
    let o = home.run(&["token", "k"]);
    assert_eq!(stdout(&o), "state-canary-token\n", "{}", stderr(&o));
    let after = status(&home);
    assert_eq!(after["status"], "active", "{after}");
    assert_eq!(
        after["last_refresh"], before["last_refresh"],
        "not renewed: {after}"
    );
    assert!(!after["expires_at"].is_null(), "{after}");
    assert_eq!(after["expires_at"], before["expires_at"], "{after}");
    let written = std::fs::read_to_string(&state).unwrap();
    assert!(
        !written.contains("state-canary-token"),
        "no token in the state file"
    );
    assert_eq!(home.run(&["remove", "k"]).status.code(), Some(0));
}
