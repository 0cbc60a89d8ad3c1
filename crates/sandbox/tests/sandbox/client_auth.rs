//! Client authentication at the token endpoint (RFC 6749 §2.3.1) and the shape of requests the
//! endpoint accepts.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use tokentray_sandbox::{ClientConfig, Endpoint, Provider, Sandbox, SandboxConfig};

use crate::support::{Answer, Auth, http, jwt_claims, start, token, token_url};

const CC: [(&str, &str); 1] = [("grant_type", "client_credentials")];

#[tokio::test]
async fn client_credentials_with_basic_auth_returns_a_bearer_jwt_and_no_refresh_token() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = token(&sandbox, Auth::Basic("demo-cc", "demo-cc-secret"), &CC).await;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["token_type"], "Bearer");
    assert_eq!(answer.json["expires_in"], 3600);
    assert!(
        answer.json.get("refresh_token").is_none(),
        "RFC 6749 §4.4.3: no refresh token"
    );
    assert_eq!(answer.headers[CACHE_CONTROL], "no-store");
    let claims = jwt_claims(&answer.str("access_token"));
    assert_eq!(claims["client_id"], "demo-cc");
    assert_eq!(claims["sub"], "demo-cc");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
    assert_eq!(claims["iss"], sandbox.issuer(Provider::OAuth).as_str());
}

#[tokio::test]
async fn client_credentials_with_post_auth_works_for_a_post_client() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = token(&sandbox, Auth::Post("demo-post", "demo-post-secret"), &CC).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(
        jwt_claims(&answer.str("access_token"))["client_id"],
        "demo-post"
    );
}

#[tokio::test]
async fn basic_credentials_are_form_url_decoded_before_comparison() {
    let (id, secret) = ("my app:1", "p@ss:w+rd/é%");
    let sandbox = start(SandboxConfig::empty().client(ClientConfig::basic(id, secret))).await;
    let answer = token(&sandbox, Auth::Basic(id, secret), &CC).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(jwt_claims(&answer.str("access_token"))["client_id"], id);
}

#[tokio::test]
async fn basic_credentials_that_were_not_url_encoded_are_refused_when_encoding_matters() {
    use base64::Engine as _;
    let secret = "a+b";
    let sandbox = start(SandboxConfig::empty().client(ClientConfig::basic("c", secret))).await;
    // aiorequestful's quirk (protocols.md quirk 27): no form-url-encoding before base64, so the
    // server decodes '+' as a space and the secret no longer matches.
    let raw = base64::engine::general_purpose::STANDARD.encode(format!("c:{secret}"));
    let response = http()
        .post(token_url(&sandbox, Provider::OAuth))
        .header("authorization", format!("Basic {raw}"))
        .form(&CC)
        .send()
        .await
        .unwrap();
    assert_eq!(
        Answer::from(response).await.error(),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
}

#[tokio::test]
async fn the_right_secret_through_the_wrong_method_is_invalid_client() {
    let sandbox = Sandbox::start().await.unwrap();
    let attempts = [
        Auth::Post("demo-cc", "demo-cc-secret"),
        Auth::Basic("demo-post", "demo-post-secret"),
        Auth::Public("demo-cc"),
    ];
    for auth in attempts {
        let answer = token(&sandbox, auth, &CC).await;
        assert_eq!(answer.error(), (StatusCode::UNAUTHORIZED, "invalid_client"));
    }
}

#[tokio::test]
async fn a_wrong_secret_is_401_invalid_client_with_a_basic_challenge() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = token(&sandbox, Auth::Basic("demo-cc", "wrong"), &CC).await;
    assert_eq!(answer.error(), (StatusCode::UNAUTHORIZED, "invalid_client"));
    assert!(
        answer.headers[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
}

#[tokio::test]
async fn an_unknown_client_is_invalid_client() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = token(&sandbox, Auth::Basic("nobody", "x"), &CC).await;
    assert_eq!(answer.error(), (StatusCode::UNAUTHORIZED, "invalid_client"));
}

#[tokio::test]
async fn basic_and_a_body_secret_together_are_an_invalid_request() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = token(
        &sandbox,
        Auth::Basic("demo-cc", "demo-cc-secret"),
        &[
            ("grant_type", "client_credentials"),
            ("client_secret", "demo-cc-secret"),
        ],
    )
    .await;
    assert_eq!(answer.error(), (StatusCode::BAD_REQUEST, "invalid_request"));
}

#[tokio::test]
async fn a_public_client_cannot_use_client_credentials() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = token(&sandbox, Auth::Public("demo-public"), &CC).await;
    assert_eq!(
        answer.error(),
        (StatusCode::BAD_REQUEST, "unauthorized_client")
    );
}

#[tokio::test]
async fn credentials_in_the_query_string_are_refused_and_recorded() {
    let sandbox = Sandbox::start().await.unwrap();
    let response = http()
        .post(token_url(&sandbox, Provider::OAuth))
        .query(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-post"),
            ("client_secret", "demo-post-secret"),
        ])
        .send()
        .await
        .unwrap();
    let answer = Answer::from(response).await;

    assert_eq!(answer.error(), (StatusCode::BAD_REQUEST, "invalid_request"));
    let records = sandbox.requests();
    assert_eq!(records.len(), 1);
    assert!(
        records[0].credentials_in_query,
        "the log says the secret was in the URL"
    );
    assert_eq!(records[0].endpoint, Endpoint::Token);
}

#[tokio::test]
async fn a_json_body_is_not_a_token_request() {
    let sandbox = Sandbox::start().await.unwrap();
    let response = http()
        .post(token_url(&sandbox, Provider::OAuth))
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"grant_type":"client_credentials","client_id":"demo-post","client_secret":"demo-post-secret"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        Answer::from(response).await.error(),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
}

#[tokio::test]
async fn a_repeated_parameter_is_an_invalid_request() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = token(
        &sandbox,
        Auth::Basic("demo-cc", "demo-cc-secret"),
        &[
            ("grant_type", "client_credentials"),
            ("grant_type", "password"),
        ],
    )
    .await;
    assert_eq!(answer.error(), (StatusCode::BAD_REQUEST, "invalid_request"));
}

#[tokio::test]
async fn an_unknown_grant_type_is_unsupported() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = token(
        &sandbox,
        Auth::Basic("demo-cc", "demo-cc-secret"),
        &[("grant_type", "urn:example:magic")],
    )
    .await;
    assert_eq!(
        answer.error(),
        (StatusCode::BAD_REQUEST, "unsupported_grant_type")
    );
}

#[tokio::test]
async fn the_password_grant_issues_a_user_token_with_a_refresh_token() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = crate::support::password_login(&sandbox, Auth::Public("demo-public")).await;

    assert!(answer.json["refresh_token"].is_string());
    assert_eq!(answer.json["expires_in"], 300);
    assert_eq!(answer.json["refresh_expires_in"], 86_400);
    let claims = jwt_claims(&answer.str("access_token"));
    assert_eq!(claims["preferred_username"], "ada");
    assert_eq!(claims["sub"], "ada");
    assert_eq!(claims["scope"], answer.json["scope"]);
}

#[tokio::test]
async fn a_wrong_password_or_unknown_user_is_invalid_grant() {
    let sandbox = Sandbox::start().await.unwrap();
    for (username, password) in [("ada", "babbage"), ("nobody", "lovelace")] {
        let answer = token(
            &sandbox,
            Auth::Public("demo-public"),
            &[
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
            ],
        )
        .await;
        assert_eq!(answer.error(), (StatusCode::BAD_REQUEST, "invalid_grant"));
    }
}

#[tokio::test]
async fn a_confidential_client_can_use_the_password_grant_too() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer =
        crate::support::password_login(&sandbox, Auth::Basic("demo-cc", "demo-cc-secret")).await;
    assert!(
        answer.json.get("refresh_expires_in").is_none(),
        "demo-cc refresh tokens never expire"
    );
}
