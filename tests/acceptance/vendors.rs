//! The vendor kinds against the sandbox's faithful ArcGIS portal and uuIdentity: each test
//! names the protocols.md quirk it covers.

use std::sync::Arc;
use tokentray_engine::Freshness;
use tokentray_engine::testing::conn;

use tokentray_acceptance::TestEngine;
use tokentray_acceptance::browser::FakeBrowser;
use tokentray_engine::{
    ErrorCode, LoginPrompt, LoginRequest, LoginStep, ProviderKind, RedirectMode, Status, jwt_claims,
};
use tokentray_sandbox::{Endpoint, Provider, Sandbox};

fn portal(sb: &Sandbox) -> String {
    sb.issuer(Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

fn records(sb: &Sandbox, endpoint: Endpoint) -> Vec<tokentray_sandbox::RequestRecord> {
    sb.requests()
        .into_iter()
        .filter(|r| r.endpoint == endpoint)
        .collect()
}

#[tokio::test]
async fn arcgis_generate_token_posts_f_json_and_reads_epoch_milliseconds() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    t.add(
        "agol",
        ProviderKind::ArcgisToken,
        &[
            ("portal_url", &portal(&sb)),
            ("username", "gis-analyst"),
            ("password", "contours"),
        ],
    )
    .await;
    let out = t
        .engine
        .token(&conn("agol"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(
        out.header_name, "X-Esri-Authorization",
        "ArcGIS's own header by default"
    );
    assert!(out.header_value.expose().starts_with("Bearer "));
    let rec = &records(&sb, Endpoint::ArcgisGenerateToken)[0];
    assert_eq!(
        rec.format.as_deref(),
        Some("json"),
        "quirk 3: f=json always"
    );
    assert_eq!(
        rec.client_mode.as_deref(),
        Some("requestip"),
        "no referer: client=requestip"
    );
    assert!(
        !rec.referer_header,
        "quirk 5: a requestip token never leaks a Referer"
    );
    let left = out.expires_at.unwrap().since(t.clock_now());
    assert!(
        left.as_secs() > 3000 && left.as_secs() <= 3600,
        "quirk 4: 60 minutes from epoch ms, got {left:?}"
    );
    let view = t.engine.view(&conn("agol")).unwrap();
    assert_eq!(
        view.identity.unwrap().subject,
        "gis-analyst",
        "whoami from community/self"
    );
}

#[tokio::test]
async fn arcgis_bad_password_arrives_as_http_200_and_is_never_retried() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    t.add(
        "agol",
        ProviderKind::ArcgisToken,
        &[
            ("portal_url", &portal(&sb)),
            ("username", "gis-analyst"),
            ("password", "wrong"),
        ],
    )
    .await;
    let err = t
        .engine
        .token(&conn("agol"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NeedsLogin, "quirks 1 and 16: {err}");
    assert!(
        err.to_string().contains("Invalid username or password"),
        "{err}"
    );
    assert_eq!(
        t.engine.view(&conn("agol")).unwrap().status,
        Status::NeedsLogin
    );
    assert_eq!(sb.count(Endpoint::ArcgisGenerateToken), 1);
}

#[tokio::test]
async fn arcgis_referer_bound_tokens_send_the_referer_on_every_call() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    t.add(
        "bound",
        ProviderKind::ArcgisToken,
        &[
            ("portal_url", &portal(&sb)),
            ("username", "gis-analyst"),
            ("password", "contours"),
            ("referer", "https://app.example.org"),
        ],
    )
    .await;
    t.engine
        .token(&conn("bound"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(
        records(&sb, Endpoint::ArcgisGenerateToken)[0]
            .client_mode
            .as_deref(),
        Some("referer")
    );
    let whoami = t
        .engine
        .inspect()
        .whoami(&conn("bound"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        whoami.subject, "gis-analyst",
        "quirk 5: community/self accepted the bound token with its Referer"
    );
    assert!(
        records(&sb, Endpoint::ArcgisSelf)
            .iter()
            .all(|r| r.referer_header)
    );
}

#[tokio::test]
async fn arcgis_standalone_server_token_url() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let url = format!("{}/tokens/generateToken", portal(&sb));
    t.add(
        "server",
        ProviderKind::ArcgisToken,
        &[
            ("token_url", &url),
            ("portal_url", &portal(&sb)),
            ("username", "gis-viewer"),
            ("password", "basemap"),
        ],
    )
    .await;
    t.engine
        .token(&conn("server"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(sb.count(Endpoint::ArcgisServerToken), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn arcgis_oauth_user_login_through_loopback_then_refresh_keeps_the_refresh_token() {
    let sb = Sandbox::start().await.unwrap();
    let b = FakeBrowser::new("gis-analyst", "contours");
    let t = TestEngine::with_options(move |o| o.browser = Arc::new(b));
    t.add(
        "portal",
        ProviderKind::ArcgisOauth,
        &[("portal_url", &portal(&sb)), ("client_id", "tt-arcgis-app")],
    )
    .await;
    let step = t
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
        .unwrap();
    assert!(matches!(step, LoginStep::Waiting(_)));
    let view = t.engine.logins().finish(&conn("portal")).await.unwrap();
    assert_eq!(view.status, Status::Active);
    assert_eq!(
        view.identity.map(|i| i.subject).as_deref(),
        Some("gis-analyst")
    );
    assert!(
        records(&sb, Endpoint::ArcgisAuthorize)
            .iter()
            .any(|r| r.pkce),
        "PKCE where the portal allows it"
    );
    // A plain refresh returns no refresh token (quirk 6); the old one must keep working.
    for _ in 0..3 {
        t.jump(1800);
        t.engine
            .token(&conn("portal"), Freshness::NotDue)
            .await
            .unwrap();
    }
    assert_eq!(sb.grant_count("refresh_token"), 3);
    assert_eq!(
        sb.grant_count("exchange_refresh_token"),
        0,
        "two weeks left: no exchange yet"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn arcgis_oauth_exchanges_the_refresh_token_before_it_dies() {
    let sb = Sandbox::start().await.unwrap();
    let b = FakeBrowser::new("gis-analyst", "contours");
    let t = TestEngine::with_options(move |o| o.browser = Arc::new(b));
    t.add(
        "portal",
        ProviderKind::ArcgisOauth,
        &[("portal_url", &portal(&sb)), ("client_id", "tt-arcgis-app")],
    )
    .await;
    t.engine
        .logins()
        .start(
            &conn("portal"),
            LoginRequest {
                open_browser: true,
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap();
    t.engine.logins().finish(&conn("portal")).await.unwrap();
    // 13.5 days later less than a day of the two-week refresh token remains.
    let day = 86_400;
    sb.advance_clock(std::time::Duration::from_secs(13 * day + day / 2));
    t.jump(13 * day + day / 2);
    let fresh = t
        .engine
        .token(&conn("portal"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(
        sb.grant_count("exchange_refresh_token"),
        1,
        "quirk 6: exchanged ahead of expiry"
    );
    let exchange = records(&sb, Endpoint::ArcgisOAuthToken)
        .into_iter()
        .find(|r| r.grant_type.as_deref() == Some("exchange_refresh_token"))
        .unwrap();
    assert!(
        exchange.redirect_uri.is_some(),
        "exchange_refresh_token needs the redirect_uri"
    );
    // The new pair works: the next refresh uses the new refresh token.
    t.jump(1800);
    let again = t
        .engine
        .token(&conn("portal"), Freshness::NotDue)
        .await
        .unwrap();
    assert_ne!(again.token.expose(), fresh.token.expose());
    assert_eq!(
        t.engine.view(&conn("portal")).unwrap().status,
        Status::Active
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn arcgis_oauth_out_of_band_code_is_pasted() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    t.add(
        "oob",
        ProviderKind::ArcgisOauth,
        &[
            ("portal_url", &portal(&sb)),
            ("client_id", "tt-arcgis-app"),
            ("redirect", "oob"),
        ],
    )
    .await;
    let step = t
        .engine
        .logins()
        .start(&conn("oob"), LoginRequest::default())
        .await
        .unwrap();
    let LoginStep::Waiting(start) = step else {
        panic!("oob waits for a paste")
    };
    let LoginPrompt::Browser {
        url,
        mode,
        redirect_uri,
    } = start.prompt
    else {
        panic!("a browser prompt")
    };
    assert_eq!(mode, RedirectMode::Oob);
    assert_eq!(redirect_uri, "urn:ietf:wg:oauth:2.0:oob", "quirk 8");
    let code = FakeBrowser::new("gis-analyst", "contours")
        .oob_code(&url)
        .await
        .unwrap();
    t.engine.logins().paste(&conn("oob"), &code).await.unwrap();
    assert_eq!(
        t.engine.logins().finish(&conn("oob")).await.unwrap().status,
        Status::Active
    );
}

#[tokio::test]
async fn arcgis_app_login_with_client_credentials_names_the_app_not_its_owner() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    t.add(
        "app",
        ProviderKind::ArcgisOauth,
        &[
            ("portal_url", &portal(&sb)),
            ("client_id", "tt-arcgis-cc"),
            ("client_secret", "tt-arcgis-cc-secret"),
            ("grant", "client_credentials"),
        ],
    )
    .await;
    t.engine
        .token(&conn("app"), Freshness::NotDue)
        .await
        .unwrap();
    let id = t
        .engine
        .inspect()
        .whoami(&conn("app"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        id.subject, "tt-arcgis-cc",
        "quirk 12: the app id from portals/self appInfo"
    );
    t.add(
        "badapp",
        ProviderKind::ArcgisOauth,
        &[
            ("portal_url", &portal(&sb)),
            ("client_id", "tt-arcgis-cc"),
            ("client_secret", "nope"),
            ("grant", "client_credentials"),
        ],
    )
    .await;
    let err = t
        .engine
        .token(&conn("badapp"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        ErrorCode::InvalidConfig,
        "quirk 2: the nested invalid client_secret error: {err}"
    );
}

#[tokio::test]
async fn itk_posts_json_and_hands_out_the_id_token() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let auth = sb.issuer(Provider::Itk).to_string();
    let without_slash = auth.trim_end_matches('/');
    t.add(
        "itk",
        ProviderKind::Itkpd,
        &[
            ("auth_url", without_slash),
            ("api_url", sb.itk_api_url().as_str()),
            ("access_code1", "jane-code-1"),
            ("access_code2", "jane-code-2"),
        ],
    )
    .await;
    let out = t
        .engine
        .token(&conn("itk"), Freshness::NotDue)
        .await
        .unwrap();
    assert!(
        !out.token.expose().starts_with("at."),
        "quirk 18: the id_token is the bearer"
    );
    let claims = jwt_claims(out.token.expose()).unwrap();
    assert_eq!(
        out.expires_at.map(tokentray_engine::Timestamp::as_secs),
        claims["exp"].as_i64(),
        "quirk 21: expiry from exp"
    );
    let rec = &records(&sb, Endpoint::ItkGrantToken)[0];
    assert!(
        rec.content_type
            .as_deref()
            .is_some_and(|c| c.contains("json")),
        "quirk 19: a JSON body"
    );
    assert_eq!(
        sb.count(Endpoint::ItkGrantToken),
        1,
        "quirk 22: the URL without a trailing slash still reached grantToken"
    );
    let view = t.engine.view(&conn("itk")).unwrap();
    let id = view.identity.unwrap();
    assert_eq!(
        (id.subject.as_str(), id.name.as_deref()),
        ("1-2345-1", Some("Jane Example"))
    );
    // The ITk API accepts it (it refuses the opaque access token).
    let api = format!("{}itk/api/getUser", sb.url());
    let resp = reqwest::Client::builder()
        .build()
        .unwrap()
        .get(api)
        .header("Authorization", out.header_value.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn itk_wrong_codes_are_a_login_problem_and_empty_codes_a_setting_problem() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let auth = sb.issuer(Provider::Itk).to_string();
    t.add(
        "bad",
        ProviderKind::Itkpd,
        &[
            ("auth_url", &auth),
            ("api_url", sb.itk_api_url().as_str()),
            ("access_code1", "jane-code-1"),
            ("access_code2", "wrong"),
        ],
    )
    .await;
    let err = t
        .engine
        .token(&conn("bad"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        ErrorCode::NeedsLogin,
        "quirk 20: 401 identityNotAuthenticated: {err}"
    );
    assert!(err.to_string().contains("access codes"), "{err}");
}

#[tokio::test]
async fn itk_renews_by_posting_the_codes_again_before_exp() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let auth = sb.issuer(Provider::Itk).to_string();
    t.add(
        "itk",
        ProviderKind::Itkpd,
        &[
            ("auth_url", &auth),
            ("api_url", sb.itk_api_url().as_str()),
            ("access_code1", "jane-code-1"),
            ("access_code2", "jane-code-2"),
        ],
    )
    .await;
    t.engine
        .token(&conn("itk"), Freshness::NotDue)
        .await
        .unwrap();
    t.jump(1600);
    t.engine
        .token(&conn("itk"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(
        sb.count(Endpoint::ItkGrantToken),
        2,
        "no refresh token: the codes are posted again inside the margin"
    );
}

/// The fault matrix's clock skew: this machine five minutes ahead of or behind the provider.
/// Absolute expiries (ArcGIS `expires`, the `id_token`'s `exp`) are measured on the service's own
/// clock (its `Date` header, the token's `iat`), so the full lifetime counts from receipt.
#[tokio::test]
async fn a_clock_five_minutes_off_does_not_shorten_or_stretch_tokens() {
    let sb = Sandbox::start().await.unwrap();
    for skew in [-300_000, 300_000] {
        let t = TestEngine::new();
        t.clock.set_skew(skew);
        t.add(
            "agol",
            ProviderKind::ArcgisToken,
            &[
                ("portal_url", &portal(&sb)),
                ("username", "gis-analyst"),
                ("password", "contours"),
            ],
        )
        .await;
        let itk = sb.issuer(Provider::Itk).to_string();
        t.add(
            "itk",
            ProviderKind::Itkpd,
            &[
                ("auth_url", &itk),
                ("api_url", sb.itk_api_url().as_str()),
                ("access_code1", "jane-code-1"),
                ("access_code2", "jane-code-2"),
            ],
        )
        .await;
        let url = format!("{}oauth/token", sb.url());
        t.add(
            "api",
            ProviderKind::Oauth2,
            &[
                ("token_url", &url),
                ("grant", "client_credentials"),
                ("client_id", "demo-cc"),
                ("client_secret", "demo-cc-secret"),
            ],
        )
        .await;
        for (name, lifetime) in [("agol", 3600), ("itk", 1800), ("api", 3600)] {
            let out = t
                .engine
                .token(&conn(name), Freshness::NotDue)
                .await
                .unwrap();
            let left = out.expires_at.unwrap().as_secs() - t.clock_now().as_secs();
            assert!(
                (lifetime - left).abs() <= 3,
                "{name} with skew {skew} ms: {left}s left of {lifetime}s"
            );
        }
    }
}
