//! Refresh tokens: the three rotation modes, expiry on the sandbox clock, and minted tokens.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use tokentray_sandbox::{
    ClientConfig, FixedClock, Provider, Rotation, Sandbox, SandboxConfig, User,
};

use crate::support::{Auth, password_login, refresh, start};

/// One client, user `ada`, and a clock that only moves when the test says so: expiry
/// boundaries are asserted to the second.
fn with_client(client: ClientConfig) -> SandboxConfig {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    SandboxConfig::empty()
        .client(client)
        .user(User::new("ada", "lovelace"))
        .clock(FixedClock(start))
}

#[tokio::test]
async fn without_rotation_the_same_refresh_token_keeps_working_and_none_is_returned() {
    let sandbox = start(with_client(ClientConfig::public("app"))).await;
    let login = password_login(&sandbox, Auth::Public("app")).await;
    let refresh_token = login.str("refresh_token");

    for _ in 0..3 {
        let answer = refresh(&sandbox, Auth::Public("app"), &refresh_token).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
        assert!(
            answer.json.get("refresh_token").is_none(),
            "keep using the old one"
        );
        assert_ne!(answer.str("access_token"), login.str("access_token"));
    }
    assert_eq!(sandbox.grant_count("refresh_token"), 3);
}

#[tokio::test]
async fn rotation_returns_a_new_refresh_token_and_the_used_one_stops_working() {
    let sandbox = start(with_client(
        ClientConfig::public("app").rotation(Rotation::Rotate),
    ))
    .await;
    let first = password_login(&sandbox, Auth::Public("app"))
        .await
        .str("refresh_token");

    let answer = refresh(&sandbox, Auth::Public("app"), &first).await;
    let second = answer.str("refresh_token");
    assert_ne!(first, second);

    let reuse = refresh(&sandbox, Auth::Public("app"), &first).await;
    assert_eq!(reuse.error(), (StatusCode::BAD_REQUEST, "invalid_grant"));
    let next = refresh(&sandbox, Auth::Public("app"), &second).await;
    assert_eq!(
        next.status,
        StatusCode::OK,
        "plain rotation does not punish reuse: {}",
        next.json
    );
}

#[tokio::test]
async fn strict_rotation_revokes_the_whole_family_when_a_used_token_comes_back() {
    let client = ClientConfig::public("app").rotation(Rotation::RotateStrict);
    let sandbox = start(with_client(client)).await;
    let first = password_login(&sandbox, Auth::Public("app"))
        .await
        .str("refresh_token");
    let second = refresh(&sandbox, Auth::Public("app"), &first)
        .await
        .str("refresh_token");

    let reuse = refresh(&sandbox, Auth::Public("app"), &first).await;
    assert_eq!(reuse.error(), (StatusCode::BAD_REQUEST, "invalid_grant"));

    let after = refresh(&sandbox, Auth::Public("app"), &second).await;
    assert_eq!(
        after.error(),
        (StatusCode::BAD_REQUEST, "invalid_grant"),
        "the legitimate holder is logged out too"
    );
}

#[tokio::test]
async fn strict_rotation_keeps_working_while_nobody_reuses_a_token() {
    let client = ClientConfig::public("app").rotation(Rotation::RotateStrict);
    let sandbox = start(with_client(client)).await;
    let mut current = password_login(&sandbox, Auth::Public("app"))
        .await
        .str("refresh_token");
    for _ in 0..3 {
        current = refresh(&sandbox, Auth::Public("app"), &current)
            .await
            .str("refresh_token");
    }
}

#[tokio::test]
async fn a_refresh_token_expires_when_the_sandbox_clock_passes_its_lifetime() {
    let client = ClientConfig::public("app").refresh_token_secs(600);
    let sandbox = start(with_client(client)).await;
    let login = password_login(&sandbox, Auth::Public("app")).await;
    assert_eq!(login.json["refresh_expires_in"], 600);
    let token = login.str("refresh_token");

    sandbox.advance_clock(Duration::from_secs(599));
    let early = refresh(&sandbox, Auth::Public("app"), &token).await;
    assert_eq!(early.status, StatusCode::OK, "{}", early.json);
    assert_eq!(
        early.json["refresh_expires_in"], 1,
        "the remaining lifetime"
    );

    sandbox.advance_clock(Duration::from_secs(1));
    let late = refresh(&sandbox, Auth::Public("app"), &token).await;
    assert_eq!(late.error(), (StatusCode::BAD_REQUEST, "invalid_grant"));
}

#[tokio::test]
async fn a_rotated_refresh_token_gets_a_fresh_lifetime() {
    let client = ClientConfig::public("app")
        .rotation(Rotation::Rotate)
        .refresh_token_secs(600);
    let sandbox = start(with_client(client)).await;
    let first = password_login(&sandbox, Auth::Public("app"))
        .await
        .str("refresh_token");
    sandbox.advance_clock(Duration::from_secs(500));
    let answer = refresh(&sandbox, Auth::Public("app"), &first).await;
    assert_eq!(answer.json["refresh_expires_in"], 600);
    sandbox.advance_clock(Duration::from_secs(500));
    let later = refresh(&sandbox, Auth::Public("app"), &answer.str("refresh_token")).await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.json);
}

#[tokio::test]
async fn an_unknown_refresh_token_is_invalid_grant() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = refresh(&sandbox, Auth::Public("demo-public"), "never-issued").await;
    assert_eq!(answer.error(), (StatusCode::BAD_REQUEST, "invalid_grant"));
}

#[tokio::test]
async fn a_refresh_token_only_works_for_the_client_it_was_issued_to() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = password_login(&sandbox, Auth::Public("demo-public"))
        .await
        .str("refresh_token");
    let answer = refresh(&sandbox, Auth::Public("demo-rotate"), &token).await;
    assert_eq!(answer.error(), (StatusCode::BAD_REQUEST, "invalid_grant"));
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope_but_not_widen_it() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = password_login(&sandbox, Auth::Public("demo-public"))
        .await
        .str("refresh_token");
    let params = |scope| {
        [
            ("grant_type", "refresh_token"),
            ("refresh_token", &*token),
            ("scope", scope),
        ]
    };
    let narrow =
        crate::support::token(&sandbox, Auth::Public("demo-public"), &params("openid")).await;
    assert_eq!(narrow.status, StatusCode::OK, "{}", narrow.json);
    let wide = crate::support::token(&sandbox, Auth::Public("demo-public"), &params("admin")).await;
    assert_eq!(wide.error(), (StatusCode::BAD_REQUEST, "invalid_scope"));
}

#[tokio::test]
async fn a_minted_refresh_token_can_be_imported_and_used() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = sandbox
        .mint_refresh_token(Provider::OAuth, "demo-public", "ada")
        .unwrap();
    let answer = refresh(&sandbox, Auth::Public("demo-public"), &token).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert!(
        sandbox
            .mint_refresh_token(Provider::OAuth, "demo-public", "nobody")
            .is_none()
    );
    assert!(
        sandbox
            .mint_refresh_token(Provider::OAuth, "nobody", "ada")
            .is_none()
    );
}
