//! Userinfo (who a bearer token belongs to) and RFC 7009 revocation.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use tokentray_sandbox::{Provider, Sandbox};

use crate::support::{Answer, Auth, http, password_login, post_form, refresh, token, url};

async fn userinfo(sandbox: &Sandbox, access_token: &str) -> Answer {
    let response = http()
        .get(url(sandbox, Provider::OAuth, "userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    Answer::from(response).await
}

async fn revoke(sandbox: &Sandbox, auth: Auth<'_>, token: &str) -> Answer {
    post_form(
        &url(sandbox, Provider::OAuth, "revoke"),
        auth,
        &[("token", token)],
    )
    .await
}

#[tokio::test]
async fn userinfo_names_the_user_behind_an_access_token() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = password_login(&sandbox, Auth::Public("demo-public")).await;
    let me = userinfo(&sandbox, &login.str("access_token")).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        me.json,
        serde_json::json!({
            "sub": "ada",
            "preferred_username": "ada",
            "name": "Ada Lovelace",
            "email": "ada@example.org",
        })
    );
}

#[tokio::test]
async fn userinfo_for_a_client_credentials_token_names_the_service_account() {
    let sandbox = Sandbox::start().await.unwrap();
    let cc = token(
        &sandbox,
        Auth::Basic("demo-cc", "demo-cc-secret"),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let me = userinfo(&sandbox, &cc.str("access_token")).await;
    assert_eq!(me.json["sub"], "demo-cc");
    assert_eq!(me.json["preferred_username"], "service-account-demo-cc");
}

#[tokio::test]
async fn userinfo_refuses_unknown_missing_and_expired_tokens() {
    let sandbox = Sandbox::start().await.unwrap();
    let unknown = userinfo(&sandbox, "not-a-token").await;
    assert_eq!(unknown.error(), (StatusCode::UNAUTHORIZED, "invalid_token"));
    assert!(
        unknown.headers[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );

    let missing = http()
        .get(url(&sandbox, Provider::OAuth, "userinfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);

    let access = password_login(&sandbox, Auth::Public("demo-public"))
        .await
        .str("access_token");
    sandbox.advance_clock(Duration::from_secs(300));
    assert_eq!(
        userinfo(&sandbox, &access).await.status,
        StatusCode::UNAUTHORIZED,
        "expired"
    );
}

#[tokio::test]
async fn revoking_an_unknown_token_is_still_200() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = revoke(&sandbox, Auth::Public("demo-public"), "never-issued").await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_family_and_its_access_tokens() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = password_login(&sandbox, Auth::Public("demo-public")).await;
    let refresh_token = login.str("refresh_token");

    assert_eq!(
        revoke(&sandbox, Auth::Public("demo-public"), &refresh_token)
            .await
            .status,
        StatusCode::OK
    );

    let after = refresh(&sandbox, Auth::Public("demo-public"), &refresh_token).await;
    assert_eq!(after.error(), (StatusCode::BAD_REQUEST, "invalid_grant"));
    let me = userinfo(&sandbox, &login.str("access_token")).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn revoking_an_access_token_leaves_the_refresh_token_working() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = password_login(&sandbox, Auth::Public("demo-public")).await;
    revoke(
        &sandbox,
        Auth::Public("demo-public"),
        &login.str("access_token"),
    )
    .await;

    assert_eq!(
        userinfo(&sandbox, &login.str("access_token")).await.status,
        StatusCode::UNAUTHORIZED
    );
    let renewed = refresh(
        &sandbox,
        Auth::Public("demo-public"),
        &login.str("refresh_token"),
    )
    .await;
    assert_eq!(renewed.status, StatusCode::OK);
}

#[tokio::test]
async fn revocation_authenticates_the_client_like_the_token_endpoint() {
    let sandbox = Sandbox::start().await.unwrap();
    let cc = token(
        &sandbox,
        Auth::Basic("demo-cc", "demo-cc-secret"),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let wrong = revoke(
        &sandbox,
        Auth::Basic("demo-cc", "wrong"),
        &cc.str("access_token"),
    )
    .await;
    assert_eq!(wrong.error(), (StatusCode::UNAUTHORIZED, "invalid_client"));
    let method = revoke(
        &sandbox,
        Auth::Post("demo-cc", "demo-cc-secret"),
        &cc.str("access_token"),
    )
    .await;
    assert_eq!(method.error(), (StatusCode::UNAUTHORIZED, "invalid_client"));
    assert_eq!(
        userinfo(&sandbox, &cc.str("access_token")).await.status,
        StatusCode::OK,
        "not revoked"
    );
}

#[tokio::test]
async fn a_client_cannot_revoke_another_clients_token() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = password_login(&sandbox, Auth::Public("demo-public")).await;
    let answer = revoke(
        &sandbox,
        Auth::Public("demo-rotate"),
        &login.str("refresh_token"),
    )
    .await;
    assert_eq!(
        answer.error(),
        (StatusCode::BAD_REQUEST, "unauthorized_client")
    );
    let still = refresh(
        &sandbox,
        Auth::Public("demo-public"),
        &login.str("refresh_token"),
    )
    .await;
    assert_eq!(still.status, StatusCode::OK);
}
