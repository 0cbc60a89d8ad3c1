//! The vendor kinds, second round (issue 10): a token only ever reaches its own service (a
//! stand-alone ArcGIS Server's token never goes to a portal), ArcGIS OAuth's refresh-token
//! exchange when the portal does not say when the refresh token dies or the exchange fails,
//! importing an ArcGIS refresh token, and ITk's whoami through the API's `getUser`.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokentray_engine::Freshness;
use tokentray_engine::testing::conn;

use tokentray_acceptance::TestEngine;
use tokentray_acceptance::browser::FakeBrowser;
use tokentray_engine::{ErrorCode, LoginRequest, ProviderKind, Status};
use tokentray_sandbox::{ArcgisConfig, Endpoint, Provider, Sandbox, SandboxConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const DAY: u64 = 86_400;

fn portal(sb: &Sandbox) -> String {
    sb.issuer(Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

/// A listener on loopback that records every byte it receives and answers 404: it stands in
/// for a host that must never see a token.
struct Recorder {
    url: String,
    seen: Arc<Mutex<Vec<u8>>>,
    connections: Arc<Mutex<usize>>,
}

impl Recorder {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let (s, c) = (seen.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                *c.lock().unwrap() += 1;
                let s = s.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 65_536];
                    if let Ok(n) = sock.read(&mut buf).await {
                        s.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                    let _ = sock
                        .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                });
            }
        });
        Self {
            url,
            seen,
            connections,
        }
    }

    /// Fails the test if `token` (or anything at all) reached this host.
    fn assert_untouched(&self, token: &str) {
        let seen = String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned();
        assert!(
            !seen.contains(token),
            "the token reached a host that is not its service"
        );
        assert_eq!(
            *self.connections.lock().unwrap(),
            0,
            "nothing may be sent to a host that is not the token's service: {seen}"
        );
    }
}

#[tokio::test]
async fn a_standalone_server_token_is_never_sent_to_arcgis_online() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let url = format!("{}/tokens/generateToken", portal(&sb));
    t.add(
        "server",
        ProviderKind::ArcgisToken,
        &[
            ("token_url", &url),
            ("username", "gis-viewer"),
            ("password", "basemap"),
        ],
    )
    .await;
    t.engine
        .token(&conn("server"), Freshness::NotDue)
        .await
        .unwrap();
    let who = t
        .engine
        .inspect()
        .whoami(&conn("server"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        who.subject, "gis-viewer",
        "a Server's identity is the username"
    );
    assert_eq!(
        t.engine
            .view(&conn("server"))
            .unwrap()
            .identity
            .map(|i| i.subject)
            .as_deref(),
        Some("gis-viewer"),
        "the identity after login too"
    );
    assert_eq!(sb.count(Endpoint::ArcgisSelf), 0);
    assert_eq!(sb.count(Endpoint::ArcgisPortalSelf), 0);
}

#[tokio::test]
async fn a_standalone_server_token_never_reaches_the_configured_portal() {
    let sb = Sandbox::start().await.unwrap();
    let elsewhere = Recorder::start().await;
    let t = TestEngine::new();
    let url = format!("{}/tokens/generateToken", portal(&sb));
    t.add(
        "server",
        ProviderKind::ArcgisToken,
        &[
            ("token_url", &url),
            ("portal_url", &format!("{}/portal", elsewhere.url)),
            ("username", "gis-viewer"),
            ("password", "basemap"),
        ],
    )
    .await;
    let out = t
        .engine
        .token(&conn("server"), Freshness::NotDue)
        .await
        .unwrap();
    let who = t
        .engine
        .inspect()
        .whoami(&conn("server"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(who.subject, "gis-viewer");
    t.engine.logins().logout(&conn("server")).await.unwrap();
    elsewhere.assert_untouched(out.token.expose());
}

#[tokio::test]
async fn a_portal_token_url_asks_its_own_portal_who_it_is() {
    let sb = Sandbox::start().await.unwrap();
    let elsewhere = Recorder::start().await;
    let t = TestEngine::new();
    let url = format!("{}/sharing/rest/generateToken", portal(&sb));
    t.add(
        "enterprise",
        ProviderKind::ArcgisToken,
        &[
            ("token_url", &url),
            ("portal_url", &format!("{}/portal", elsewhere.url)),
            ("username", "gis-analyst"),
            ("password", "contours"),
        ],
    )
    .await;
    let out = t
        .engine
        .token(&conn("enterprise"), Freshness::NotDue)
        .await
        .unwrap();
    let who = t
        .engine
        .inspect()
        .whoami(&conn("enterprise"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (who.subject.as_str(), who.name.as_deref()),
        ("gis-analyst", Some("Gerda Mercator")),
        "community/self of the portal that issued the token"
    );
    assert!(sb.count(Endpoint::ArcgisSelf) >= 1);
    elsewhere.assert_untouched(out.token.expose());
}

/// Signs `gis-analyst` in to `tt-arcgis-app` through the loopback redirect.
async fn oauth_user(sb: &Sandbox) -> TestEngine {
    oauth_user_with(sb, &[]).await
}

/// [`oauth_user`] with more settings.
async fn oauth_user_with(sb: &Sandbox, more: &[(&str, &str)]) -> TestEngine {
    let b = FakeBrowser::new("gis-analyst", "contours");
    let t = TestEngine::with_options(move |o| o.browser = Arc::new(b));
    let portal = portal(sb);
    let mut fields = vec![
        ("portal_url", portal.as_str()),
        ("client_id", "tt-arcgis-app"),
    ];
    fields.extend_from_slice(more);
    t.add("portal", ProviderKind::ArcgisOauth, &fields).await;
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
    t
}

fn portal_without_refresh_end(refuse_exchange: bool) -> SandboxConfig {
    SandboxConfig::demo().arcgis(
        ArcgisConfig::demo()
            .omit_refresh_token_expires_in(true)
            .refuse_exchange(refuse_exchange),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn arcgis_oauth_exchanges_two_weeks_after_login_when_the_portal_does_not_say() {
    let sb = Sandbox::start_with(portal_without_refresh_end(false))
        .await
        .unwrap();
    let t = oauth_user(&sb).await;
    let view = t.engine.view(&conn("portal")).unwrap();
    let end = view.refresh_expires_at.expect("an assumed end is shown");
    let left = end.since(t.clock_now()).as_secs();
    assert!(
        (14 * DAY - 60..=14 * DAY).contains(&left),
        "two weeks from the login, got {left} s"
    );
    // Twelve days on: a plain refresh.
    sb.advance_clock(Duration::from_secs(12 * DAY));
    t.jump(12 * DAY);
    t.engine
        .token(&conn("portal"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(sb.grant_count("exchange_refresh_token"), 0);
    // Thirteen and a half days on: less than a day left, so the exchange.
    sb.advance_clock(Duration::from_secs(DAY + DAY / 2));
    t.jump(DAY + DAY / 2);
    let fresh = t
        .engine
        .token(&conn("portal"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(sb.grant_count("exchange_refresh_token"), 1);
    let view = t.engine.view(&conn("portal")).unwrap();
    assert_eq!(view.status, Status::Active);
    assert!(
        view.refresh_expires_at.unwrap().since(t.clock_now()) > Duration::from_secs(13 * DAY),
        "the new refresh token's life counts from the exchange"
    );
    // Past the first refresh token's end the new one keeps working.
    sb.advance_clock(Duration::from_secs(2 * DAY));
    t.jump(2 * DAY);
    let later = t
        .engine
        .token(&conn("portal"), Freshness::NotDue)
        .await
        .unwrap();
    assert_ne!(later.token.expose(), fresh.token.expose());
    assert_eq!(sb.grant_count("exchange_refresh_token"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_asked_expiration_is_the_refresh_token_life_when_the_portal_does_not_say() {
    let sb = Sandbox::start_with(portal_without_refresh_end(false))
        .await
        .unwrap();
    // Two days (2880 minutes) asked at the login.
    let t = oauth_user_with(&sb, &[("expiration", "2880")]).await;
    let end = t
        .engine
        .view(&conn("portal"))
        .unwrap()
        .refresh_expires_at
        .unwrap();
    let left = end.since(t.clock_now()).as_secs();
    assert!(
        (2 * DAY - 60..=2 * DAY).contains(&left),
        "the asked two days, got {left} s"
    );
    sb.advance_clock(Duration::from_secs(DAY + DAY / 4));
    t.jump(DAY + DAY / 4);
    t.engine
        .token(&conn("portal"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(
        sb.grant_count("exchange_refresh_token"),
        1,
        "less than a day of the two asked for was left"
    );
    // Past the old token's end the new pair still works.
    sb.advance_clock(Duration::from_secs(DAY));
    t.jump(DAY);
    t.engine
        .token(&conn("portal"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(
        t.engine.view(&conn("portal")).unwrap().status,
        Status::Active
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_exchange_keeps_refreshing_with_the_old_refresh_token_and_says_so() {
    let sb = Sandbox::start_with(portal_without_refresh_end(true))
        .await
        .unwrap();
    let t = oauth_user(&sb).await;
    sb.advance_clock(Duration::from_secs(13 * DAY + DAY / 2));
    t.jump(13 * DAY + DAY / 2);
    let out = t
        .engine
        .token(&conn("portal"), Freshness::NotDue)
        .await
        .unwrap();
    assert!(!out.token.expose().is_empty());
    assert_eq!(sb.grant_count("exchange_refresh_token"), 1);
    let view = t.engine.view(&conn("portal")).unwrap();
    assert_eq!(view.status, Status::Active, "not needs_login");
    let note = view.last_error.expect("the failed exchange is reported");
    assert!(note.contains("could not be exchanged"), "{note}");
    let history = t.engine.inspect().history(&conn("portal")).unwrap();
    assert!(
        history
            .last()
            .and_then(|h| h.message.as_deref())
            .is_some_and(|m| m.contains("could not be exchanged")),
        "{history:?}"
    );
    // The next renewal tries the exchange again and still refreshes with the old token.
    sb.advance_clock(Duration::from_secs(1800));
    t.jump(1800);
    t.engine
        .token(&conn("portal"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(sb.grant_count("exchange_refresh_token"), 2);
    assert!(sb.grant_count("refresh_token") >= 2);
    assert_eq!(
        t.engine.view(&conn("portal")).unwrap().status,
        Status::Active
    );
}

#[tokio::test]
async fn an_arcgis_refresh_token_can_be_imported() {
    let sb = Sandbox::start().await.unwrap();
    let rt = sb
        .mint_refresh_token(Provider::Arcgis, "tt-arcgis-app", "gis-analyst")
        .unwrap();
    let t = TestEngine::new();
    t.add(
        "imported",
        ProviderKind::ArcgisOauth,
        &[
            ("portal_url", &portal(&sb)),
            ("client_id", "tt-arcgis-app"),
            ("grant", "refresh_token"),
            ("refresh_token", &rt),
        ],
    )
    .await;
    let out = t
        .engine
        .token(&conn("imported"), Freshness::NotDue)
        .await
        .unwrap();
    assert!(!out.token.expose().is_empty());
    assert_eq!(sb.grant_count("refresh_token"), 1);
    let view = t.engine.view(&conn("imported")).unwrap();
    assert_eq!(
        view.identity.map(|i| i.subject).as_deref(),
        Some("gis-analyst")
    );
    assert!(
        view.refresh_expires_at.is_some(),
        "its life is counted from the import"
    );
    assert!(
        t.engine
            .inspect()
            .logs_in_unattended(&conn("imported"))
            .unwrap()
    );
}

#[tokio::test]
async fn a_refresh_token_stored_with_the_browser_login_is_used_first() {
    let sb = Sandbox::start().await.unwrap();
    let rt = sb
        .mint_refresh_token(Provider::Arcgis, "tt-arcgis-app", "gis-analyst")
        .unwrap();
    let t = TestEngine::new();
    t.add(
        "portal",
        ProviderKind::ArcgisOauth,
        &[
            ("portal_url", &portal(&sb)),
            ("client_id", "tt-arcgis-app"),
            ("refresh_token", &rt),
        ],
    )
    .await;
    t.engine
        .token(&conn("portal"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(sb.grant_count("refresh_token"), 1);
    assert_eq!(sb.count(Endpoint::ArcgisAuthorize), 0, "no browser needed");
}

#[tokio::test]
async fn importing_without_a_refresh_token_is_refused() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let err = t
        .engine
        .manage()
        .add(
            &conn("imported"),
            ProviderKind::ArcgisOauth,
            &[
                ("portal_url".to_owned(), portal(&sb)),
                ("client_id".to_owned(), "tt-arcgis-app".to_owned()),
                ("grant".to_owned(), "refresh_token".to_owned()),
            ],
            tokentray_engine::Credentials::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    assert!(
        err.to_string()
            .contains("refresh_token: is required with these settings"),
        "{err}"
    );
    assert!(t.engine.view(&conn("imported")).is_err(), "nothing saved");
}

#[tokio::test]
async fn itk_whoami_asks_the_api_get_user() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    t.add(
        "itk",
        ProviderKind::Itkpd,
        &[
            ("auth_url", sb.issuer(Provider::Itk).as_str()),
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
    let before = sb.count(Endpoint::ItkApi);
    assert!(before >= 1, "the identity after login came from getUser");
    let who = t
        .engine
        .inspect()
        .whoami(&conn("itk"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (who.subject.as_str(), who.name.as_deref()),
        ("1-2345-1", Some("Jane Example"))
    );
    assert_eq!(sb.count(Endpoint::ItkApi), before + 1);
    assert!(!out.token.expose().starts_with("at."));
}

#[tokio::test]
async fn itk_whoami_falls_back_to_the_id_token_when_get_user_fails() {
    let sb = Sandbox::start().await.unwrap();
    let api = Recorder::start().await;
    let t = TestEngine::new();
    t.add(
        "itk",
        ProviderKind::Itkpd,
        &[
            ("auth_url", sb.issuer(Provider::Itk).as_str()),
            ("api_url", &format!("{}/api/", api.url)),
            ("access_code1", "jane-code-1"),
            ("access_code2", "jane-code-2"),
        ],
    )
    .await;
    t.engine
        .token(&conn("itk"), Freshness::NotDue)
        .await
        .unwrap();
    let who = t
        .engine
        .inspect()
        .whoami(&conn("itk"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(who.subject, "1-2345-1", "from the id_token's claims");
    assert!(
        String::from_utf8_lossy(&api.seen.lock().unwrap()).contains("GET /api/getUser"),
        "getUser was asked first"
    );
}
