//! uuIdentity `grantToken`, `listKeys` and the ITk API (protocols.md §2; quirks 18–22).

use std::time::{Duration, UNIX_EPOCH};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokentray_sandbox::{
    Endpoint, Fault, FixedClock, ItkUser, Provider, Sandbox, SandboxConfig, TokenPlacement,
};

use crate::arcgis::Reply;
use crate::support::{http, jwt_claims, start};

const SCOPE: &str = "openid https://itkpd.unicornuniversity.net";

fn grant_url(sandbox: &Sandbox) -> String {
    format!("{}grantToken", sandbox.issuer(Provider::Itk))
}

async fn grant(sandbox: &Sandbox, code1: &str, code2: &str, scope: &str) -> Reply {
    let body = json!({
        "grant_type": "password",
        "accessCode1": code1,
        "accessCode2": code2,
        "scope": scope,
    });
    let response = http().post(grant_url(sandbox)).json(&body).send().await;
    Reply::from(response.unwrap()).await
}

async fn jane(sandbox: &Sandbox) -> Reply {
    let reply = grant(sandbox, "jane-code-1", "jane-code-2", SCOPE).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply
}

async fn get_user(sandbox: &Sandbox, bearer: &str, query: &str) -> Reply {
    let url = format!("{}getUser{query}", sandbox.itk_api_url());
    let response = http().get(url).bearer_auth(bearer).send().await;
    Reply::from(response.unwrap()).await
}

fn jwt_header(token: &str) -> Value {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn the_auth_and_api_urls_have_the_trailing_slash_quirk_22() {
    let sandbox = Sandbox::start().await.unwrap();
    let auth = sandbox.issuer(Provider::Itk);
    assert_eq!(auth.as_str(), format!("{}itk/oidc/", sandbox.url()));
    assert_eq!(
        auth.join("grantToken").unwrap().as_str(),
        grant_url(&sandbox),
        "urljoin keeps the last segment"
    );
    assert_eq!(
        sandbox.itk_api_url().as_str(),
        format!("{}itk/api/", sandbox.url())
    );
}

#[tokio::test]
async fn a_grant_answers_the_recorded_success_shape_quirks_19_20() {
    let sandbox = Sandbox::start().await.unwrap();
    let reply = jane(&sandbox).await;

    assert_eq!(reply.content_type, "application/json;charset=UTF-8");
    assert_eq!(
        reply.keys(),
        [
            "uuAppErrorMap",
            "access_token",
            "id_token",
            "token_type",
            "expires_in"
        ]
    );
    assert!(
        reply
            .text
            .starts_with(r#"{"uuAppErrorMap":{},"access_token":"at."#)
    );
    let access = reply.str("access_token");
    assert_eq!(access.len(), 3 + 43, "at. + 43 url-safe characters");
    assert_eq!(reply.json["token_type"], "Bearer");
    assert_eq!(reply.json["expires_in"], 1800);
    assert!(
        reply.json.get("refresh_token").is_none(),
        "no refresh tokens"
    );
}

#[tokio::test]
async fn the_id_token_carries_the_recorded_claims() {
    let sandbox = Sandbox::start().await.unwrap();
    let id_token = jane(&sandbox).await.str("id_token");

    let header = jwt_header(&id_token);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["kid"].as_str().unwrap().len(), 63);
    let claims = jwt_claims(&id_token);
    let issuer = sandbox
        .issuer(Provider::Itk)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    assert_eq!(claims["iss"], issuer);
    assert_eq!(claims["uuidentity"], "1-2345-1");
    assert_eq!(claims["uuidentity_type"], "uuPerson");
    assert_eq!(claims["name"], "Jane Example");
    assert_eq!(claims["aud"][1], "https://itkpd.unicornuniversity.net");
    assert!(
        claims["aud"][0]
            .as_str()
            .unwrap()
            .starts_with("uu-oidc:unregistered-client:")
    );
    let iat = claims["iat"].as_u64().unwrap();
    assert_eq!(
        claims["exp"].as_u64().unwrap() - iat,
        1800,
        "exp − iat = expires_in"
    );
    assert_eq!(claims["nbf"].as_u64(), Some(iat));
    assert_eq!(claims["sub"].as_str().unwrap().len(), 24);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 32);
    assert_eq!(id_token.split('.').count(), 3);
}

#[tokio::test]
async fn the_audience_follows_the_requested_scope_quirk_23() {
    let sandbox = Sandbox::start().await.unwrap();
    let scope = "openid offline_access https://itkpd-test.unicorncollege.cz";
    let reply = grant(&sandbox, "jane-code-1", "jane-code-2", scope).await;
    let claims = jwt_claims(&reply.str("id_token"));
    assert_eq!(claims["aud"].as_array().unwrap().len(), 2);
    assert_eq!(claims["aud"][1], "https://itkpd-test.unicorncollege.cz");
}

#[tokio::test]
async fn list_keys_publishes_the_signing_key_uuapp_style() {
    let sandbox = Sandbox::start().await.unwrap();
    let kid = jwt_header(&jane(&sandbox).await.str("id_token"))["kid"].clone();
    let url = format!("{}listKeys", sandbox.issuer(Provider::Itk));
    let keys = Reply::from(http().get(url).send().await.unwrap()).await;

    assert_eq!(keys.keys(), ["uuAppErrorMap", "keys"]);
    assert_eq!(keys.json["uuAppErrorMap"], json!({}));
    let first = &keys.json["keys"][0];
    assert_eq!(first["kid"], kid);
    assert_eq!(
        (first["kty"].as_str(), first["alg"].as_str()),
        (Some("RSA"), Some("RS256"))
    );
    assert_eq!(first["e"], "AQAB");
    assert_eq!(sandbox.count(Endpoint::ItkListKeys), 1);
}

#[tokio::test]
async fn a_form_body_is_refused_because_the_request_is_json_quirk_19() {
    let sandbox = Sandbox::start().await.unwrap();
    let form = [
        ("grant_type", "password"),
        ("accessCode1", "jane-code-1"),
        ("accessCode2", "jane-code-2"),
        ("scope", SCOPE),
    ];
    let response = http().post(grant_url(&sandbox)).form(&form).send().await;
    let reply = Reply::from(response.unwrap()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["error"], "invalid_request");
    assert_eq!(
        sandbox.requests()[0].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
}

#[tokio::test]
async fn wrong_codes_are_401_with_the_recorded_body_and_its_trailing_space_quirk_20() {
    let clock = FixedClock(UNIX_EPOCH + Duration::from_millis(1_606_964_977_484));
    let sandbox = start(SandboxConfig::demo().clock(clock)).await;
    let reply = grant(&sandbox, "jane-code-1", "wrong", SCOPE).await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let outer = &reply.json["uuAppErrorMap"]["uu-oidc-main/grantToken/identityNotAuthenticated "];
    let cause =
        &outer["cause"]["uu-oidc-main/authAccessCodes/authenticateCredentials/notAuthenticated"];
    let (outer_id, cause_id) = (outer["id"].as_str().unwrap(), cause["id"].as_str().unwrap());
    let at = "2020-12-03T03:09:37.484Z";
    let expected = format!(
        r#"{{"uuAppErrorMap":{{"uu-oidc-main/grantToken/identityNotAuthenticated ":{{"id":"{outer_id}","timestamp":"{at}","type":"error","message":"Identity not Authenticated","cause":{{"uu-oidc-main/authAccessCodes/authenticateCredentials/notAuthenticated":{{"id":"{cause_id}","timestamp":"{at}","type":"error","message":"Invalid user authentication."}}}}}}}},"error_description":"Identity not Authenticated","error":"invalid_request"}}"#
    );
    assert_eq!(reply.text, expected);
    assert_eq!(outer_id.len(), 32);
}

#[tokio::test]
async fn empty_codes_are_500_secret_must_be_not_null_quirk_20() {
    let clock = FixedClock(UNIX_EPOCH + Duration::from_millis(1_606_964_977_484));
    let sandbox = start(SandboxConfig::demo().clock(clock)).await;
    let reply = grant(&sandbox, "", "", SCOPE).await;

    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let outer = &reply.json["uuAppErrorMap"]["uu-oidc-main/grantToken/unexpectedError"];
    let cause = &outer["cause"]["uu.app.error/UNEXPECTED_INTERNAL_EXCEPTION"];
    let (outer_id, cause_id) = (outer["id"].as_str().unwrap(), cause["id"].as_str().unwrap());
    let at = "2020-12-03T03:09:37.484Z";
    let expected = format!(
        r#"{{"uuAppErrorMap":{{"uu-oidc-main/grantToken/unexpectedError":{{"id":"{outer_id}","timestamp":"{at}","type":"error","message":"Grant token failed.","cause":{{"uu.app.error/UNEXPECTED_INTERNAL_EXCEPTION":{{"id":"{cause_id}","timestamp":"{at}","type":"error","message":"Secret must be not null."}}}}}}}},"error_description":"Secret must be not null.","error":"server_error"}}"#
    );
    assert_eq!(reply.text, expected);
}

#[tokio::test]
async fn the_api_takes_the_id_token_and_refuses_the_access_token_quirk_18() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = jane(&sandbox).await;

    let with_id_token = get_user(&sandbox, &login.str("id_token"), "").await;
    assert_eq!(
        with_id_token.status,
        StatusCode::OK,
        "{}",
        with_id_token.text
    );
    assert_eq!(
        with_id_token.keys(),
        ["uuAppErrorMap", "uuIdentity", "name"]
    );
    assert_eq!(with_id_token.json["uuIdentity"], "1-2345-1");
    assert_eq!(with_id_token.json["name"], "Jane Example");

    let with_access_token = get_user(&sandbox, &login.str("access_token"), "").await;
    assert_eq!(with_access_token.status, StatusCode::UNAUTHORIZED);
    let refusal = &with_access_token.json["uuAppErrorMap"]["uu-app-workspace/authorization/userIsNotAuthorized"];
    assert_eq!(refusal["type"], "error");
    assert!(refusal["message"].is_string(), "itkdb reads this message");
    assert_eq!(
        sandbox.requests()[1].token_placement,
        Some(TokenPlacement::AuthorizationHeader)
    );
}

#[tokio::test]
async fn an_expired_id_token_is_refused_until_the_codes_are_posted_again_quirk_21() {
    let sandbox = Sandbox::start().await.unwrap();
    let id_token = jane(&sandbox).await.str("id_token");
    sandbox.advance_clock(Duration::from_secs(1799));
    assert_eq!(
        get_user(&sandbox, &id_token, "").await.status,
        StatusCode::OK
    );
    sandbox.advance_clock(Duration::from_secs(1));
    assert_eq!(
        get_user(&sandbox, &id_token, "").await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = jane(&sandbox).await.str("id_token");
    assert_eq!(get_user(&sandbox, &again, "").await.status, StatusCode::OK);
}

#[tokio::test]
async fn unsupported_keys_come_back_as_a_warning_beside_the_data_quirk_20() {
    let sandbox = Sandbox::start().await.unwrap();
    let id_token = jane(&sandbox).await.str("id_token");
    let reply = get_user(&sandbox, &id_token, "?pageSize=5").await;

    assert_eq!(reply.status, StatusCode::OK);
    let warning = &reply.json["uuAppErrorMap"]["ucl-itkpd-main/getUser/unsupportedKeys"];
    assert_eq!(warning["type"], "warning", "only type error means failure");
    assert_eq!(
        warning["paramMap"]["unsupportedKeyList"],
        json!(["$.pageSize"])
    );
    assert_eq!(
        reply.json["uuIdentity"], "1-2345-1",
        "the data is there all the same"
    );
}

#[tokio::test]
async fn other_api_commands_are_not_found() {
    let sandbox = Sandbox::start().await.unwrap();
    let id_token = jane(&sandbox).await.str("id_token");
    let url = format!("{}listComponents", sandbox.itk_api_url());
    let response = http().get(url).bearer_auth(&id_token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(sandbox.count(Endpoint::ItkApi), 1);
}

#[tokio::test]
async fn the_log_records_json_bodies_and_the_grant_type_but_no_code() {
    let sandbox = Sandbox::start().await.unwrap();
    jane(&sandbox).await;
    let record = &sandbox.requests()[0];
    assert_eq!(record.endpoint, Endpoint::ItkGrantToken);
    assert_eq!(record.content_type.as_deref(), Some("application/json"));
    assert_eq!(record.grant_type.as_deref(), Some("password"));
    assert_eq!(sandbox.grant_count("password"), 1);
    let logged = serde_json::to_string(&sandbox.requests()).unwrap();
    assert!(!logged.contains("jane-code"));
}

#[tokio::test]
async fn faults_hit_grant_token() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::ItkGrantToken, Fault::Status(502), 1);
    sandbox.inject(Endpoint::ItkGrantToken, Fault::MissingExpiresIn, 1);
    let failed = grant(&sandbox, "jane-code-1", "jane-code-2", SCOPE).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY);
    let no_expiry = jane(&sandbox).await;
    assert_eq!(
        no_expiry.keys(),
        ["uuAppErrorMap", "access_token", "id_token", "token_type"]
    );
}

#[tokio::test]
async fn a_person_added_while_running_can_sign_in() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox
        .add_itk_user(ItkUser::new("m-1", "m-2", "3-4567-1", "Marie Example"))
        .unwrap();
    let reply = grant(&sandbox, "m-1", "m-2", SCOPE).await;
    assert_eq!(jwt_claims(&reply.str("id_token"))["name"], "Marie Example");
    assert!(
        sandbox
            .add_itk_user(ItkUser::new("", "x", "1-1-1", "E"))
            .is_err()
    );
}
