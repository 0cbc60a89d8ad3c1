//! RFC 9207 against the real OpenID provider: oidc-provider advertises
//! `authorization_response_iss_parameter_supported` and sends `iss` with every authorization
//! response. A callback with the right `state` but a forged (or missing) `iss` is refused with a
//! plain message and the login waits on; the real callback then completes it.

use tokentray_acceptance::TestEngine;
use tokentray_acceptance::browser::FakeBrowser;
use tokentray_acceptance::oidc::OidcProvider;
use tokentray_engine::{LoginPrompt, LoginRequest, LoginStep, ProviderKind, RedirectMode, Status};

fn replace_iss(landed: &str, iss: Option<&str>) -> reqwest::Url {
    let mut url = reqwest::Url::parse(landed).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "iss")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut q = url.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if let Some(iss) = iss {
            q.append_pair("iss", iss);
        }
    }
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_iss_is_refused_and_the_real_callback_still_completes_the_login() {
    let Some(op) = OidcProvider::start(&[]).await else {
        return;
    };
    let t = TestEngine::new();
    t.add(
        "alice",
        ProviderKind::Oauth2,
        &[
            ("issuer", &op.issuer),
            ("grant", "authorization_code"),
            ("client_id", "tt-public"),
            ("client_auth", "none"),
            ("scope", "openid profile"),
        ],
    )
    .await;
    let step = t
        .engine
        .start_login(
            "alice",
            LoginRequest {
                redirect: Some(RedirectMode::Loopback),
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap();
    let LoginStep::Waiting(start) = step else {
        panic!("a browser login waits")
    };
    let LoginPrompt::Browser {
        url, redirect_uri, ..
    } = start.prompt
    else {
        panic!("a browser prompt")
    };
    let landed = FakeBrowser::new("alice", "wonderland")
        .stopping_at(&redirect_uri)
        .sign_in(&url)
        .await
        .unwrap();
    let real = reqwest::Url::parse(&landed).unwrap();
    assert_eq!(
        real.query_pairs()
            .find(|(k, _)| k == "iss")
            .map(|(_, v)| v.into_owned())
            .as_deref(),
        Some(op.issuer.as_str()),
        "oidc-provider sends iss: {landed}"
    );
    let http = reqwest::Client::builder().build().unwrap();
    for forged in [
        replace_iss(&landed, Some("https://evil.example")),
        replace_iss(&landed, Some(&format!("{}/", op.issuer))),
        replace_iss(&landed, None),
    ] {
        let pasted = t.engine.paste_login("alice", forged.as_str()).unwrap_err();
        assert!(
            pasted.to_string().contains("iss does not match"),
            "{pasted}"
        );
        let resp = http.get(forged.clone()).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{forged}");
        let body = resp.text().await.unwrap();
        assert!(
            body.contains("Wrong service") && body.contains("issuer does not match"),
            "a plain message: {body}"
        );
        assert!(!body.contains("evil"), "nothing of the request is echoed");
    }
    assert!(t.engine.login_pending("alice"), "the login waits on");
    let resp = http.get(real).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let view = t.engine.finish_login("alice").await.unwrap();
    assert_eq!(view.status, Status::Active);
    assert_eq!(view.identity.map(|i| i.subject).as_deref(), Some("alice"));
}
