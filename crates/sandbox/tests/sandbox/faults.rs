//! Injected faults: each one's response, how many requests it hits, and which endpoint.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use tokentray_sandbox::{Endpoint, Fault, OVERSIZED_BODY_BYTES, Provider, Sandbox};
use url::Url;

use crate::support::{Answer, Auth, http, token, token_url, url};

const CC: [(&str, &str); 1] = [("grant_type", "client_credentials")];
const CLIENT: Auth<'static> = Auth::Basic("demo-cc", "demo-cc-secret");

fn cc_request(sandbox: &Sandbox) -> reqwest::RequestBuilder {
    http()
        .post(token_url(sandbox, Provider::OAuth))
        .header(
            "authorization",
            crate::support::basic_header("demo-cc", "demo-cc-secret"),
        )
        .form(&CC)
}

async fn cc_response(sandbox: &Sandbox) -> reqwest::Response {
    cc_request(sandbox).send().await.unwrap()
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_status_fault_answers_with_that_status_for_exactly_n_requests() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::Token, Fault::Status(503), 2);

    for _ in 0..2 {
        let response = cc_response(&sandbox).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(content_type(&response).starts_with("text/html"));
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("503 Service Unavailable")
        );
    }
    assert_eq!(
        token(&sandbox, CLIENT, &CC).await.status,
        StatusCode::OK,
        "the fault is used up"
    );
    assert_eq!(
        sandbox.count(Endpoint::Token),
        3,
        "faulted requests are counted too"
    );
}

#[tokio::test]
async fn faults_queue_up_in_the_order_they_were_injected() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::Token, Fault::Status(502), 1);
    sandbox.inject(Endpoint::Token, Fault::Status(504), 1);
    assert_eq!(
        cc_response(&sandbox).await.status(),
        StatusCode::BAD_GATEWAY
    );
    assert_eq!(
        cc_response(&sandbox).await.status(),
        StatusCode::GATEWAY_TIMEOUT
    );
    assert_eq!(cc_response(&sandbox).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_html_fault_is_a_200_login_page() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::Token, Fault::Html, 1);
    let response = cc_response(&sandbox).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(content_type(&response).starts_with("text/html"));
    assert!(response.text().await.unwrap().contains("<form"));
}

#[tokio::test]
async fn the_garbage_fault_is_200_json_that_does_not_parse() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::Token, Fault::Garbage, 1);
    let response = cc_response(&sandbox).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(&response), "application/json");
    let body = response.bytes().await.unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
}

#[tokio::test]
async fn the_oversized_fault_is_valid_json_over_one_mebibyte() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::Token, Fault::Oversized, 1);
    let response = cc_response(&sandbox).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().await.unwrap();
    assert!(body.len() > 1024 * 1024 && body.len() >= OVERSIZED_BODY_BYTES);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        json["access_token"].is_string(),
        "only a size cap can tell it is wrong"
    );
}

#[tokio::test]
async fn missing_expires_in_is_an_otherwise_valid_token_response() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::Token, Fault::MissingExpiresIn, 1);
    let answer = token(&sandbox, CLIENT, &CC).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.json["access_token"].is_string());
    assert!(answer.json.get("expires_in").is_none());
    let claims = crate::support::jwt_claims(&answer.str("access_token"));
    assert!(claims["exp"].is_u64(), "the JWT still says when it expires");
}

#[tokio::test]
async fn the_oauth_error_fault_answers_with_the_given_error() {
    let sandbox = Sandbox::start().await.unwrap();
    let fault = Fault::OAuthError {
        status: 400,
        error: "invalid_grant".into(),
        description: "account locked".into(),
    };
    sandbox.inject(Endpoint::Token, fault, 1);
    let answer = token(&sandbox, CLIENT, &CC).await;
    assert_eq!(answer.error(), (StatusCode::BAD_REQUEST, "invalid_grant"));
    assert_eq!(answer.description(), "account locked");
}

#[tokio::test]
async fn the_rate_limit_fault_is_429_with_retry_after() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::Token, Fault::RateLimited { retry_after: 17 }, 1);
    let response = cc_response(&sandbox).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()[RETRY_AFTER], "17");
}

#[tokio::test]
async fn the_redirect_fault_is_a_307_to_the_given_url() {
    let sandbox = Sandbox::start().await.unwrap();
    let target = Url::parse("http://127.0.0.1:9/elsewhere").unwrap();
    sandbox.inject(Endpoint::Token, Fault::Redirect(target.clone()), 1);
    let response = cc_response(&sandbox).await;
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(response.headers()[LOCATION], target.as_str());
}

#[tokio::test]
async fn a_hung_request_is_held_until_the_sandbox_shuts_down() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::Token, Fault::Hang, 1);
    let hung = tokio::spawn(cc_request(&sandbox).send());
    sandbox.wait_for(Endpoint::Token, 1).await;

    // A later request is answered while the first one is still held.
    assert_eq!(cc_response(&sandbox).await.status(), StatusCode::OK);
    assert!(
        !hung.is_finished(),
        "the hung request must not have been answered"
    );

    sandbox.shutdown().await;
    let response = hung.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn faults_target_userinfo_and_discovery_separately() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::Userinfo, Fault::Status(500), 1);
    sandbox.inject(Endpoint::Discovery, Fault::Html, 1);

    assert_eq!(
        cc_response(&sandbox).await.status(),
        StatusCode::OK,
        "the token endpoint is fine"
    );
    let userinfo = http()
        .get(url(&sandbox, Provider::OAuth, "userinfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let discovery_url = url(
        &sandbox,
        Provider::OAuth,
        ".well-known/openid-configuration",
    );
    let discovery = Answer::from(http().get(&discovery_url).send().await.unwrap()).await;
    assert_eq!(
        discovery.json,
        serde_json::Value::Null,
        "the HTML page is not JSON"
    );
    let again = Answer::from(http().get(&discovery_url).send().await.unwrap()).await;
    assert!(again.json["issuer"].is_string());
}
