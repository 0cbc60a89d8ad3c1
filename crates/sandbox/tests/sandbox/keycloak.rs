//! The Keycloak realm: the generic server's behaviour with Keycloak's codes, wording and fields
//! (protocols.md §5.3–5.4, quirks 33–35).

use std::time::Duration;

use reqwest::StatusCode;
use tokentray_sandbox::{ClientConfig, Endpoint, Provider, Rotation, Sandbox, SandboxConfig, User};

use crate::support::{Answer, Auth, http, post_form, start, token_url};

async fn kc_token(sandbox: &Sandbox, auth: Auth<'_>, params: &[(&str, &str)]) -> Answer {
    post_form(&token_url(sandbox, Provider::Keycloak), auth, params).await
}

async fn kc_password(
    sandbox: &Sandbox,
    user: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let mut params = vec![
        ("grant_type", "password"),
        ("username", user),
        ("password", password),
    ];
    params.extend_from_slice(extra);
    kc_token(sandbox, Auth::Public("cdse-public"), &params).await
}

async fn kc_refresh(sandbox: &Sandbox, client: &str, refresh_token: &str) -> Answer {
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    kc_token(sandbox, Auth::Public(client), &params).await
}

#[tokio::test]
async fn a_password_login_carries_keycloaks_extra_fields() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = kc_password(&sandbox, "ada", "lovelace", &[]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["expires_in"], 600);
    assert_eq!(answer.json["refresh_expires_in"], 3600);
    assert_eq!(answer.json["not-before-policy"], 0);
    assert_eq!(answer.str("session_state").len(), 36);
    assert_eq!(sandbox.count(Endpoint::KeycloakToken), 1);
    assert_eq!(
        sandbox.count(Endpoint::Token),
        0,
        "the generic server saw nothing"
    );
}

#[tokio::test]
async fn a_bad_password_is_401_invalid_user_credentials() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = kc_password(&sandbox, "ada", "wrong", &[]).await;
    assert_eq!(answer.error(), (StatusCode::UNAUTHORIZED, "invalid_grant"));
    assert_eq!(answer.description(), "Invalid user credentials");
}

#[tokio::test]
async fn a_missing_or_wrong_one_time_code_looks_exactly_like_a_bad_password() {
    let sandbox = Sandbox::start().await.unwrap();
    for extra in [&[][..], &[("totp", "000000")][..], &[("otp", "111111")][..]] {
        let answer = kc_password(&sandbox, "grace", "hopper", extra).await;
        assert_eq!(answer.error(), (StatusCode::UNAUTHORIZED, "invalid_grant"));
        assert_eq!(answer.description(), "Invalid user credentials");
    }
}

#[tokio::test]
async fn the_one_time_code_is_accepted_as_otp_or_as_the_legacy_totp() {
    let sandbox = Sandbox::start().await.unwrap();
    for field in ["otp", "totp"] {
        let answer = kc_password(&sandbox, "grace", "hopper", &[(field, "424242")]).await;
        assert_eq!(answer.status, StatusCode::OK, "{field}: {}", answer.json);
    }
}

#[tokio::test]
async fn an_expired_refresh_token_is_token_is_not_active() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = kc_password(&sandbox, "ada", "lovelace", &[]).await;
    sandbox.advance_clock(Duration::from_secs(3600));
    let answer = kc_refresh(&sandbox, "cdse-public", &login.str("refresh_token")).await;
    assert_eq!(answer.error(), (StatusCode::BAD_REQUEST, "invalid_grant"));
    assert_eq!(answer.description(), "Token is not active");
}

#[tokio::test]
async fn a_reused_rotated_token_is_stale_and_then_the_session_is_not_active() {
    let client = ClientConfig::public("kc").rotation(Rotation::RotateStrict);
    let config = SandboxConfig::empty()
        .client(client)
        .user(User::new("ada", "lovelace"));
    let sandbox = start(config).await;
    let params = [
        ("grant_type", "password"),
        ("username", "ada"),
        ("password", "lovelace"),
    ];
    let first = kc_token(&sandbox, Auth::Public("kc"), &params)
        .await
        .str("refresh_token");
    let second = kc_refresh(&sandbox, "kc", &first)
        .await
        .str("refresh_token");

    let stale = kc_refresh(&sandbox, "kc", &first).await;
    assert_eq!(stale.description(), "Stale token");
    let ended = kc_refresh(&sandbox, "kc", &second).await;
    assert_eq!(ended.error(), (StatusCode::BAD_REQUEST, "invalid_grant"));
    assert_eq!(ended.description(), "Session not active");
}

#[tokio::test]
async fn an_unknown_refresh_token_is_invalid_refresh_token() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = kc_refresh(&sandbox, "cdse-public", "garbage").await;
    assert_eq!(answer.description(), "Invalid refresh token");
}

#[tokio::test]
async fn client_credentials_report_refresh_expires_in_zero_and_a_bad_secret_is_unauthorized_client()
{
    let sandbox = Sandbox::start().await.unwrap();
    let cc = [("grant_type", "client_credentials")];
    let ok = kc_token(&sandbox, Auth::Post("demo-post", "demo-post-secret"), &cc).await;
    assert_eq!(ok.json["refresh_expires_in"], 0);
    assert!(ok.json.get("refresh_token").is_none());

    let bad = kc_token(&sandbox, Auth::Post("demo-post", "nope"), &cc).await;
    assert_eq!(
        bad.error(),
        (StatusCode::UNAUTHORIZED, "unauthorized_client")
    );
}

#[tokio::test]
async fn the_realm_has_its_own_discovery_document_and_tokens() {
    let sandbox = Sandbox::start().await.unwrap();
    let issuer = sandbox.issuer(Provider::Keycloak);
    assert_eq!(
        issuer.as_str(),
        format!("{}keycloak/realms/demo", sandbox.url())
    );
    let doc: serde_json::Value = http()
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], issuer.as_str());
    assert_eq!(
        doc["token_endpoint"],
        token_url(&sandbox, Provider::Keycloak)
    );

    let login = kc_password(&sandbox, "ada", "lovelace", &[]).await;
    let generic = crate::support::refresh(
        &sandbox,
        Auth::Public("cdse-public"),
        &login.str("refresh_token"),
    )
    .await;
    assert_eq!(
        generic.status,
        StatusCode::BAD_REQUEST,
        "realms do not share tokens"
    );
}
