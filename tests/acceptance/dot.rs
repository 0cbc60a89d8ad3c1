//! The `oauth2` kind against a second real OpenID server, set strict: django-oauth-toolkit
//! with OpenID Connect (tests/servers/dot). It refuses an OpenID authorization request without
//! a `nonce` and one without PKCE S256, sends `iss` with the callback (RFC 9207), rotates
//! refresh tokens (a reused one revokes the family), accepts only registered redirect URIs and
//! signs ID tokens RS256. The public clients are set up without `client_auth`: a client with no
//! stored secret is public by default.

use std::sync::{Arc, Mutex};
use tokentray_engine::Freshness;
use tokentray_engine::testing::conn;

use tokentray_acceptance::TestEngine;
use tokentray_acceptance::browser::FakeBrowser;
use tokentray_acceptance::dot::{self, DotServer};
use tokentray_engine::{
    Error, IdTokenCheck, LoginPrompt, LoginRequest, LoginStep, ProviderError, ProviderKind,
    RedirectMode, Status,
};

/// A plain client for the test's own calls (no redirects, bounded).
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

fn query(url: &str, key: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn engine_with_browser() -> (TestEngine, FakeBrowser) {
    let browser = FakeBrowser::new(dot::USERNAME, dot::PASSWORD);
    let b = browser.clone();
    (
        TestEngine::with_options(move |o| o.browser = Arc::new(b)),
        browser,
    )
}

/// The public native client, registered with `http://127.0.0.1:<redirect_port>/callback` and
/// `http://localhost:<redirect_port>/oauth/cb` (which the server matches exactly, port included).
async fn native(t: &TestEngine, dot: &DotServer, extra: &[(&str, &str)]) {
    let port = dot.redirect_port.to_string();
    let revoke = format!("{}/o/revoke_token/", dot.base);
    let mut fields = vec![
        ("issuer", dot.issuer.as_str()),
        ("client_id", dot::NATIVE_CLIENT),
        ("scope", "openid read"),
        ("redirect_port", port.as_str()),
        ("revoke_url", revoke.as_str()),
    ];
    fields.extend_from_slice(extra);
    t.add("alice", ProviderKind::Oauth2, &fields).await;
}

async fn start_browser_login(t: &TestEngine) -> String {
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
    match step {
        LoginStep::Waiting(start) => match start.prompt {
            LoginPrompt::Browser { url, .. } => url,
            other @ LoginPrompt::Device { .. } => panic!("a browser prompt, got {other:?}"),
        },
        LoginStep::Done(_) => panic!("a browser login waits"),
    }
}

async fn userinfo_status(dot: &DotServer, access_token: &str) -> u16 {
    client()
        .get(format!("{}/o/userinfo/", dot.base))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn code_pkce_and_nonce_over_loopback_then_rotation_and_revocation_on_logout() {
    let Some(dot) = DotServer::start().await else {
        return;
    };
    let (t, browser) = engine_with_browser();
    native(&t, &dot, &[]).await;
    let url = start_browser_login(&t).await;
    assert!(
        query(&url, "nonce").is_some_and(|n| n.len() >= 43),
        "a long random nonce"
    );
    assert_eq!(
        query(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let view = t.engine.logins().finish(&conn("alice")).await.unwrap();
    assert_eq!(view.status, Status::Active, "{:?}", view.last_error);
    assert!(
        browser.landed()[0]
            .starts_with(&format!("http://127.0.0.1:{}/callback?", dot.redirect_port)),
        "{:?}",
        browser.landed()
    );
    assert!(view.identity.is_some(), "the account is known after login");

    // A second login sends another nonce.
    let first_token = t
        .engine
        .token(&conn("alice"), Freshness::NotDue)
        .await
        .unwrap()
        .token
        .expose()
        .to_owned();
    assert_eq!(userinfo_status(&dot, &first_token).await, 200);

    // Rotation: every refresh returns a new refresh token; reusing an old one would revoke the
    // whole family (REFRESH_TOKEN_REUSE_PROTECTION), so three refreshes in a row only work if
    // the engine always uses the newest.
    let mut last = first_token.clone();
    for _ in 0..3 {
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
    assert_eq!(
        t.engine.view(&conn("alice")).unwrap().status,
        Status::Active
    );
    assert_eq!(userinfo_status(&dot, &last).await, 200);

    // Logout revokes the refresh token, and with it its access token, at the server.
    t.engine.logins().logout(&conn("alice")).await.unwrap();
    assert_eq!(
        userinfo_status(&dot, &last).await,
        401,
        "revoked at the server"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registered_localhost_redirect_uri_is_used_exactly() {
    let Some(dot) = DotServer::start().await else {
        return;
    };
    let (t, browser) = engine_with_browser();
    let uri = format!("http://localhost:{}/oauth/cb", dot.redirect_port);
    let fields = [
        ("issuer", dot.issuer.as_str()),
        ("client_id", dot::NATIVE_CLIENT),
        ("scope", "openid read"),
        ("redirect_uri", uri.as_str()),
    ];
    t.add("alice", ProviderKind::Oauth2, &fields).await;
    let url = start_browser_login(&t).await;
    assert_eq!(query(&url, "redirect_uri").as_deref(), Some(uri.as_str()));
    assert!(query(&url, "nonce").is_some(), "a nonce with openid");
    let view = t.engine.logins().finish(&conn("alice")).await.unwrap();
    assert_eq!(view.status, Status::Active, "{:?}", view.last_error);
    assert!(
        browser.landed()[0].starts_with(&format!("{uri}?")),
        "the server sent the browser to the registered URI: {:?}",
        browser.landed()
    );
    assert!(
        view.identity.is_some(),
        "the ID token and userinfo name the account"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_login_sends_a_fresh_nonce() {
    let Some(dot) = DotServer::start().await else {
        return;
    };
    let t = TestEngine::new();
    native(&t, &dot, &[]).await;
    let mut nonces = Vec::new();
    for _ in 0..2 {
        // Out of band: no listener on the registered port is needed to read the URL.
        let step = t
            .engine
            .logins()
            .start(
                &conn("alice"),
                LoginRequest {
                    redirect: Some(RedirectMode::Oob),
                    ..LoginRequest::default()
                },
            )
            .await
            .unwrap();
        let LoginStep::Waiting(start) = step else {
            panic!("a browser login waits")
        };
        let LoginPrompt::Browser { url, .. } = start.prompt else {
            panic!("a browser prompt")
        };
        nonces.push(query(&url, "nonce").expect("a nonce with scope=openid"));
        assert!(t.engine.logins().cancel(&conn("alice")));
        assert!(t.engine.logins().finish(&conn("alice")).await.is_err());
    }
    assert_ne!(nonces[0], nonces[1]);
}

#[tokio::test]
async fn client_credentials_with_a_confidential_client() {
    let Some(dot) = DotServer::start().await else {
        return;
    };
    let t = TestEngine::new();
    for (name, auth) in [("basic", None), ("post", Some("post"))] {
        let mut fields = vec![
            ("issuer", dot.issuer.as_str()),
            ("grant", "client_credentials"),
            ("client_id", dot::SERVICE_CLIENT),
            ("client_secret", dot::SERVICE_SECRET),
        ];
        if let Some(auth) = auth {
            fields.push(("client_auth", auth));
        }
        t.add(name, ProviderKind::Oauth2, &fields).await;
        let out = t
            .engine
            .token(&conn(name), Freshness::NotDue)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!out.token.expose().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_device_flow_with_a_public_client() {
    let Some(dot) = DotServer::start().await else {
        return;
    };
    let t = TestEngine::with_options(|o| o.login_timeout = std::time::Duration::from_secs(60));
    let device_url = format!("{}/o/device-authorization/", dot.base);
    t.add(
        "tv",
        ProviderKind::Oauth2,
        &[
            ("issuer", &dot.issuer),
            ("grant", "device_code"),
            ("client_id", dot::DEVICE_CLIENT),
            ("scope", "read"),
            ("device_url", &device_url),
        ],
    )
    .await;
    let LoginStep::Waiting(start) = t
        .engine
        .logins()
        .start(&conn("tv"), LoginRequest::default())
        .await
        .unwrap()
    else {
        panic!("a device login waits")
    };
    let LoginPrompt::Device {
        user_code,
        verification_uri_complete,
        ..
    } = start.prompt
    else {
        panic!("a device prompt")
    };
    assert!(!user_code.is_empty());
    let approve = verification_uri_complete.expect("the toolkit sends the complete URI");
    let browser = FakeBrowser::new(dot::USERNAME, dot::PASSWORD);
    let approving = tokio::spawn(async move { browser.sign_in(&approve).await });
    let view = t.engine.logins().finish(&conn("tv")).await.unwrap();
    assert_eq!(view.status, Status::Active, "{:?}", view.last_error);
    approving.await.unwrap().unwrap();
}

/// A token endpoint in the middle: forwards to the server's, and hands back the answer with
/// its `id_token` changed by `tamper` (the first answer's `id_token` is kept for replays).
struct Middle {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

async fn middle(
    dot: &DotServer,
    tamper: impl Fn(&str, &[String]) -> String + Send + Sync + 'static,
) -> Middle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let target = format!("{}/o/token/", dot.base);
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let (kept, tamper) = (seen.clone(), Arc::new(tamper));
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap, body: String| {
        let (target, kept, tamper) = (target.clone(), kept.clone(), tamper.clone());
        async move {
            let mut req = client()
                .post(target)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
            if let Some(auth) = headers.get("authorization") {
                req = req.header("authorization", auth.to_str().unwrap());
            }
            let mut answer: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
            if let Some(id) = answer["id_token"].as_str().map(str::to_owned) {
                let before = kept.lock().unwrap().clone();
                answer["id_token"] = tamper(&id, &before).into();
                kept.lock().unwrap().push(id);
            }
            axum::Json(answer)
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Middle {
        url: format!("http://{addr}/token"),
        seen,
    }
}

fn id_token_check(e: &Error) -> Option<IdTokenCheck> {
    match e {
        Error::Provider {
            source: ProviderError::IdToken { check, .. },
            ..
        } => Some(*check),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_or_replayed_id_token_is_refused_and_nothing_is_stored() {
    let Some(dot) = DotServer::start().await else {
        return;
    };
    // The payload changed under the server's signature.
    let forged = middle(&dot, |id, _| {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let parts: Vec<&str> = id.split('.').collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        claims["sub"] = "admin".into();
        let payload = b64.encode(serde_json::to_vec(&claims).unwrap());
        format!("{}.{payload}.{}", parts[0], parts[2])
    })
    .await;
    let (t, _browser) = engine_with_browser();
    native(&t, &dot, &[("token_url", &forged.url)]).await;
    start_browser_login(&t).await;
    let e = t.engine.logins().finish(&conn("alice")).await.unwrap_err();
    assert_eq!(id_token_check(&e), Some(IdTokenCheck::Signature), "{e}");
    assert!(e.to_string().contains("signature"), "{e}");
    assert_ne!(
        t.engine.view(&conn("alice")).unwrap().status,
        Status::Active
    );
    assert!(
        !forged.seen.lock().unwrap().is_empty(),
        "the server answered with an id_token"
    );

    // A genuine ID token of an earlier login, replayed into a later one: its nonce differs.
    let replay = middle(&dot, |id, before| {
        before.first().cloned().unwrap_or_else(|| id.to_owned())
    })
    .await;
    let (t, _browser) = engine_with_browser();
    native(&t, &dot, &[("token_url", &replay.url)]).await;
    start_browser_login(&t).await;
    let view = t.engine.logins().finish(&conn("alice")).await.unwrap();
    assert_eq!(view.status, Status::Active, "the first login is genuine");
    start_browser_login(&t).await;
    let e = t.engine.logins().finish(&conn("alice")).await.unwrap_err();
    assert_eq!(id_token_check(&e), Some(IdTokenCheck::Nonce), "{e}");
}
