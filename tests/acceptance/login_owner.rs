//! A login is held by its connection's owner, which keeps serving the connection while the
//! person signs in; removing the connection ends the login; deep links reach the login whose
//! `state` they carry, and one from another issuer is refused.

use std::time::Duration;

use tokentray_acceptance::TestEngine;
use tokentray_acceptance::browser::FakeBrowser;
use tokentray_acceptance::oidc::OidcProvider;
use tokentray_engine::testing::conn;
use tokentray_engine::{
    Edit, ErrorCode, Freshness, LoginPrompt, LoginRequest, LoginStep, ProviderKind, RedirectMode,
    Status,
};

/// How long a call may take before the test calls it stuck (a guard, not a measurement).
const STUCK: Duration = Duration::from_secs(60);

async fn public_client(t: &TestEngine, op: &OidcProvider) {
    t.add(
        "alice",
        ProviderKind::Oauth2,
        &[
            ("issuer", &op.issuer),
            ("grant", "authorization_code"),
            ("client_id", "tt-public"),
            ("client_auth", "none"),
            ("scope", "openid offline_access profile email"),
        ],
    )
    .await;
}

/// Starts a login of `alice` and returns its authorize URL and redirect URI.
async fn start(t: &TestEngine, redirect: Option<RedirectMode>) -> (String, String) {
    let request = LoginRequest {
        redirect,
        ..LoginRequest::default()
    };
    let step = t.engine.logins().start(&conn("alice"), request).await;
    match step.unwrap() {
        LoginStep::Waiting(start) => match start.prompt {
            LoginPrompt::Browser {
                url, redirect_uri, ..
            } => (url, redirect_uri),
            LoginPrompt::Device { .. } => panic!("a browser prompt"),
        },
        LoginStep::Done(_) => panic!("a browser login waits"),
    }
}

/// Signs in as a person would and pastes the address the browser was sent back to.
async fn sign_in_and_paste(t: &TestEngine, url: &str, redirect_uri: &str) {
    let landed = FakeBrowser::new("alice", "wonderland")
        .stopping_at(redirect_uri)
        .sign_in(url)
        .await
        .unwrap();
    t.engine
        .logins()
        .paste(&conn("alice"), &landed)
        .await
        .unwrap();
}

fn with_param(link: &str, key: &str, value: &str) -> String {
    let mut url = reqwest::Url::parse(link).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut q = url.query_pairs_mut();
    q.clear();
    for (k, v) in &pairs {
        q.append_pair(k, if k == key { value } else { v });
    }
    drop(q);
    url.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_connection_is_served_while_its_browser_login_waits() {
    let Some(op) = OidcProvider::start(&[]).await else {
        return;
    };
    let t = TestEngine::new();
    public_client(&t, &op).await;
    let (url, redirect_uri) = start(&t, None).await;
    sign_in_and_paste(&t, &url, &redirect_uri).await;
    t.engine.logins().finish(&conn("alice")).await.unwrap();

    // A second login waits for the person, with someone waiting for it to finish.
    let (url, redirect_uri) = start(&t, None).await;
    let engine = t.engine.clone();
    let finishing = tokio::spawn(async move { engine.logins().finish(&conn("alice")).await });
    assert!(t.engine.logins().pending(&conn("alice")));

    // Meanwhile the owner renews on request and when the token is due.
    let refreshed = tokio::time::timeout(STUCK, t.engine.refresh(&conn("alice")))
        .await
        .expect("a refresh is answered while the login waits")
        .unwrap();
    assert_eq!(refreshed.view.status, Status::Active);
    t.jump(3600);
    let before = refreshed.view.last_refresh;
    let token = tokio::time::timeout(STUCK, t.engine.token(&conn("alice"), Freshness::NotDue))
        .await
        .expect("a token is answered while the login waits")
        .unwrap();
    assert!(!token.token.expose().is_empty());
    let view = t.engine.view(&conn("alice")).unwrap();
    assert!(view.last_refresh > before, "the due token was renewed");
    assert!(
        t.engine.logins().pending(&conn("alice")),
        "the login waits on"
    );
    assert!(!finishing.is_finished());

    // And the login still finishes.
    sign_in_and_paste(&t, &url, &redirect_uri).await;
    let view = finishing.await.unwrap().unwrap();
    assert_eq!(view.status, Status::Active);
    assert!(!t.engine.logins().pending(&conn("alice")));
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_a_connection_ends_its_waiting_login() {
    let Some(op) = OidcProvider::start(&[]).await else {
        return;
    };
    let t = TestEngine::new();
    public_client(&t, &op).await;
    let (_, redirect_uri) = start(&t, None).await;
    let (logins, alice) = (t.engine.logins(), conn("alice"));
    let finishing = logins.finish(&alice);
    tokio::pin!(finishing);
    // Polled once, so its request is with the owner before the removal.
    tokio::select! {
        biased;
        early = &mut finishing => panic!("the login ended early: {early:?}"),
        () = std::future::ready(()) => {}
    }
    t.engine.manage().remove(&conn("alice")).await.unwrap();
    let err = finishing.await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled, "{err}");
    assert!(!t.engine.logins().pending(&conn("alice")));
    let callback = reqwest::Client::builder()
        .build()
        .unwrap()
        .get(format!("{redirect_uri}?code=c&state=s"))
        .send()
        .await;
    assert!(callback.is_err(), "nobody listens for the removed login");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deep_link_reaches_its_login_and_one_from_another_issuer_is_refused() {
    let Some(op) = OidcProvider::start(&[]).await else {
        return;
    };
    let t = TestEngine::new();
    public_client(&t, &op).await;
    let (url, redirect_uri) = start(&t, Some(RedirectMode::DeepLink)).await;
    assert_eq!(redirect_uri, "tokentray://oauth/callback");
    let link = FakeBrowser::new("alice", "wonderland")
        .stopping_at(&redirect_uri)
        .sign_in(&url)
        .await
        .unwrap();
    assert!(link.contains("iss="), "oidc-provider sends iss: {link}");
    let logins = t.engine.logins();
    assert!(
        !logins
            .deliver_redirect("tokentray://oauth/other?code=c")
            .await
    );
    let foreign = with_param(&link, "state", "another-login");
    assert!(!logins.deliver_redirect(&foreign).await, "no login has it");
    let forged = with_param(&link, "iss", "https://evil.example");
    assert!(!logins.deliver_redirect(&forged).await, "another issuer");
    assert!(logins.pending(&conn("alice")), "the login waits on");
    assert!(logins.deliver_redirect(&link).await);
    let view = logins.finish(&conn("alice")).await.unwrap();
    assert_eq!(view.status, Status::Active);
    assert!(
        !logins.deliver_redirect(&link).await,
        "a link is taken once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cosmetic_edit_leaves_a_waiting_login_and_a_material_one_ends_it() {
    let Some(op) = OidcProvider::start(&[]).await else {
        return;
    };
    let t = TestEngine::new();
    public_client(&t, &op).await;
    let (url, redirect_uri) = start(&t, None).await;
    let edit = |field: &str, value: &str| Edit {
        set: vec![(field.into(), value.into())],
        ..Edit::default()
    };
    let manage = t.engine.manage();
    manage
        .edit(&conn("alice"), edit("label", "Alice"))
        .await
        .unwrap();
    assert!(
        t.engine.logins().pending(&conn("alice")),
        "a label changes nothing"
    );
    sign_in_and_paste(&t, &url, &redirect_uri).await;
    let view = t.engine.logins().finish(&conn("alice")).await.unwrap();
    assert_eq!(
        (view.status, view.label.as_str()),
        (Status::Active, "Alice")
    );

    start(&t, None).await;
    manage
        .edit(&conn("alice"), edit("scope", "openid"))
        .await
        .unwrap();
    assert!(!t.engine.logins().pending(&conn("alice")));
    let err = t.engine.logins().finish(&conn("alice")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled, "{err}");
}
