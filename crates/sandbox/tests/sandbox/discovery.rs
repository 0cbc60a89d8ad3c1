//! Discovery documents at the OIDC and RFC 8414 locations.

use reqwest::StatusCode;
use serde_json::Value;
use tokentray_sandbox::{Endpoint, Provider, Sandbox};

use crate::support::{Answer, Auth, http, post_form};

async fn get_json(url: &str) -> Answer {
    Answer::from(http().get(url).send().await.unwrap()).await
}

#[tokio::test]
async fn the_openid_configuration_names_the_exact_issuer_and_working_endpoints() {
    let sandbox = Sandbox::start().await.unwrap();
    let base = sandbox.url();
    assert_eq!(base.path(), "/");
    let doc = get_json(&format!("{base}oauth/.well-known/openid-configuration"))
        .await
        .json;

    assert_eq!(doc["issuer"], format!("{base}oauth"), "no trailing slash");
    assert_eq!(doc["token_endpoint"], format!("{base}oauth/token"));
    assert_eq!(doc["userinfo_endpoint"], format!("{base}oauth/userinfo"));
    assert_eq!(doc["revocation_endpoint"], format!("{base}oauth/revoke"));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post", "none"])
    );
    let grants: Vec<&str> = doc["grant_types_supported"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(grants.contains(&"refresh_token") && grants.contains(&"client_credentials"));

    let token_url = doc["token_endpoint"].as_str().unwrap();
    let answer = post_form(
        token_url,
        Auth::Basic("demo-cc", "demo-cc-secret"),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn the_rfc_8414_location_serves_the_same_document() {
    let sandbox = Sandbox::start().await.unwrap();
    let base = sandbox.url();
    let oidc = get_json(&format!("{base}oauth/.well-known/openid-configuration")).await;
    let rfc8414 = get_json(&format!(
        "{base}.well-known/oauth-authorization-server/oauth"
    ))
    .await;
    assert_eq!(rfc8414.status, StatusCode::OK);
    assert_eq!(oidc.json, rfc8414.json);
    assert_eq!(
        sandbox.count(Endpoint::Discovery),
        2,
        "both locations count as discovery"
    );
}

#[tokio::test]
async fn the_issuer_url_matches_the_discovery_document() {
    let sandbox = Sandbox::start().await.unwrap();
    let issuer = sandbox.issuer(Provider::OAuth);
    let doc = get_json(&format!("{issuer}/.well-known/openid-configuration"))
        .await
        .json;
    assert_eq!(doc["issuer"], issuer.as_str());
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let sandbox = Sandbox::start().await.unwrap();
    let response = http()
        .get(format!("{}nowhere", sandbox.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
