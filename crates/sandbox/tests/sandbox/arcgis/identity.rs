//! `community/self` and `portals/self`: where a token may travel (quirks 17, 43), the 498 and
//! 499 envelopes (quirk 1, §1.6), and `user` versus `appInfo` (quirk 42, §4.7).

use std::time::Duration;

use reqwest::StatusCode;
use tokentray_sandbox::{Endpoint, Sandbox, TokenPlacement};

use super::{community_self, generate, get, portal_url, post};

const INVALID_TOKEN: &str = r#"{"error":{"code":498,"message":"Invalid token.","details":[]}}"#;
const TOKEN_REQUIRED: &str = r#"{"error":{"code":499,"message":"Token Required","messageCode":"GWM_0003","details":["Token Required"]}}"#;

async fn user_token(sandbox: &Sandbox) -> String {
    generate(sandbox, &[]).await.str("token")
}

async fn app_token(sandbox: &Sandbox, headers: &[(&str, &str)]) -> String {
    let form = [
        ("client_id", "tt-arcgis-cc"),
        ("client_secret", "tt-arcgis-cc-secret"),
        ("grant_type", "client_credentials"),
    ];
    super::oauth_token_with(sandbox, &form, headers)
        .await
        .str("access_token")
}

#[tokio::test]
async fn community_self_takes_the_token_in_any_of_four_places_quirk_43() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = user_token(&sandbox).await;
    let url = portal_url(&sandbox, "sharing/rest/community/self");
    let bearer = format!("Bearer {token}");

    let esri = get(
        &format!("{url}?f=json"),
        &[("x-esri-authorization", &bearer)],
    )
    .await;
    let standard = get(&format!("{url}?f=json"), &[("authorization", &bearer)]).await;
    let query = get(&format!("{url}?f=json&token={token}"), &[]).await;
    let form = post(&url, &[("f", "json"), ("token", &token)], &[]).await;

    for reply in [&esri, &standard, &query, &form] {
        assert_eq!(reply.json["username"], "gis-analyst", "{}", reply.text);
    }
    assert_eq!(
        esri.keys(),
        [
            "username",
            "fullName",
            "email",
            "role",
            "privileges",
            "orgId"
        ]
    );
    assert_eq!(esri.json["fullName"], "Gerda Mercator");
    let placements: Vec<_> = sandbox.requests()[1..]
        .iter()
        .map(|record| record.token_placement)
        .collect();
    assert_eq!(
        placements,
        [
            Some(TokenPlacement::EsriHeader),
            Some(TokenPlacement::AuthorizationHeader),
            Some(TokenPlacement::Query),
            Some(TokenPlacement::Form),
        ]
    );
}

#[tokio::test]
async fn no_token_is_499_token_required_with_http_200() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = portal_url(&sandbox, "sharing/rest/community/self?f=json");
    let reply = get(&url, &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, TOKEN_REQUIRED);
}

#[tokio::test]
async fn an_unknown_or_expired_token_is_498_invalid_token_with_http_200() {
    let sandbox = Sandbox::start().await.unwrap();
    let unknown = community_self(&sandbox, "not-a-token").await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(unknown.text, INVALID_TOKEN);

    let token = user_token(&sandbox).await;
    assert_eq!(
        community_self(&sandbox, &token).await.status,
        StatusCode::OK
    );
    sandbox.advance_clock(Duration::from_secs(59 * 60));
    assert_eq!(
        community_self(&sandbox, &token).await.json["username"],
        "gis-analyst",
        "still alive a minute before its hour is up"
    );
    sandbox.advance_clock(Duration::from_secs(60));
    assert_eq!(community_self(&sandbox, &token).await.text, INVALID_TOKEN);
}

#[tokio::test]
async fn portals_self_shows_the_user_for_a_user_token_quirk_42() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = user_token(&sandbox).await;
    let url = portal_url(
        &sandbox,
        &format!("sharing/rest/portals/self?f=json&token={token}"),
    );
    let reply = get(&url, &[]).await;

    assert_eq!(reply.json["name"], "Tokentray Sandbox Portal");
    assert_eq!(reply.json["user"]["username"], "gis-analyst");
    assert!(reply.json.get("appInfo").is_none());
    assert_eq!(sandbox.count(Endpoint::ArcgisPortalSelf), 1);
}

#[tokio::test]
async fn portals_self_shows_app_info_for_an_app_token_and_no_user_quirk_42() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = app_token(&sandbox, &[]).await;
    let url = portal_url(
        &sandbox,
        &format!("sharing/rest/portals/self?f=json&token={token}"),
    );
    let reply = get(&url, &[]).await;

    let info = &reply.json["appInfo"];
    assert_eq!(info["appId"], "tt-arcgis-cc", "{}", reply.text);
    assert_eq!(info["appTitle"], "Tokentray app login");
    assert_eq!(
        info["appOwner"], "gis-analyst",
        "the owner, not a signed-in user"
    );
    assert_eq!(info["itemId"].as_str().unwrap().len(), 32);
    assert!(reply.json.get("user").is_none());

    let as_user = community_self(&sandbox, &token).await;
    assert_eq!(as_user.error_code(), Some(403), "an app is nobody's user");
}

#[tokio::test]
async fn an_app_token_obtained_with_a_referer_needs_that_referer_quirk_5() {
    let sandbox = Sandbox::start().await.unwrap();
    let referer = "https://localhost";
    let token = app_token(&sandbox, &[("referer", referer)]).await;
    let url = portal_url(
        &sandbox,
        &format!("sharing/rest/portals/self?f=json&token={token}"),
    );

    let with = get(&url, &[("referer", referer)]).await;
    assert_eq!(
        with.json["appInfo"]["appId"], "tt-arcgis-cc",
        "{}",
        with.text
    );
    let without = get(&url, &[]).await;
    assert_eq!(without.text, INVALID_TOKEN);
}

#[tokio::test]
async fn anonymous_portals_self_is_the_public_description() {
    let sandbox = Sandbox::start().await.unwrap();
    let reply = get(
        &portal_url(&sandbox, "sharing/rest/portals/self?f=json"),
        &[],
    )
    .await;
    assert_eq!(reply.keys(), ["name", "id"]);
}

#[tokio::test]
async fn identity_calls_answer_html_without_f_json_quirk_3() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = user_token(&sandbox).await;
    let url = portal_url(
        &sandbox,
        &format!("sharing/rest/community/self?token={token}"),
    );
    let reply = get(&url, &[]).await;
    assert!(reply.is_html());
    assert!(reply.text.contains("ArcGIS Portal Directory"));
}

#[tokio::test]
async fn an_oauth_user_token_identifies_its_user() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = super::user_login(&sandbox).await;
    let reply = community_self(&sandbox, &login.str("access_token")).await;
    assert_eq!(reply.json["username"], "gis-analyst");
    assert_eq!(reply.json["role"], "org_publisher");
}
