//! The `oauth2` kind against a real OpenID provider (the npm package `oidc-provider`).

use tokentray_acceptance::TestEngine;
use tokentray_acceptance::oidc::OidcProvider;
use tokentray_engine::Freshness;
use tokentray_engine::testing::conn;
use tokentray_engine::{ErrorCode, ProviderKind, Status, jwt_claims};

#[tokio::test]
async fn client_credentials_with_basic_and_post_against_a_real_provider() {
    let Some(op) = OidcProvider::start(&[]).await else {
        return;
    };
    let t = TestEngine::new();
    t.add(
        "basic",
        ProviderKind::Oauth2,
        &[
            ("issuer", &op.issuer),
            ("grant", "client_credentials"),
            ("client_id", "tt-basic"),
            ("client_secret", "tt-basic-secret"),
        ],
    )
    .await;
    t.add(
        "post",
        ProviderKind::Oauth2,
        &[
            ("issuer", &op.issuer),
            ("grant", "client_credentials"),
            ("client_auth", "post"),
            ("client_id", "tt-post"),
            ("client_secret", "tt-post-secret"),
        ],
    )
    .await;
    for name in ["basic", "post"] {
        let out = t
            .engine
            .token(&conn(name), Freshness::NotDue)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!out.token.expose().is_empty());
        assert!(out.expires_at.is_some(), "{name}: expires_in read");
        assert_eq!(t.engine.view(&conn(name)).unwrap().status, Status::Active);
    }
    t.add(
        "wrong",
        ProviderKind::Oauth2,
        &[
            ("issuer", &op.issuer),
            ("grant", "client_credentials"),
            ("client_id", "tt-basic"),
            ("client_secret", "not-the-secret"),
        ],
    )
    .await;
    let err = t
        .engine
        .token(&conn("wrong"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
}

#[tokio::test]
async fn refresh_token_import_and_rotation_against_a_real_provider() {
    let Some(op) = OidcProvider::start(&[("OP_ROTATE_REFRESH", "1")]).await else {
        return;
    };
    let rt = op.mint_refresh_token("tt-basic").await;
    let t = TestEngine::new();
    t.add(
        "alice",
        ProviderKind::Oauth2,
        &[
            ("issuer", &op.issuer),
            ("grant", "refresh_token"),
            ("client_id", "tt-basic"),
            ("client_secret", "tt-basic-secret"),
            ("refresh_token", &rt),
        ],
    )
    .await;
    let mut last = t
        .engine
        .token(&conn("alice"), Freshness::NotDue)
        .await
        .unwrap()
        .token
        .expose()
        .to_owned();
    for _ in 0..10 {
        t.jump(3600);
        let next = t
            .engine
            .token(&conn("alice"), Freshness::NotDue)
            .await
            .unwrap()
            .token
            .expose()
            .to_owned();
        assert_ne!(next, last, "a new access token after each expiry");
        last = next;
    }
    let view = t.engine.view(&conn("alice")).unwrap();
    assert_eq!(view.status, Status::Active, "{:?}", view.last_error);
    assert_eq!(
        view.identity.as_ref().map(|i| i.subject.as_str()),
        Some("alice"),
        "whoami from userinfo"
    );
    // The old imported token was rotated away: importing it again must fail, proving rotation happened.
    let t2 = TestEngine::new();
    t2.add(
        "stale",
        ProviderKind::Oauth2,
        &[
            ("issuer", &op.issuer),
            ("grant", "refresh_token"),
            ("client_id", "tt-basic"),
            ("client_secret", "tt-basic-secret"),
            ("refresh_token", &rt),
        ],
    )
    .await;
    assert_eq!(
        t2.engine
            .token(&conn("stale"), Freshness::NotDue)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NeedsLogin
    );
    let _ = jwt_claims(&last);
}

#[tokio::test]
async fn a_revoked_refresh_token_goes_to_needs_login_against_a_real_provider() {
    let Some(op) = OidcProvider::start(&[]).await else {
        return;
    };
    let rt = op.mint_refresh_token("tt-basic").await;
    let t = TestEngine::new();
    t.add(
        "alice",
        ProviderKind::Oauth2,
        &[
            ("issuer", &op.issuer),
            ("grant", "refresh_token"),
            ("client_id", "tt-basic"),
            ("client_secret", "tt-basic-secret"),
            ("refresh_token", &rt),
        ],
    )
    .await;
    t.engine
        .token(&conn("alice"), Freshness::NotDue)
        .await
        .unwrap();
    // Logout revokes (RFC 7009) the refresh token at the provider.
    assert_eq!(
        t.engine.logins().logout(&conn("alice")).await.unwrap(),
        None,
        "revocation worked"
    );
    t.jump(3600);
    let err = t
        .engine
        .token(&conn("alice"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NeedsLogin, "{err}");
    assert_eq!(
        t.engine.view(&conn("alice")).unwrap().status,
        Status::NeedsLogin
    );
}
