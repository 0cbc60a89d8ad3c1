//! Interactive logins against the real OpenID provider: authorization code + PKCE through the
//! loopback listener, with the provider's login and consent pages filled in by a headless
//! client; a pasted redirect URL; a forged or replayed callback; `error=`; the device flow.

use std::sync::Arc;
use tokentray_engine::Freshness;
use tokentray_engine::testing::conn;

use tokentray_acceptance::TestEngine;
use tokentray_acceptance::browser::FakeBrowser;
use tokentray_acceptance::oidc::OidcProvider;
use tokentray_engine::{
    ErrorCode, LoginPrompt, LoginRequest, LoginStep, ProviderKind, RedirectMode, Status,
};

async fn public_client(t: &TestEngine, op: &OidcProvider, grant: &str) {
    t.add(
        "alice",
        ProviderKind::Oauth2,
        &[
            ("issuer", &op.issuer),
            ("grant", grant),
            ("client_id", "tt-public"),
            ("client_auth", "none"),
            ("scope", "openid offline_access profile email"),
        ],
    )
    .await;
}

fn browser_url(step: &LoginStep) -> (String, String) {
    match step {
        LoginStep::Waiting(start) => match &start.prompt {
            LoginPrompt::Browser {
                url, redirect_uri, ..
            } => (url.clone(), redirect_uri.clone()),
            other @ LoginPrompt::Device { .. } => {
                panic!("expected a browser prompt, got {other:?}")
            }
        },
        LoginStep::Done(_) => panic!("expected to wait for a browser"),
    }
}

fn query(url: &str, key: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn authorization_code_with_pkce_through_the_loopback_listener() {
    let Some(op) = OidcProvider::start(&[("OP_ROTATE_REFRESH", "1")]).await else {
        return;
    };
    let browser = FakeBrowser::new("alice", "wonderland");
    let b = browser.clone();
    let t = TestEngine::with_options(move |o| o.browser = Arc::new(b));
    public_client(&t, &op, "authorization_code").await;
    let step = t
        .engine
        .logins()
        .start(
            &conn("alice"),
            LoginRequest {
                open_browser: true,
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap();
    let (url, redirect_uri) = browser_url(&step);
    assert_eq!(
        query(&url, "code_challenge_method").as_deref(),
        Some("S256"),
        "PKCE S256 is on by default"
    );
    assert!(
        query(&url, "state").is_some_and(|s| s.len() >= 43),
        "a long random state"
    );
    assert!(
        redirect_uri.starts_with("http://127.0.0.1:") && redirect_uri.ends_with("/callback"),
        "{redirect_uri}"
    );
    let view = t.engine.logins().finish(&conn("alice")).await.unwrap();
    assert_eq!(view.status, Status::Active);
    assert_eq!(view.identity.map(|i| i.subject).as_deref(), Some("alice"));
    assert!(
        browser.landed()[0].starts_with(&redirect_uri),
        "the browser landed on our listener: {:?}",
        browser.landed()
    );
    // The refresh token from the login rotates on refresh.
    for _ in 0..3 {
        t.jump(3600);
        t.engine
            .token(&conn("alice"), Freshness::NotDue)
            .await
            .unwrap();
    }
    assert_eq!(
        t.engine.view(&conn("alice")).unwrap().status,
        Status::Active
    );
    // The listener is gone: the callback cannot be replayed.
    let replay = reqwest::Client::builder()
        .build()
        .unwrap()
        .get(browser.landed()[0].clone())
        .send()
        .await;
    assert!(
        replay.is_err(),
        "a replayed callback finds nobody listening"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pasted_redirect_url_completes_the_login() {
    let Some(op) = OidcProvider::start(&[]).await else {
        return;
    };
    let t = TestEngine::new();
    public_client(&t, &op, "authorization_code").await;
    let step = t
        .engine
        .logins()
        .start(&conn("alice"), LoginRequest::default())
        .await
        .unwrap();
    let (url, redirect_uri) = browser_url(&step);
    // Sign in elsewhere and copy the address the browser was sent to, as a person would.
    let landed = FakeBrowser::new("alice", "wonderland")
        .stopping_at(&redirect_uri)
        .sign_in(&url)
        .await
        .unwrap();
    assert!(landed.contains("code="), "{landed}");
    t.engine
        .logins()
        .paste(&conn("alice"), &format!("  {landed}\n"))
        .await
        .unwrap();
    let view = t.engine.logins().finish(&conn("alice")).await.unwrap();
    assert_eq!(view.status, Status::Active);
}

/// Whether pasting `text` into the login of `alice` is refused.
async fn paste_fails(t: &TestEngine, text: &str) -> bool {
    t.engine.logins().paste(&conn("alice"), text).await.is_err()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_callback_is_ignored_and_an_error_callback_ends_the_login() {
    let Some(op) = OidcProvider::start(&[]).await else {
        return;
    };
    let t = TestEngine::new();
    public_client(&t, &op, "authorization_code").await;
    let step = t
        .engine
        .logins()
        .start(
            &conn("alice"),
            LoginRequest {
                redirect: Some(RedirectMode::Loopback),
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap();
    let (url, redirect_uri) = browser_url(&step);
    let state = query(&url, "state").unwrap();
    let http = reqwest::Client::builder().build().unwrap();
    let forged = http
        .get(format!("{redirect_uri}?code=attacker&state=wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400, "a wrong state is refused");
    let no_state = http
        .get(format!("{redirect_uri}?code=attacker"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_state.status(), 400);
    assert!(paste_fails(&t, "https://x.example/cb?code=a&state=wrong").await);
    // The login still waits: the real error callback ends it (with the issuer's `iss`, which
    // oidc-provider promises to send, RFC 9207).
    let denied = http
        .get(
            reqwest::Url::parse_with_params(
                &redirect_uri,
                [
                    ("error", "access_denied"),
                    ("error_description", "no thanks"),
                    ("state", &state),
                    ("iss", &op.issuer),
                ],
            )
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 200);
    let err = t.engine.logins().finish(&conn("alice")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NeedsLogin, "{err}");
    assert!(err.to_string().contains("access_denied"), "{err}");
    // Nothing is pending any more; a second start works.
    assert!(paste_fails(&t, "code").await);
    assert!(
        t.engine
            .logins()
            .start(&conn("alice"), LoginRequest::default())
            .await
            .is_ok()
    );
    assert!(t.engine.logins().cancel(&conn("alice")));
    assert_eq!(
        t.engine
            .logins()
            .finish(&conn("alice"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Cancelled
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_one_login_waits_per_connection() {
    let Some(op) = OidcProvider::start(&[]).await else {
        return;
    };
    let t = TestEngine::new();
    public_client(&t, &op, "authorization_code").await;
    t.engine
        .logins()
        .start(&conn("alice"), LoginRequest::default())
        .await
        .unwrap();
    let second = t
        .engine
        .logins()
        .start(&conn("alice"), LoginRequest::default())
        .await
        .unwrap_err();
    assert_eq!(second.code(), ErrorCode::InvalidInput, "{second}");
    assert!(second.to_string().contains("already waiting"), "{second}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_device_flow_shows_a_code_and_polls_until_approved() {
    let Some(op) = OidcProvider::start(&[]).await else {
        return;
    };
    let t = TestEngine::new();
    public_client(&t, &op, "device_code").await;
    let step = t
        .engine
        .logins()
        .start(&conn("alice"), LoginRequest::default())
        .await
        .unwrap();
    let LoginStep::Waiting(start) = step else {
        panic!("a device login waits")
    };
    let LoginPrompt::Device {
        user_code,
        verification_uri,
        verification_uri_complete,
        ..
    } = start.prompt
    else {
        panic!("a device prompt")
    };
    assert!(!user_code.is_empty());
    let approve = verification_uri_complete.unwrap_or(verification_uri);
    let browser = FakeBrowser::new("alice", "wonderland");
    let approving = tokio::spawn(async move { browser.sign_in(&approve).await });
    let view = t.engine.logins().finish(&conn("alice")).await.unwrap();
    assert_eq!(view.status, Status::Active);
    approving.await.unwrap().unwrap();
}
