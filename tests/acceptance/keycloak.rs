//! The `cdse` kind (Keycloak) against the sandbox's Keycloak realm: password + TOTP, the
//! refresh window, and Keycloak's own error shapes.

use tokentray_acceptance::TestEngine;
use tokentray_engine::Freshness;
use tokentray_engine::testing::conn;
use tokentray_engine::{ErrorCode, LoginInput, ProviderKind, Secret, Status};
use tokentray_sandbox::{Endpoint, Provider, Sandbox};

fn token_url(sb: &Sandbox) -> String {
    format!(
        "{}/protocol/openid-connect/token",
        sb.issuer(Provider::Keycloak).as_str().trim_end_matches('/')
    )
}

#[tokio::test]
async fn password_grant_with_a_totp_code_logs_in_and_tracks_the_session() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    t.add(
        "cdse",
        ProviderKind::Cdse,
        &[
            ("token_url", &token_url(&sb)),
            ("username", "grace"),
            ("password", "hopper"),
        ],
    )
    .await;
    let err = t
        .engine
        .logins()
        .with_credentials(&conn("cdse"), LoginInput::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        ErrorCode::NeedsLogin,
        "Keycloak's 401 invalid_grant without the code: {err}"
    );
    assert!(
        err.to_string().contains("Invalid user credentials"),
        "{err}"
    );
    let view = t
        .engine
        .logins()
        .with_credentials(
            &conn("cdse"),
            LoginInput {
                totp: Some(Secret::new("424242")),
            },
        )
        .await
        .unwrap();
    assert_eq!(view.status, Status::Active);
    assert!(
        view.refresh_expires_at.is_some(),
        "refresh_expires_in is tracked"
    );
    assert_eq!(view.identity.map(|i| i.subject).as_deref(), Some("grace"));
    let token_reqs: Vec<_> = sb
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::KeycloakToken)
        .collect();
    assert!(token_reqs.iter().all(|r| !r.credentials_in_query));
}

#[tokio::test]
async fn the_refresh_grant_renews_and_an_ended_session_needs_a_login() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    t.add(
        "cdse",
        ProviderKind::Cdse,
        &[
            ("token_url", &token_url(&sb)),
            ("username", "ada"),
            ("password", "lovelace"),
        ],
    )
    .await;
    t.engine
        .logins()
        .with_credentials(&conn("cdse"), LoginInput::default())
        .await
        .unwrap();
    t.jump(600);
    t.engine
        .token(&conn("cdse"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(
        sb.grant_count("refresh_token"),
        1,
        "renewed with the refresh token, not the password"
    );
    sb.advance_clock(std::time::Duration::from_secs(7200));
    t.jump(7200);
    // The session is over; the stored password (no 2FA) logs in again once.
    t.engine
        .token(&conn("cdse"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(sb.grant_count("password"), 2);
    assert_eq!(t.engine.view(&conn("cdse")).unwrap().status, Status::Active);
}

#[tokio::test]
async fn a_2fa_session_warns_before_it_ends_and_then_needs_a_login_without_a_password_attempt() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    t.add(
        "cdse",
        ProviderKind::Cdse,
        &[
            ("token_url", &token_url(&sb)),
            ("username", "grace"),
            ("password", "hopper"),
        ],
    )
    .await;
    let view = t
        .engine
        .logins()
        .with_credentials(
            &conn("cdse"),
            LoginInput {
                totp: Some(Secret::new("424242")),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        view.needs_login_at, view.refresh_expires_at,
        "the session's end is announced ahead"
    );
    assert!(view.needs_login_at.is_some());
    // Within the session, the refresh token renews without a person.
    t.jump(600);
    t.engine
        .token(&conn("cdse"), Freshness::NotDue)
        .await
        .unwrap();
    let before = sb.grant_count("password");
    sb.advance_clock(std::time::Duration::from_secs(7200));
    t.jump(7200);
    let err = t
        .engine
        .token(&conn("cdse"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NeedsLogin, "{err}");
    assert!(err.to_string().contains("one-time code"), "{err}");
    assert_eq!(
        sb.grant_count("password"),
        before,
        "no password attempt without a new code (accounts get locked)"
    );
}

#[tokio::test]
async fn a_password_account_without_2fa_has_no_login_deadline() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    t.add(
        "cdse",
        ProviderKind::Cdse,
        &[
            ("token_url", &token_url(&sb)),
            ("username", "ada"),
            ("password", "lovelace"),
        ],
    )
    .await;
    let view = t
        .engine
        .logins()
        .with_credentials(&conn("cdse"), LoginInput::default())
        .await
        .unwrap();
    assert!(view.refresh_expires_at.is_some());
    assert_eq!(
        view.needs_login_at, None,
        "the stored password logs in again by itself"
    );
}

#[tokio::test]
async fn a_refused_refresh_falls_back_to_the_stored_password_once() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    t.add(
        "cdse",
        ProviderKind::Cdse,
        &[
            ("token_url", &token_url(&sb)),
            ("username", "ada"),
            ("password", "lovelace"),
        ],
    )
    .await;
    t.engine
        .logins()
        .with_credentials(&conn("cdse"), LoginInput::default())
        .await
        .unwrap();
    sb.inject(
        Endpoint::KeycloakToken,
        tokentray_sandbox::Fault::OAuthError {
            status: 400,
            error: "invalid_grant".into(),
            description: "Session not active".into(),
        },
        1,
    );
    t.jump(600);
    t.engine
        .token(&conn("cdse"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(
        sb.grant_count("password"),
        2,
        "quirk 34/36: the refused refresh was followed by one password grant"
    );
    assert_eq!(t.engine.view(&conn("cdse")).unwrap().status, Status::Active);
}
