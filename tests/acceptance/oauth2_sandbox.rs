//! The `oauth2` kind against the sandbox's generic OAuth 2.0 server.

use std::time::Duration;
use tokentray_acceptance::{TestEngine, issuer};
use tokentray_engine::Freshness;
use tokentray_engine::testing::conn;
use tokentray_engine::{ErrorCode, ProviderKind, Status, jwt_claims};

use tokentray_sandbox::{Endpoint, Fault, Provider, Sandbox};

#[tokio::test]
async fn client_credentials_with_basic_auth_found_by_discovery() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let iss = issuer(&sb);
    t.add(
        "cc",
        ProviderKind::Oauth2,
        &[
            ("issuer", &iss),
            ("grant", "client_credentials"),
            ("client_id", "demo-cc"),
            ("client_secret", "demo-cc-secret"),
            ("scope", "read"),
        ],
    )
    .await;
    let out = t
        .engine
        .token(&conn("cc"), Freshness::NotDue)
        .await
        .unwrap();
    let claims = jwt_claims(out.token.expose()).expect("the sandbox issues JWTs");
    assert_eq!(claims["client_id"], "demo-cc");
    assert!(out.expires_at.is_some());
    let reqs = sb.requests();
    let token_req = reqs.iter().find(|r| r.endpoint == Endpoint::Token).unwrap();
    assert_eq!(
        token_req
            .auth_method
            .map(tokentray_sandbox::AuthMethod::as_str),
        Some("client_secret_basic")
    );
    assert!(
        !token_req.credentials_in_query,
        "credentials go in the body or header, never the URL"
    );
    assert_eq!(t.engine.view(&conn("cc")).unwrap().status, Status::Active);
    // A second call is served from memory.
    t.engine
        .token(&conn("cc"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(sb.count(Endpoint::Token), 1);
}

#[tokio::test]
async fn client_credentials_with_post_auth_and_explicit_token_url() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let url = format!("{}/token", issuer(&sb));
    t.add(
        "post",
        ProviderKind::Oauth2,
        &[
            ("token_url", &url),
            ("grant", "client_credentials"),
            ("client_auth", "post"),
            ("client_id", "demo-post"),
            ("client_secret", "demo-post-secret"),
        ],
    )
    .await;
    t.engine
        .token(&conn("post"), Freshness::NotDue)
        .await
        .unwrap();
    let reqs = sb.requests();
    assert_eq!(
        reqs.iter()
            .find(|r| r.endpoint == Endpoint::Token)
            .unwrap()
            .auth_method
            .map(tokentray_sandbox::AuthMethod::as_str),
        Some("client_secret_post")
    );
    assert_eq!(sb.count(Endpoint::Discovery), 0, "no issuer, no discovery");
}

#[tokio::test]
async fn the_wrong_client_authentication_is_a_configuration_error() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    t.add(
        "bad",
        ProviderKind::Oauth2,
        &[
            ("issuer", &issuer(&sb)),
            ("grant", "client_credentials"),
            ("client_auth", "post"),
            ("client_id", "demo-cc"),
            ("client_secret", "demo-cc-secret"),
        ],
    )
    .await;
    let err = t
        .engine
        .token(&conn("bad"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
    assert!(
        err.to_string().contains("client_auth"),
        "the message says what to check: {err}"
    );
    assert_eq!(
        t.engine.view(&conn("bad")).unwrap().status,
        Status::NeedsLogin
    );
}

#[tokio::test]
async fn an_imported_refresh_token_rotates_on_every_refresh_without_reuse() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    imported(&sb, &t, "rot", "demo-rotate").await;
    let first = t
        .engine
        .token(&conn("rot"), Freshness::NotDue)
        .await
        .unwrap();
    for _ in 0..20 {
        t.jump(3600);
        let next = t
            .engine
            .token(&conn("rot"), Freshness::NotDue)
            .await
            .unwrap();
        assert_ne!(next.token.expose(), first.token.expose());
    }
    assert_eq!(
        sb.grant_count("refresh_token"),
        21,
        "one refresh per expiry, no extra"
    );
    let view = t.engine.view(&conn("rot")).unwrap();
    assert_eq!(
        view.status,
        Status::Active,
        "strict rotation never saw a reused token: {:?}",
        view.last_error
    );
    assert_eq!(view.identity.map(|i| i.subject).as_deref(), Some("ada"));
}

#[tokio::test]
async fn a_revoked_refresh_token_needs_a_login_and_is_not_retried() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let rt = imported(&sb, &t, "rev", "demo-public").await;
    t.engine
        .token(&conn("rev"), Freshness::NotDue)
        .await
        .unwrap();
    let revoke = reqwest::Client::builder().build().unwrap();
    revoke
        .post(format!("{}/revoke", issuer(&sb)))
        .form(&[("token", rt.as_str()), ("client_id", "demo-public")])
        .send()
        .await
        .unwrap();
    t.jump(3600);
    let err = t
        .engine
        .token(&conn("rev"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NeedsLogin, "{err}");
    assert_eq!(
        t.engine.view(&conn("rev")).unwrap().status,
        Status::NeedsLogin
    );
    let before = sb.grant_count("refresh_token");
    let again = t
        .engine
        .token(&conn("rev"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert_eq!(again.code(), ErrorCode::NeedsLogin);
    assert!(
        sb.grant_count("refresh_token") <= before + 1,
        "a rejected grant is not retried in a loop"
    );
}

#[tokio::test]
async fn a_non_rotating_service_keeps_the_old_refresh_token() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    imported(&sb, &t, "keep", "demo-public").await;
    for _ in 0..3 {
        t.engine
            .token(&conn("keep"), Freshness::NotDue)
            .await
            .unwrap();
        t.jump(400);
    }
    assert_eq!(t.engine.view(&conn("keep")).unwrap().status, Status::Active);
    assert_eq!(sb.grant_count("refresh_token"), 3);
}

#[tokio::test]
async fn whoami_asks_userinfo_and_logout_revokes() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    imported(&sb, &t, "who", "demo-public").await;
    let id = t
        .engine
        .inspect()
        .whoami(&conn("who"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(id.subject, "ada");
    assert_eq!(id.name.as_deref(), Some("Ada Lovelace"));
    assert!(sb.count(Endpoint::Userinfo) >= 1);
    t.engine.logins().logout(&conn("who")).await.unwrap();
    assert_eq!(sb.count(Endpoint::Revoke), 1);
    assert_eq!(
        t.engine.view(&conn("who")).unwrap().status,
        Status::SignedOut
    );
    t.jump(10);
    let err = t
        .engine
        .token(&conn("who"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        ErrorCode::NeedsLogin,
        "the revoked refresh token cannot log in again: {err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_callers_of_an_expired_token_share_one_renewal() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let url = format!("{}/token", issuer(&sb));
    t.add(
        "many",
        ProviderKind::Oauth2,
        &[
            ("token_url", &url),
            ("grant", "client_credentials"),
            ("client_id", "demo-cc"),
            ("client_secret", "demo-cc-secret"),
        ],
    )
    .await;
    t.engine
        .token(&conn("many"), Freshness::NotDue)
        .await
        .unwrap();
    t.jump(7200);
    let calls = (0..200).map(|_| {
        let engine = t.engine.clone();
        tokio::spawn(async move {
            engine
                .token(&conn("many"), Freshness::NotDue)
                .await
                .map(|h| h.token.expose().to_owned())
        })
    });
    let tokens: Vec<String> = futures_join(calls).await;
    assert_eq!(
        sb.grant_count("client_credentials"),
        2,
        "the first token and one shared renewal"
    );
    assert!(
        tokens.windows(2).all(|w| w[0] == w[1]),
        "every caller got the same fresh token"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn callers_that_wait_for_a_failing_renewal_share_its_failure() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let url = format!("{}/token", issuer(&sb));
    t.add(
        "down",
        ProviderKind::Oauth2,
        &[
            ("token_url", &url),
            ("grant", "client_credentials"),
            ("client_id", "demo-cc"),
            ("client_secret", "demo-cc-secret"),
        ],
    )
    .await;
    let ask = || {
        let engine = t.engine.clone();
        tokio::spawn(async move {
            engine
                .token(&conn("down"), Freshness::NotDue)
                .await
                .map(|h| h.token.expose().to_owned())
        })
    };
    ask().await.unwrap().unwrap();
    t.jump(7200);
    // The renewal's request is never answered: the engine gives up at its HTTP timeout.
    sb.inject(Endpoint::Token, Fault::Hang, 1);
    let first = ask();
    tokio::time::timeout(Duration::from_secs(30), async {
        while sb.count(Endpoint::Token) < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the renewal reached the provider");
    // Everyone asking while it hangs waits for that renewal instead of starting another.
    let waiting: Vec<_> = (0..20).map(|_| ask()).collect();
    let mut errors = vec![first.await.unwrap().unwrap_err()];
    for w in waiting {
        errors.push(w.await.unwrap().unwrap_err());
    }
    assert_eq!(
        sb.count(Endpoint::Token),
        2,
        "the first token and one renewal for all 21 callers"
    );
    let shown = errors[0].to_string();
    assert!(
        errors
            .iter()
            .all(|e| e.code() == errors[0].code() && e.to_string() == shown),
        "one failure, shared: {errors:?}"
    );
    assert_eq!(t.engine.view(&conn("down")).unwrap().status, Status::Error);
}

async fn futures_join(
    calls: impl Iterator<Item = tokio::task::JoinHandle<Result<String, tokentray_engine::Error>>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for c in calls.collect::<Vec<_>>() {
        out.push(c.await.unwrap().unwrap());
    }
    out
}

#[tokio::test]
async fn whoami_reads_an_identity_url_with_a_json_pointer() {
    let sb = Sandbox::start().await.unwrap();
    let rt = sb
        .mint_refresh_token(Provider::OAuth, "demo-public", "ada")
        .unwrap();
    let t = TestEngine::new();
    let userinfo = format!("{}/userinfo", issuer(&sb));
    t.add(
        "ptr",
        ProviderKind::Oauth2,
        &[
            ("issuer", &issuer(&sb)),
            ("grant", "refresh_token"),
            ("client_auth", "none"),
            ("client_id", "demo-public"),
            ("refresh_token", &rt),
            ("identity_url", &userinfo),
            ("identity_field", "/email"),
        ],
    )
    .await;
    let id = t
        .engine
        .inspect()
        .whoami(&conn("ptr"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(id.subject, "ada@example.org");
}

/// Adds `name` holding a refresh token minted for `ada` at the public sandbox client `client`,
/// found by discovery; returns the imported refresh token.
async fn imported(sb: &Sandbox, t: &TestEngine, name: &str, client: &str) -> String {
    let rt = sb
        .mint_refresh_token(Provider::OAuth, client, "ada")
        .unwrap();
    t.add(
        name,
        ProviderKind::Oauth2,
        &[
            ("issuer", &issuer(sb)),
            ("grant", "refresh_token"),
            ("client_auth", "none"),
            ("client_id", client),
            ("refresh_token", &rt),
        ],
    )
    .await;
    rt
}
