//! The routes: the JSON shapes of PRODUCT §5, the raw token, names and `min_valid` validated
//! before the engine, and each engine failure as its documented status and code.

use serde_json::Value;
use tokentray_engine::Freshness;
use tokentray_engine::ProviderKind;
use tokentray_engine::testing::conn;
use tokentray_sandbox::{Endpoint, Fault, Sandbox};

use crate::harness::{API_TOKEN, FAR, Home, Server};

async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn the_token_json_has_exactly_the_documented_fields() {
    let s = Server::start().await;
    let (status, body) = json(s.get("/v1/connections/api/token").send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        keys(&body),
        [
            "access_token",
            "connection",
            "expires_at",
            "expires_in",
            "header",
            "identity",
            "kind",
            "referer",
            "token_type"
        ]
    );
    assert_eq!(body["connection"], "api");
    assert_eq!(body["kind"], "static");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["access_token"], API_TOKEN);
    assert_eq!(body["expires_at"], FAR, "RFC 3339 UTC");
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    assert_eq!(keys(&body["header"]), ["name", "value"]);
    assert_eq!(body["header"]["name"], "Authorization");
    assert_eq!(body["header"]["value"], format!("Bearer {API_TOKEN}"));
    assert!(body["identity"].is_null());
    assert!(
        body["referer"].is_null(),
        "null when the token is bound to none"
    );
}

#[tokio::test]
async fn a_referer_bound_token_says_which_referer_to_send() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    let portal = sb
        .issuer(tokentray_sandbox::Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let fields = [
        ("portal_url", portal.as_str()),
        ("username", "gis-analyst"),
        ("password", "contours"),
        ("referer", "https://maps.example.org/app"),
    ];
    home.add("gis", ProviderKind::ArcgisToken, &fields).await;
    let s = Server::over(home).await;
    let (status, body) = json(s.get("/v1/connections/gis/token").send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["referer"], "https://maps.example.org/app");
    assert_eq!(body["header"]["name"], "X-Esri-Authorization");
}

#[tokio::test]
async fn accept_text_plain_returns_exactly_the_token() {
    let s = Server::start().await;
    let response = s
        .get("/v1/connections/api/token")
        .header("accept", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(
        response.text().await.unwrap(),
        API_TOKEN,
        "no newline, nothing else"
    );
}

#[tokio::test]
async fn the_list_shows_exported_connections_and_no_secrets() {
    let s = Server::start().await;
    let _ = s.get("/v1/connections/api/token").send().await.unwrap();
    let (status, body) = json(s.get("/v1/connections").send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        keys(&body),
        ["connections"],
        "an object, never a bare array (XSSI)"
    );
    let list = body["connections"].as_array().unwrap();
    assert_eq!(
        list.len(),
        1,
        "`hidden` (export = false) is not listed: {body}"
    );
    let api = &list[0];
    assert_eq!(
        keys(api),
        ["expires_at", "identity", "kind", "name", "status"]
    );
    assert_eq!(api["name"], "api");
    assert_eq!(api["kind"], "static");
    assert_eq!(api["status"], "active");
    assert_eq!(api["expires_at"], FAR);
    let text = body.to_string();
    for secret in [
        API_TOKEN,
        "tok-hidden",
        "refresh_token",
        "password",
        "client_secret",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test]
async fn a_connection_not_exported_is_indistinguishable_from_an_unknown_one() {
    let s = Server::start().await;
    for route in ["token", "token?min_valid=60"] {
        let hidden = s
            .get(&format!("/v1/connections/hidden/{route}"))
            .send()
            .await
            .unwrap();
        let unknown = s
            .get(&format!("/v1/connections/nobody/{route}"))
            .send()
            .await
            .unwrap();
        assert_eq!(hidden.status(), 404);
        assert_eq!(unknown.status(), 404);
        let (hidden, unknown) = (hidden.text().await.unwrap(), unknown.text().await.unwrap());
        assert_eq!(
            hidden, unknown,
            "the same body, so names cannot be enumerated"
        );
        assert!(hidden.contains("\"unknown_connection\""), "{hidden}");
    }
    let hidden = s.refresh("hidden").send().await.unwrap();
    let unknown = s.refresh("nobody").send().await.unwrap();
    assert_eq!(
        (hidden.status(), unknown.status()),
        (404.try_into().unwrap(), 404.try_into().unwrap())
    );
    assert_eq!(hidden.text().await.unwrap(), unknown.text().await.unwrap());
}

#[tokio::test]
async fn names_that_are_not_slugs_never_reach_the_engine() {
    let s = Server::start().await;
    let long = "a".repeat(10 * 1024);
    for name in [
        "..%2F..%2Fetc",
        "..%2f..%2fetc%2fpasswd",
        "a%2Fb",
        "%2E%2E",
        "API",
        "%D0%B0pi",
        "api%00",
        "-api",
        long.as_str(),
        "%FF",
    ] {
        let r = s
            .raw_get(&format!("/v1/connections/{name}/token"), &[])
            .await;
        assert_eq!(r.status, 404, "{}", &name[..name.len().min(40)]);
        assert_eq!(r.code(), "unknown_connection");
        assert!(
            !r.body.contains(&name[..name.len().min(40)]),
            "the name is not echoed"
        );
    }
    let r = s.raw_get("/v1/connections//token", &[]).await;
    let empty = (r.status, r.code());
    assert_eq!(
        empty,
        (404, "unknown_connection".to_owned()),
        "an empty name"
    );
    for target in [
        "/v1/connections/../../etc/token",
        "/v1/connections/api/token/extra",
    ] {
        let r = s.raw_get(target, &[]).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (404, "not_found"),
            "{target}"
        );
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let s = Server::start().await;
    let r = s.get("/v1/nothing").send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(json(r).await.1["code"], "not_found");
    let r = s.get("/v1/connections/api/refresh").send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(json(r).await.1["code"], "method_not_allowed");
    let r = s
        .http
        .delete(format!("{}/v1/connections/api/token", s.url))
        .bearer_auth(&s.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn bad_min_valid_values_are_400() {
    let s = Server::start().await;
    for bad in [
        "-1",
        "1e12",
        "abc",
        "",
        "31536001",
        "1.5",
        "%2B5",
        "60&min_valid=60",
    ] {
        let r = s
            .get(&format!("/v1/connections/api/token?min_valid={bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        assert_eq!(json(r).await.1["code"], "invalid_request", "{bad}");
    }
    let ok = s
        .get("/v1/connections/api/token?min_valid=0")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn a_connection_that_needs_a_login_is_409() {
    let home = Home::new();
    home.add_static("old", "tok-old-1", "2001-01-01T00:00:00Z", true)
        .await;
    let s = Server::over(home).await;
    let (status, body) = json(s.get("/v1/connections/old/token").send().await.unwrap()).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("needs_login")));
    assert_eq!(keys(&body), ["code", "message"]);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("tokentray login old"),
        "{body}"
    );
}

#[tokio::test]
async fn a_provider_that_is_down_without_a_valid_token_is_502() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    home.add_sandbox("cc", &sb).await;
    let s = Server::over(home).await;
    sb.inject(Endpoint::Token, Fault::Status(503), 1);
    let (status, body) = json(s.get("/v1/connections/cc/token").send().await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (502, Some("provider_error"))
    );
    assert!(
        !body.to_string().contains("<html"),
        "the provider's page is not quoted: {body}"
    );
    let ok = s.get("/v1/connections/cc/token").send().await.unwrap();
    assert_eq!(ok.status(), 200, "served again once the provider is back");
}

#[tokio::test]
async fn an_unavailable_secret_store_is_503() {
    let home = Home::new();
    home.add_static("api", "tok-api-2", FAR, true).await;
    let s = Server::over(home).await;
    s.home.store.set_unavailable(true);
    let (status, body) = json(s.get("/v1/connections/api/token").send().await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("storage_unavailable"))
    );
}

#[tokio::test]
async fn min_valid_renews_a_token_too_close_to_expiry() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    home.add_sandbox("cc", &sb).await;
    let s = Server::over(home).await;
    let token = |r: Value| r["access_token"].as_str().unwrap().to_owned();
    let first = token(
        json(s.get("/v1/connections/cc/token").send().await.unwrap())
            .await
            .1,
    );
    assert_eq!(sb.grant_count("client_credentials"), 1);
    s.home.jump(100);
    let (status, body) = json(
        s.get("/v1/connections/cc/token?min_valid=60")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, token(body)),
        (200, first.clone()),
        "3500 s left is enough"
    );
    assert_eq!(sb.grant_count("client_credentials"), 1);
    let (status, body) = json(
        s.get("/v1/connections/cc/token?min_valid=3550")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_ne!(token(body), first, "renewed to satisfy min_valid");
    assert_eq!(sb.grant_count("client_credentials"), 2);
}

#[tokio::test]
async fn a_static_connection_works_without_any_provider() {
    let home = Home::new();
    home.add("k", ProviderKind::Static, &[("token", "tok-k-77")])
        .await;
    let s = Server::over(home).await;
    let (status, body) = json(s.get("/v1/connections/k/token").send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(
        body["expires_at"].is_null() && body["expires_in"].is_null(),
        "unknown expiry: {body}"
    );
}

#[tokio::test]
async fn turning_export_off_or_removing_a_connection_takes_effect_at_once() {
    let s = Server::start().await;
    let token = |name: &str| s.get(&format!("/v1/connections/{name}/token")).send();
    assert_eq!(token("api").await.unwrap().status(), 200);
    let edit = tokentray_engine::Edit {
        set: vec![("export".to_owned(), "false".to_owned())],
        ..tokentray_engine::Edit::default()
    };
    s.home
        .engine
        .manage()
        .edit(&conn("api"), edit)
        .await
        .unwrap();
    assert_eq!(
        token("api").await.unwrap().status(),
        404,
        "no longer exported"
    );
    s.home.add_static("other", "tok-other-5", FAR, true).await;
    assert_eq!(token("other").await.unwrap().status(), 200);
    s.home.engine.manage().remove(&conn("other")).await.unwrap();
    assert_eq!(token("other").await.unwrap().status(), 404, "gone");
}

#[tokio::test]
async fn a_token_at_hand_is_answered_exactly_as_the_router_answers() {
    let s = Server::start().await;
    let comparable = |r: &crate::harness::Raw| {
        let mut headers: Vec<(String, String)> = r
            .headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("date"))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        headers.sort();
        let body = match serde_json::from_str::<Value>(&r.body) {
            Ok(mut v) if v.is_object() => {
                assert!(v["expires_in"].as_u64().unwrap() > 0);
                v["expires_in"] = Value::Null;
                v.to_string()
            }
            _ => r.body.clone(),
        };
        (r.status, headers, body)
    };
    for (target, accept) in [
        ("/v1/connections/api/token", "application/json"),
        ("/v1/connections/api/token?min_valid=60", "text/plain"),
    ] {
        // A fresh endpoint: the first answer comes from the router's handler, which reads the
        // store; the tokens are then at hand and answered before routing.
        let s = Server::start().await;
        let first = s.raw_get(target, &[("accept", accept)]).await;
        assert_eq!(first.status, 200, "{first:?}");
        assert!(
            s.home
                .engine
                .token_now(&conn("api"), Freshness::NotDue)
                .is_some(),
            "now at hand"
        );
        let again = s.raw_get(target, &[("accept", accept)]).await;
        assert_eq!(comparable(&first), comparable(&again), "{target} {accept}");
    }
    // At hand or not, a connection that is not exported stays unknown, and a bad query stays
    // a 400 from the router.
    s.home
        .engine
        .token(&conn("hidden"), Freshness::NotDue)
        .await
        .unwrap();
    assert!(
        s.home
            .engine
            .token_now(&conn("hidden"), Freshness::NotDue)
            .is_some()
    );
    let hidden = s.raw_get("/v1/connections/hidden/token", &[]).await;
    assert_eq!(
        (hidden.status, hidden.code().as_str()),
        (404, "unknown_connection")
    );
    s.get("/v1/connections/api/token").send().await.unwrap();
    let bad = s
        .raw_get("/v1/connections/api/token?min_valid=1e3", &[])
        .await;
    assert_eq!((bad.status, bad.code().as_str()), (400, "invalid_request"));
}
