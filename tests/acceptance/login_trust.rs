//! Logins that must not trust what they are handed.
//!
//! RFC 9207 against the real OpenID provider: oidc-provider advertises
//! `authorization_response_iss_parameter_supported` and sends `iss` with every authorization
//! response. A callback with the right `state` but a forged (or missing) `iss` is refused with a
//! plain message and the login waits on; the real callback then completes it.
//!
//! A runtime directory another local user made first (it may live in a shared place) is
//! refused: the page that opens the browser is never written there.

use tokentray_acceptance::TestEngine;
use tokentray_acceptance::browser::FakeBrowser;
use tokentray_acceptance::oidc::OidcProvider;
use tokentray_engine::testing::conn;
use tokentray_engine::testing::neighbour::Neighbour;
use tokentray_engine::{
    ErrorCode, LoginPrompt, LoginRequest, LoginStep, ProviderKind, RedirectMode, Status,
};
use tokentray_sandbox::{Provider, Sandbox};

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
    let (logins, name) = (t.engine.logins(), conn("alice"));
    let step = logins
        .start(
            &name,
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
        let pasted = logins.paste(&name, forged.as_str()).await.unwrap_err();
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
    assert!(logins.pending(&name), "the login waits on");
    let resp = http.get(real).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let view = logins.finish(&name).await.unwrap();
    assert_eq!(view.status, Status::Active);
    assert_eq!(view.identity.map(|i| i.subject).as_deref(), Some("alice"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runtime_directory_a_neighbour_made_first_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let Some(neighbour) = Neighbour::get() else {
        return;
    };
    let sb = Sandbox::start().await.unwrap();
    let b = FakeBrowser::new("gis-analyst", "contours");
    let t = TestEngine::with_options(move |o| o.browser = std::sync::Arc::new(b));
    t.add(
        "portal",
        ProviderKind::ArcgisOauth,
        &[
            (
                "portal_url",
                sb.issuer(Provider::Arcgis).as_str().trim_end_matches('/'),
            ),
            ("client_id", "tt-arcgis-app"),
        ],
    )
    .await;
    let (logins, name) = (t.engine.logins(), conn("portal"));
    // The home is a shared place for a moment; the neighbour makes the runtime directory first,
    // private to themselves.
    let run = t.engine.paths().runtime_dir.clone();
    let _ = std::fs::remove_dir_all(&run);
    std::fs::set_permissions(t.home.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let made = neighbour
        .python(
            "import os, sys; os.mkdir(sys.argv[1], 0o700); print('made')",
            &[run.to_str().unwrap()],
        )
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&made.stdout).trim(),
        "made",
        "{made:?}"
    );
    std::fs::set_permissions(t.home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();

    let err = logins
        .start(
            &name,
            LoginRequest {
                open_browser: true,
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
    let message = err.to_string();
    assert!(
        message.contains("is not private to you")
            && message.contains(&format!("belongs to uid {}", neighbour.uid)),
        "{message}"
    );
    assert_eq!(
        std::fs::read_dir(&run).unwrap().count(),
        0,
        "nothing was written in the neighbour's directory"
    );
    assert!(!logins.pending(&name), "no login waits");

    // Once the directory is gone, the login works.
    std::fs::remove_dir_all(&run).unwrap();
    logins
        .start(
            &name,
            LoginRequest {
                open_browser: true,
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap();
    let view = logins.finish(&name).await.unwrap();
    assert_eq!(view.status, Status::Active);
    assert_eq!(
        std::fs::metadata(&run).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

/// A browser that only writes down what it was asked to open.
#[derive(Clone, Default)]
struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl tokentray_engine::Browser for Recorder {
    fn open(&self, url: &str) -> Result<(), String> {
        self.0.lock().unwrap().push(url.to_owned());
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_browser_only_ever_gets_the_page_even_when_the_login_is_opened_again() {
    let sb = Sandbox::start().await.unwrap();
    let opened = Recorder::default();
    let o = opened.clone();
    let t = TestEngine::with_options(move |options| options.browser = std::sync::Arc::new(o));
    t.add(
        "portal",
        ProviderKind::ArcgisOauth,
        &[
            (
                "portal_url",
                sb.issuer(Provider::Arcgis).as_str().trim_end_matches('/'),
            ),
            ("client_id", "tt-arcgis-app"),
        ],
    )
    .await;
    let LoginStep::Waiting(start) = t
        .engine
        .logins()
        .start(
            &conn("portal"),
            LoginRequest {
                open_browser: true,
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap()
    else {
        panic!("a browser login waits")
    };
    assert!(start.browser_opened);
    let LoginPrompt::Browser { url, .. } = start.prompt else {
        panic!("a browser prompt")
    };
    // The person asks for the sign-in page again (the app's "open again").
    t.engine.logins().open_url(&url).unwrap();
    let seen = opened.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0], seen[1], "the same page both times");
    assert!(seen[0].starts_with("file://"), "{seen:?}");
    assert!(!seen[0].contains("state") && !seen[0].contains("code_challenge"));
    let page = reqwest::Url::parse(&seen[0])
        .unwrap()
        .to_file_path()
        .unwrap();
    assert!(page.exists());
    assert_eq!(
        tokentray_acceptance::browser::follow_page(&seen[0]).unwrap(),
        url,
        "the page forwards to the sign-in"
    );

    assert!(t.engine.logins().cancel(&conn("portal")));
    assert_eq!(
        t.engine
            .logins()
            .finish(&conn("portal"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Cancelled
    );
    assert!(!page.exists(), "the page goes with the login");
    // Anything else (documentation, a service's page) opens as it is.
    t.engine
        .logins()
        .open_url("https://docs.example/help")
        .unwrap();
    assert_eq!(
        opened.0.lock().unwrap().last().map(String::as_str),
        Some("https://docs.example/help")
    );
}
