//! The admin HTTP API that tests in other processes use to drive the sandbox.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokentray_sandbox::{Endpoint, Sandbox};

use crate::support::{Auth, http, password_login, refresh, token};

async fn admin_post(sandbox: &Sandbox, path: &str, body: Value) -> StatusCode {
    http()
        .post(format!("{}_admin/{path}", sandbox.url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

async fn counters(sandbox: &Sandbox) -> Value {
    let url = format!("{}_admin/counters", sandbox.url());
    http().get(url).send().await.unwrap().json().await.unwrap()
}

const CC: [(&str, &str); 1] = [("grant_type", "client_credentials")];

#[tokio::test]
async fn a_fault_injected_over_http_hits_the_next_request() {
    let sandbox = Sandbox::start().await.unwrap();
    let body = json!({"endpoint": "token", "fault": {"status": 502}, "times": 1});
    assert_eq!(
        admin_post(&sandbox, "fault", body).await,
        StatusCode::NO_CONTENT
    );

    let answer = token(&sandbox, Auth::Basic("demo-cc", "demo-cc-secret"), &CC).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    let answer = token(&sandbox, Auth::Basic("demo-cc", "demo-cc-secret"), &CC).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn counters_over_http_match_the_rust_api_and_skip_admin_requests() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = password_login(&sandbox, Auth::Public("demo-public")).await;
    refresh(
        &sandbox,
        Auth::Public("demo-public"),
        &login.str("refresh_token"),
    )
    .await;

    let snapshot = counters(&sandbox).await;
    assert_eq!(snapshot["endpoints"]["token"], 2);
    assert_eq!(snapshot["grants"]["refresh_token"], 1);
    assert_eq!(snapshot["requests"][0]["auth_method"], "none");
    assert_eq!(snapshot["requests"][0]["client_id"], "demo-public");
    assert_eq!(sandbox.count(Endpoint::Token), 2);
}

#[tokio::test]
async fn a_client_registered_over_http_can_get_tokens() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = json!({
        "client_id": "cli-test",
        "client_secret": "cli-secret",
        "auth_method": "client_secret_post",
        "access_token_secs": 60,
    });
    assert_eq!(
        admin_post(&sandbox, "clients", client).await,
        StatusCode::NO_CONTENT
    );
    let answer = token(&sandbox, Auth::Post("cli-test", "cli-secret"), &CC).await;
    assert_eq!(answer.json["expires_in"], 60);

    let invalid = json!({"client_id": "x", "auth_method": "client_secret_basic"});
    assert_eq!(
        admin_post(&sandbox, "clients", invalid).await,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn reset_restores_the_start_state() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = password_login(&sandbox, Auth::Public("demo-public")).await;
    let client = json!({"client_id": "temp", "auth_method": "none"});
    admin_post(&sandbox, "clients", client).await;
    sandbox.inject(Endpoint::Token, tokentray_sandbox::Fault::Html, 5);

    assert_eq!(
        admin_post(&sandbox, "reset", json!({})).await,
        StatusCode::NO_CONTENT
    );

    assert_eq!(sandbox.count(Endpoint::Token), 0);
    let forgotten = refresh(
        &sandbox,
        Auth::Public("demo-public"),
        &login.str("refresh_token"),
    )
    .await;
    assert_eq!(
        forgotten.status,
        StatusCode::BAD_REQUEST,
        "tokens are gone, and no fault is left"
    );
    let removed = token(
        &sandbox,
        Auth::Public("temp"),
        &[("grant_type", "password")],
    )
    .await;
    assert_eq!(
        removed.status,
        StatusCode::UNAUTHORIZED,
        "runtime clients are gone"
    );
}

#[tokio::test]
async fn the_clock_and_minted_refresh_tokens_are_reachable_over_http() {
    let sandbox = Sandbox::start().await.unwrap();
    let minted: Value = http()
        .post(format!("{}_admin/refresh-token", sandbox.url()))
        .json(&json!({"client_id": "demo-public", "username": "ada"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh_token = minted["refresh_token"].as_str().unwrap();

    let before = sandbox.now();
    assert_eq!(
        admin_post(&sandbox, "clock", json!({"advance_secs": 86_400})).await,
        StatusCode::NO_CONTENT
    );
    assert!(sandbox.now().duration_since(before).unwrap().as_secs() >= 86_400);
    let expired = refresh(&sandbox, Auth::Public("demo-public"), refresh_token).await;
    assert_eq!(expired.error(), (StatusCode::BAD_REQUEST, "invalid_grant"));
}

#[tokio::test]
async fn arcgis_and_itk_registrations_name_their_provider() {
    let sandbox = Sandbox::start().await.unwrap();
    let user = json!({"provider": "arcgis", "username": "cartographer", "password": "meridian"});
    let app = json!({"provider": "arcgis", "client_id": "ext-app", "client_secret": "ext-secret"});
    let person = json!({"provider": "itk", "access_code1": "a1", "access_code2": "a2",
                        "uuidentity": "5-5555-1", "name": "Ed Example"});
    for (path, body) in [("users", user), ("clients", app), ("users", person)] {
        assert_eq!(
            admin_post(&sandbox, path, body).await,
            StatusCode::NO_CONTENT
        );
    }
    let no_clients = json!({"provider": "itk", "client_id": "x"});
    assert_eq!(
        admin_post(&sandbox, "clients", no_clients).await,
        StatusCode::BAD_REQUEST
    );

    let generate_url = crate::arcgis::portal_url(&sandbox, "sharing/rest/generateToken");
    let form = [
        ("f", "json"),
        ("username", "cartographer"),
        ("password", "meridian"),
    ];
    let generated = crate::arcgis::post(&generate_url, &form, &[]).await;
    assert!(generated.json["token"].is_string(), "{}", generated.text);
    let cc = [
        ("client_id", "ext-app"),
        ("client_secret", "ext-secret"),
        ("grant_type", "client_credentials"),
    ];
    let app_login = crate::arcgis::oauth_token(&sandbox, &cc).await;
    assert!(
        app_login.json["access_token"].is_string(),
        "{}",
        app_login.text
    );
    let grant = json!({"grant_type": "password", "accessCode1": "a1", "accessCode2": "a2",
                       "scope": "openid"});
    let url = format!(
        "{}grantToken",
        sandbox.issuer(tokentray_sandbox::Provider::Itk)
    );
    let response = http().post(url).json(&grant).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn reset_forgets_arcgis_tokens_and_runtime_users() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = crate::arcgis::generate(&sandbox, &[]).await.str("token");
    let user = json!({"provider": "arcgis", "username": "temp", "password": "p"});
    admin_post(&sandbox, "users", user).await;

    sandbox.reset();

    let forgotten = crate::arcgis::community_self(&sandbox, &token).await;
    assert_eq!(forgotten.error_code(), Some(498));
    let generate_url = crate::arcgis::portal_url(&sandbox, "sharing/rest/generateToken");
    let form = [("f", "json"), ("username", "temp"), ("password", "p")];
    let gone = crate::arcgis::post(&generate_url, &form, &[]).await;
    assert_eq!(gone.error_code(), Some(400));
    let demo = crate::arcgis::generate(&sandbox, &[]).await;
    assert!(demo.json["token"].is_string(), "demo users are back");
}

#[tokio::test]
async fn an_access_token_revoked_over_http_is_refused_at_once() {
    let sandbox = Sandbox::start().await.unwrap();
    let issued = token(&sandbox, Auth::Basic("demo-cc", "demo-cc-secret"), &CC).await;
    let access = issued.str("access_token");
    let userinfo = |bearer: String| {
        let url = crate::support::url(&sandbox, tokentray_sandbox::Provider::OAuth, "userinfo");
        async move {
            http()
                .get(url)
                .bearer_auth(bearer)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(userinfo(access.clone()).await, StatusCode::OK);
    let body = json!({"token": access});
    assert_eq!(
        admin_post(&sandbox, "revoke", body.clone()).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(userinfo(access.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        admin_post(&sandbox, "revoke", body).await,
        StatusCode::NOT_FOUND,
        "no live token any more"
    );

    // A referer-bound generateToken token, which revokeToken leaves alone: the portal answers
    // HTTP 200 with error 498 once the administrator ends it.
    let referer = "https://maps.example.org/app";
    let generated =
        crate::arcgis::generate(&sandbox, &[("client", "referer"), ("referer", referer)])
            .await
            .str("token");
    let url = crate::arcgis::portal_url(&sandbox, "sharing/rest/community/self?f=json");
    let bearer = format!("Bearer {generated}");
    let headers = [
        ("x-esri-authorization", bearer.as_str()),
        ("referer", referer),
    ];
    let me = crate::arcgis::get(&url, &headers).await;
    assert_eq!(me.json["username"], "gis-analyst", "{}", me.text);
    let arcgis = json!({"provider": "arcgis", "token": generated});
    assert_eq!(
        admin_post(&sandbox, "revoke", arcgis).await,
        StatusCode::NO_CONTENT
    );
    let refused = crate::arcgis::get(&url, &headers).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert_eq!(refused.error_code(), Some(498));
}
