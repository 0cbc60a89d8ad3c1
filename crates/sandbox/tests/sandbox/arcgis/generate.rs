//! `generateToken` at the portal and at a stand-alone server (protocols.md §1.2–1.4; quirks 1,
//! 3, 4, 5).

use reqwest::StatusCode;
use tokentray_sandbox::{ArcgisConfig, Endpoint, Fault, Sandbox, SandboxConfig};

use super::{FIXED_MS, community_self, fixed_time_sandbox, generate, get, portal_url, post};
use crate::support::start;

#[tokio::test]
async fn a_token_comes_with_an_absolute_expiry_in_epoch_milliseconds_quirk_4() {
    let sandbox = fixed_time_sandbox().await;
    let reply = generate(&sandbox, &[]).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type.starts_with("application/json"));
    assert_eq!(reply.keys(), ["token", "expires", "ssl"]);
    assert_eq!(
        reply.json["expires"].as_u64(),
        Some(FIXED_MS + 60 * 60_000),
        "60 minutes unless asked, absolute, in milliseconds"
    );
    assert!(reply.json["expires"].as_u64().unwrap() > 100_000_000_000);
    assert_eq!(reply.json["ssl"], true);
    assert!(
        reply.str("token").ends_with('.'),
        "shaped like the real ones"
    );
}

#[tokio::test]
async fn asking_for_more_than_the_maximum_silently_gets_the_maximum() {
    let sandbox = fixed_time_sandbox().await;
    let asked = generate(&sandbox, &[("expiration", "90")]).await;
    assert_eq!(asked.json["expires"].as_u64(), Some(FIXED_MS + 90 * 60_000));

    let greedy = generate(&sandbox, &[("expiration", "999999")]).await;
    assert_eq!(
        greedy.json["expires"].as_u64(),
        Some(FIXED_MS + 20_160 * 60_000),
        "capped at 20160 minutes, without an error"
    );
    assert!(greedy.json.get("error").is_none());
}

#[tokio::test]
async fn the_maximum_is_configurable() {
    let config = SandboxConfig::demo().arcgis(ArcgisConfig::demo().max_expiration_minutes(120));
    let sandbox = start(config).await;
    let before = tokentray_sandbox_millis(&sandbox);
    let reply = generate(&sandbox, &[("expiration", "600")]).await;
    let expires = reply.json["expires"].as_u64().unwrap();
    assert!(expires >= before + 120 * 60_000 && expires < before + 121 * 60_000);
}

fn tokentray_sandbox_millis(sandbox: &Sandbox) -> u64 {
    let since = sandbox.now().duration_since(std::time::UNIX_EPOCH).unwrap();
    u64::try_from(since.as_millis()).unwrap()
}

#[tokio::test]
async fn wrong_credentials_are_an_http_200_error_envelope_quirk_1() {
    let sandbox = Sandbox::start().await.unwrap();
    let reply = generate(&sandbox, &[("password", "wrong")]).await;
    let reply_for_unknown = post(
        &portal_url(&sandbox, "sharing/rest/generateToken"),
        &[("f", "json"), ("username", "nobody"), ("password", "x")],
        &[],
    )
    .await;

    let expected = r#"{"error":{"code":400,"message":"Unable to generate token.","details":["Invalid username or password."],"messageCode":"GWM_0003"}}"#;
    assert_eq!(reply.status, StatusCode::OK, "errors come with HTTP 200");
    assert_eq!(reply.text, expected);
    assert_eq!(reply_for_unknown.text, expected);
}

#[tokio::test]
async fn without_f_json_the_answer_is_the_html_page_quirk_3() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = portal_url(&sandbox, "sharing/rest/generateToken");
    let reply = post(
        &url,
        &[("username", "gis-analyst"), ("password", "contours")],
        &[],
    )
    .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.is_html(), "{}", reply.content_type);
    assert!(
        reply
            .text
            .contains("<title>ArcGIS REST Services Directory: Generate Token</title>")
    );
    assert!(reply.text.contains("<textarea name=\"token\">"));
    assert_eq!(reply.json, serde_json::Value::Null, "not JSON at all");
    assert_eq!(sandbox.requests()[0].format, None, "the log saw no f");

    let html_f = post(&url, &[("f", "html"), ("username", "x")], &[]).await;
    assert!(html_f.is_html(), "f=html is HTML too");
}

#[tokio::test]
async fn a_get_or_a_password_in_the_url_is_refused() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = portal_url(&sandbox, "sharing/rest/generateToken");
    let expected = r#"{"error":{"code":405,"message":"Method not supported","details":"Generate Token request should not contain username and password in the query string."}}"#;

    let by_get = get(
        &format!("{url}?f=json&username=gis-analyst&password=contours"),
        &[],
    )
    .await;
    assert_eq!(by_get.status, StatusCode::OK);
    assert_eq!(by_get.text, expected);

    let in_query = post(
        &format!("{url}?username=gis-analyst&password=contours"),
        &[("f", "json")],
        &[],
    )
    .await;
    assert_eq!(in_query.text, expected);
    assert!(sandbox.requests()[1].credentials_in_query);
}

#[tokio::test]
async fn client_referer_needs_a_referer_and_client_ip_an_ip() {
    let sandbox = Sandbox::start().await.unwrap();
    let no_referer = generate(&sandbox, &[("client", "referer")]).await;
    assert_eq!(
        no_referer.text,
        r#"{"error":{"code":400,"message":"Unable to generate token.","details":["'referer' must be specified."]}}"#
    );
    let no_ip = generate(&sandbox, &[("client", "ip")]).await;
    assert_eq!(no_ip.error_code(), Some(400));
    let with_ip = generate(&sandbox, &[("client", "ip"), ("ip", "127.0.0.1")]).await;
    assert!(with_ip.json["token"].is_string());
}

#[tokio::test]
async fn a_referer_bound_token_works_only_with_that_referer_quirk_5() {
    let sandbox = Sandbox::start().await.unwrap();
    let referer = "https://app.example.org";
    let reply = generate(&sandbox, &[("client", "referer"), ("referer", referer)]).await;
    let token = reply.str("token");
    let url = portal_url(&sandbox, "sharing/rest/community/self?f=json");
    let bearer = format!("Bearer {token}");

    let bound = get(
        &url,
        &[("x-esri-authorization", &bearer), ("referer", referer)],
    )
    .await;
    assert_eq!(bound.json["username"], "gis-analyst", "{}", bound.text);
    let missing = community_self(&sandbox, &token).await;
    assert_eq!(missing.error_code(), Some(498));
    let other = get(
        &url,
        &[
            ("x-esri-authorization", &bearer),
            ("referer", "https://evil.example"),
        ],
    )
    .await;
    assert_eq!(other.error_code(), Some(498));
}

#[tokio::test]
async fn the_log_records_f_client_mode_and_referer_but_never_the_password() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = portal_url(&sandbox, "sharing/rest/generateToken");
    let form = [
        ("f", "json"),
        ("username", "gis-analyst"),
        ("password", "contours"),
        ("client", "referer"),
        ("referer", "https://app.example.org"),
    ];
    post(&url, &form, &[("referer", "https://app.example.org")]).await;
    generate(&sandbox, &[]).await;

    let records = sandbox.requests();
    assert_eq!(records[0].endpoint, Endpoint::ArcgisGenerateToken);
    assert_eq!(records[0].format.as_deref(), Some("json"));
    assert_eq!(records[0].client_mode.as_deref(), Some("referer"));
    assert!(records[0].referer_header);
    assert_eq!(
        records[0].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(records[1].client_mode.as_deref(), Some("requestip"));
    assert!(
        !records[1].referer_header,
        "requestip callers send no Referer"
    );
    let logged = serde_json::to_string(&records).unwrap();
    assert!(!logged.contains("contours"));
}

#[tokio::test]
async fn a_standalone_server_may_answer_expires_in_seconds_quirk_4() {
    let config = SandboxConfig::demo()
        .clock(tokentray_sandbox::FixedClock(
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(FIXED_MS),
        ))
        .arcgis(ArcgisConfig::demo().server_expires_in_seconds(true));
    let sandbox = start(config).await;
    let form = [
        ("f", "json"),
        ("username", "gis-analyst"),
        ("password", "contours"),
    ];
    let server = post(&portal_url(&sandbox, "tokens/generateToken"), &form, &[]).await;
    let portal = generate(&sandbox, &[]).await;

    let seconds = server.json["expires"].as_u64().unwrap();
    assert_eq!(seconds, FIXED_MS / 1000 + 3600);
    assert!(
        seconds < 100_000_000_000,
        "below the 1e11 heuristic: seconds"
    );
    assert_eq!(portal.json["expires"].as_u64(), Some(FIXED_MS + 3_600_000));
    assert_eq!(sandbox.count(Endpoint::ArcgisServerToken), 1);
    assert_eq!(sandbox.count(Endpoint::ArcgisGenerateToken), 1);
}

#[tokio::test]
async fn a_standalone_server_answers_milliseconds_by_default_and_shows_where_it_is() {
    let sandbox = fixed_time_sandbox().await;
    let form = [
        ("f", "json"),
        ("username", "gis-analyst"),
        ("password", "contours"),
    ];
    let server = post(&portal_url(&sandbox, "tokens/generateToken"), &form, &[]).await;
    assert_eq!(server.json["expires"].as_u64(), Some(FIXED_MS + 3_600_000));

    let info = get(&portal_url(&sandbox, "rest/info?f=json"), &[]).await;
    assert_eq!(
        info.json["authInfo"]["tokenServicesUrl"],
        portal_url(&sandbox, "tokens/generateToken")
    );
    assert_eq!(info.json["authInfo"]["isTokenBasedSecurity"], true);
}

#[tokio::test]
async fn faults_hit_generate_token_and_missing_expires_leaves_expires_out() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::ArcgisGenerateToken, Fault::Status(503), 1);
    sandbox.inject(Endpoint::ArcgisGenerateToken, Fault::MissingExpiresIn, 1);

    let unavailable = generate(&sandbox, &[]).await;
    assert_eq!(unavailable.status, StatusCode::SERVICE_UNAVAILABLE);
    let no_expiry = generate(&sandbox, &[]).await;
    assert_eq!(no_expiry.keys(), ["token", "ssl"]);
    let normal = generate(&sandbox, &[]).await;
    assert_eq!(normal.keys(), ["token", "expires", "ssl"]);
}
