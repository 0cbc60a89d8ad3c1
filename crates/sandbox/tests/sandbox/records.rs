//! Counters and the request log: what a test can learn about the requests a client made.

use reqwest::StatusCode;
use tokentray_sandbox::{AuthMethod, Endpoint, Fault, Sandbox};

use crate::support::{Auth, password_login, refresh, token};

#[tokio::test]
async fn requests_are_counted_per_endpoint_and_per_grant_type() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = password_login(&sandbox, Auth::Public("demo-public")).await;
    refresh(
        &sandbox,
        Auth::Public("demo-public"),
        &login.str("refresh_token"),
    )
    .await;
    refresh(
        &sandbox,
        Auth::Public("demo-public"),
        &login.str("refresh_token"),
    )
    .await;
    token(
        &sandbox,
        Auth::Basic("demo-cc", "demo-cc-secret"),
        &[("grant_type", "client_credentials")],
    )
    .await;

    assert_eq!(sandbox.count(Endpoint::Token), 4);
    assert_eq!(sandbox.count(Endpoint::Userinfo), 0);
    assert_eq!(sandbox.grant_count("password"), 1);
    assert_eq!(sandbox.grant_count("refresh_token"), 2);
    assert_eq!(sandbox.grant_count("client_credentials"), 1);
    let counters = sandbox.counters();
    assert_eq!(counters.endpoints[&Endpoint::Token], 4);
    assert_eq!(counters.requests.len(), 4);
}

#[tokio::test]
async fn the_log_records_the_client_and_auth_method_but_never_a_secret() {
    let sandbox = Sandbox::start().await.unwrap();
    token(
        &sandbox,
        Auth::Basic("demo-cc", "demo-cc-secret"),
        &[("grant_type", "client_credentials")],
    )
    .await;
    token(
        &sandbox,
        Auth::Post("demo-post", "demo-post-secret"),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let login = password_login(&sandbox, Auth::Public("demo-public")).await;

    let records = sandbox.requests();
    let methods: Vec<_> = records.iter().map(|record| record.auth_method).collect();
    assert_eq!(
        methods,
        [
            Some(AuthMethod::ClientSecretBasic),
            Some(AuthMethod::ClientSecretPost),
            Some(AuthMethod::None)
        ]
    );
    assert_eq!(records[0].client_id.as_deref(), Some("demo-cc"));
    assert_eq!(records[2].grant_type.as_deref(), Some("password"));
    assert!(records.iter().all(|record| !record.credentials_in_query));
    let logged = serde_json::to_string(&records).unwrap();
    for secret in [
        "demo-cc-secret",
        "demo-post-secret",
        "lovelace",
        &login.str("access_token"),
    ] {
        assert!(
            !logged.contains(secret),
            "the log must not contain {secret}"
        );
    }
}

#[tokio::test]
async fn wait_for_resolves_once_enough_requests_have_arrived() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::Token, Fault::Status(500), 1);
    let first = token(
        &sandbox,
        Auth::Public("demo-public"),
        &[("grant_type", "password")],
    )
    .await;
    assert_eq!(first.status, StatusCode::INTERNAL_SERVER_ERROR);
    sandbox.wait_for(Endpoint::Token, 1).await;
    assert_eq!(sandbox.count(Endpoint::Token), 1);
}
