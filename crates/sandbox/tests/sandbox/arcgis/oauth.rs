//! ArcGIS OAuth 2.0: the sign-in form of `oauth2/authorize`, the three kinds of redirect,
//! PKCE, the code exchange and app logins (protocols.md §4.2, §4.4–4.6; quirks 2, 3, 8).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokentray_sandbox::{Endpoint, Fault, OOB_REDIRECT_URI, Sandbox};

use super::{
    LOOPBACK, authorize_url, code, get, oauth_token, portal_url, post, redirect_params, sign_in,
    user_login,
};

fn oauth_error(code: u16, description: &str) -> String {
    format!(
        r#"{{"error":{{"code":{code},"error":"invalid_request","error_description":"{description}","message":"{description}","details":[]}}}}"#
    )
}

async fn exchange_code(sandbox: &Sandbox, code: &str, extra: &[(&str, &str)]) -> super::Reply {
    let mut form = vec![
        ("client_id", "tt-arcgis-app"),
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", LOOPBACK),
    ];
    form.extend_from_slice(extra);
    oauth_token(sandbox, &form).await
}

#[tokio::test]
async fn the_authorize_page_is_a_sign_in_form_that_posts_back_to_itself() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = authorize_url(&sandbox, LOOPBACK, &[("state", "s1")]);
    let page = get(&url, &[]).await;

    assert_eq!(page.status, StatusCode::OK);
    assert!(page.is_html());
    let action = url.replace('&', "&amp;");
    assert!(
        page.text
            .contains(&format!("<form method=\"post\" action=\"{action}\">")),
        "{}",
        page.text
    );
    assert!(page.text.contains("name=\"username\"") && page.text.contains("name=\"password\""));
    assert_eq!(sandbox.count(Endpoint::ArcgisAuthorize), 1);
}

#[tokio::test]
async fn signing_in_redirects_to_any_loopback_port_with_the_code_first_then_state() {
    let sandbox = Sandbox::start().await.unwrap();
    let redirect = "http://127.0.0.1:61234/callback";
    let reply = sign_in(
        &authorize_url(&sandbox, redirect, &[("state", "b8f6c1e2")]),
        "gis-analyst",
        "contours",
    )
    .await;

    assert_eq!(reply.status, StatusCode::FOUND);
    let location = reply.location.clone().unwrap();
    assert!(
        location.starts_with("http://127.0.0.1:61234/callback?code="),
        "{location}"
    );
    assert!(
        location.ends_with("&state=b8f6c1e2"),
        "code first, state last: {location}"
    );
    assert!(!redirect_params(&reply)["code"].is_empty());
}

#[tokio::test]
async fn the_deep_link_redirect_gets_the_code_too() {
    let sandbox = Sandbox::start().await.unwrap();
    let reply = sign_in(
        &authorize_url(&sandbox, "tokentray://oauth/callback", &[]),
        "gis-analyst",
        "contours",
    )
    .await;
    let location = reply.location.clone().unwrap();
    assert!(
        location.starts_with("tokentray://oauth/callback?code="),
        "{location}"
    );
    assert!(
        !location.contains("state="),
        "no state was sent, none comes back"
    );
}

#[tokio::test]
async fn the_out_of_band_redirect_shows_the_code_on_a_page_quirk_8() {
    let sandbox = Sandbox::start().await.unwrap();
    let reply = sign_in(
        &authorize_url(&sandbox, OOB_REDIRECT_URI, &[]),
        "gis-analyst",
        "contours",
    )
    .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.is_html());
    let start = reply.text.find("<code id=\"code\">").unwrap() + "<code id=\"code\">".len();
    let code = &reply.text[start..start + reply.text[start..].find("</code>").unwrap()];
    assert!(
        reply
            .text
            .contains(&format!("<title>Success code={code}</title>"))
    );

    let exchanged = oauth_token(
        &sandbox,
        &[
            ("client_id", "tt-arcgis-app"),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", OOB_REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(
        exchanged.json["username"], "gis-analyst",
        "{}",
        exchanged.text
    );
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_with_an_error() {
    let sandbox = Sandbox::start().await.unwrap();
    let reply = sign_in(
        &authorize_url(&sandbox, LOOPBACK, &[]),
        "gis-analyst",
        "nope",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.location.is_none());
    assert!(
        reply
            .text
            .contains("id=\"error\">Invalid username or password.</p>")
    );
    assert!(reply.text.contains("<form method=\"post\""));
}

#[tokio::test]
async fn cancelling_redirects_with_access_denied() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = authorize_url(&sandbox, LOOPBACK, &[("state", "s")]);
    let reply = post(&url, &[("cancel", "1")], &[]).await;
    let params = redirect_params(&reply);
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "s");
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn an_unknown_app_or_unregistered_redirect_is_an_error_page_not_a_redirect() {
    let sandbox = Sandbox::start().await.unwrap();
    let evil = authorize_url(&sandbox, "https://evil.example/callback", &[]);
    let reply = sign_in(&evil, "gis-analyst", "contours").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.location.is_none(),
        "never redirect to an unregistered URI"
    );
    assert!(reply.text.contains("Invalid redirect_uri"));

    let unknown = authorize_url(&sandbox, LOOPBACK, &[]).replace("tt-arcgis-app", "nobody");
    assert!(get(&unknown, &[]).await.text.contains("Invalid client_id"));
}

#[tokio::test]
async fn the_code_exchange_answers_the_recorded_shape() {
    let sandbox = Sandbox::start().await.unwrap();
    let reply = user_login(&sandbox).await;

    assert_eq!(
        reply.keys(),
        [
            "access_token",
            "expires_in",
            "username",
            "ssl",
            "refresh_token",
            "refresh_token_expires_in"
        ]
    );
    assert_eq!(reply.json["expires_in"], 1800);
    assert_eq!(reply.json["username"], "gis-analyst");
    assert_eq!(reply.json["ssl"], true);
    assert_eq!(reply.json["refresh_token_expires_in"], 14 * 24 * 3600);
}

#[tokio::test]
async fn the_authorize_expiration_sets_the_refresh_token_lifetime() {
    let sandbox = Sandbox::start().await.unwrap();
    let code = code(&sandbox, &[("expiration", "60")]).await;
    let reply = exchange_code(&sandbox, &code, &[]).await;
    assert_eq!(reply.json["refresh_token_expires_in"], 3600);
}

#[tokio::test]
async fn a_code_works_once_and_only_with_its_redirect_uri() {
    let sandbox = Sandbox::start().await.unwrap();
    let first = code(&sandbox, &[]).await;
    assert!(exchange_code(&sandbox, &first, &[]).await.json["access_token"].is_string());
    let again = exchange_code(&sandbox, &first, &[]).await;
    assert_eq!(again.status, StatusCode::OK, "errors come with HTTP 200");
    assert_eq!(again.text, oauth_error(400, "Invalid authorization code"));

    let second = code(&sandbox, &[]).await;
    let form = [
        ("client_id", "tt-arcgis-app"),
        ("grant_type", "authorization_code"),
        ("code", second.as_str()),
        ("redirect_uri", "tokentray://oauth/callback"),
    ];
    let elsewhere = oauth_token(&sandbox, &form).await;
    assert_eq!(elsewhere.text, oauth_error(400, "Invalid redirect_uri"));
}

#[tokio::test]
async fn a_pkce_code_needs_the_matching_verifier() {
    let sandbox = Sandbox::start().await.unwrap();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more-entropy";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];

    let without = exchange_code(&sandbox, &code(&sandbox, &pkce).await, &[]).await;
    assert_eq!(without.text, oauth_error(400, "Invalid code_verifier"));
    let wrong = exchange_code(
        &sandbox,
        &code(&sandbox, &pkce).await,
        &[("code_verifier", "x".repeat(43).as_str())],
    )
    .await;
    assert_eq!(wrong.text, oauth_error(400, "Invalid code_verifier"));
    let right = exchange_code(
        &sandbox,
        &code(&sandbox, &pkce).await,
        &[("code_verifier", verifier)],
    )
    .await;
    assert!(right.json["refresh_token"].is_string(), "{}", right.text);
    assert!(sandbox.requests().iter().any(|record| record.pkce));
}

#[tokio::test]
async fn a_sent_secret_must_be_right_even_where_none_is_needed_quirk_2() {
    let sandbox = Sandbox::start().await.unwrap();
    let code = code(&sandbox, &[]).await;
    let reply = exchange_code(&sandbox, &code, &[("client_secret", "guess")]).await;
    assert_eq!(
        reply.text,
        r#"{"error":{"code":400,"error":"invalid_request","error_description":"Invalid client_secret","message":"Invalid client_secret","details":[]}}"#
    );
}

#[tokio::test]
async fn an_app_login_is_a_bare_access_token_for_7200_seconds() {
    let sandbox = Sandbox::start().await.unwrap();
    let form = [
        ("client_id", "tt-arcgis-cc"),
        ("client_secret", "tt-arcgis-cc-secret"),
        ("grant_type", "client_credentials"),
    ];
    let reply = oauth_token(&sandbox, &form).await;
    assert_eq!(reply.keys(), ["access_token", "expires_in"]);
    assert_eq!(reply.json["expires_in"], 7200);
    assert_eq!(sandbox.grant_count("client_credentials"), 1);
}

#[tokio::test]
async fn an_app_login_needs_the_right_secret() {
    let sandbox = Sandbox::start().await.unwrap();
    let wrong = [
        ("client_id", "tt-arcgis-cc"),
        ("client_secret", "nope"),
        ("grant_type", "client_credentials"),
    ];
    let refused = oauth_error(400, "Invalid client_secret");
    assert_eq!(oauth_token(&sandbox, &wrong).await.text, refused);
    let public = [
        ("client_id", "tt-arcgis-app"),
        ("grant_type", "client_credentials"),
    ];
    assert_eq!(oauth_token(&sandbox, &public).await.text, refused);
}

#[tokio::test]
async fn malformed_token_requests_get_the_other_recorded_shapes() {
    let sandbox = Sandbox::start().await.unwrap();
    let no_grant = oauth_token(&sandbox, &[("client_id", "tt-arcgis-app")]).await;
    assert_eq!(
        no_grant.text,
        r#"{"error":{"code":400,"messageCode":"GWM_0007","message":"Invalid request","details":[]}}"#
    );
    let unknown = oauth_token(
        &sandbox,
        &[
            ("client_id", "nobody"),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(unknown.text, oauth_error(400, "Invalid client_id"));
}

#[tokio::test]
async fn the_token_endpoint_answers_html_without_f_json_quirk_3() {
    let sandbox = Sandbox::start().await.unwrap();
    let form = [
        ("client_id", "tt-arcgis-cc"),
        ("client_secret", "tt-arcgis-cc-secret"),
        ("grant_type", "client_credentials"),
    ];
    let url = portal_url(&sandbox, "sharing/rest/oauth2/token");
    let reply = post(&url, &form, &[]).await;
    assert!(reply.is_html());
    assert_eq!(reply.json, serde_json::Value::Null);
}

#[tokio::test]
async fn faults_hit_the_oauth_token_endpoint() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::ArcgisOAuthToken, Fault::MissingExpiresIn, 1);
    sandbox.inject(Endpoint::ArcgisOAuthToken, Fault::Html, 1);
    let form = [
        ("client_id", "tt-arcgis-cc"),
        ("client_secret", "tt-arcgis-cc-secret"),
        ("grant_type", "client_credentials"),
    ];
    assert_eq!(oauth_token(&sandbox, &form).await.keys(), ["access_token"]);
    assert!(oauth_token(&sandbox, &form).await.is_html());
    assert_eq!(oauth_token(&sandbox, &form).await.json["expires_in"], 7200);
}
