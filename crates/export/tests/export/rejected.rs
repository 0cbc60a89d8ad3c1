//! `GET /v1/connections/{name}/token?rejected=<sha256 hex>` (issue 10, point 6): the current
//! token refused → renewed once (ten concurrent reports too), an older token's hash → the
//! current token with no renewal, a bad hash → 400, a static token → 409, and a report within
//! the renewal window → 503 with `Retry-After`. The sandbox counts the provider's grants; the
//! engine's clock jumps, nothing sleeps.

use serde_json::Value;
use tokentray_engine::{RENEWAL_WINDOW, RejectedToken};
use tokentray_sandbox::Sandbox;

use crate::harness::{API_TOKEN, Home, Server};

fn hash(token: &str) -> String {
    RejectedToken::of(token).to_hex()
}

async fn token(s: &Server, query: &str) -> (u16, Value) {
    let r = s
        .get(&format!("/v1/connections/cc/token{query}"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or_default())
}

async fn served(sb: &Sandbox) -> Server {
    let home = Home::new();
    home.add_sandbox("cc", sb).await;
    Server::over(home).await
}

#[tokio::test]
async fn the_current_token_refused_is_renewed_once_even_when_it_is_at_hand() {
    let sb = Sandbox::start().await.unwrap();
    let s = served(&sb).await;
    let (status, body) = token(&s, "").await;
    assert_eq!(status, 200);
    let first = body["access_token"].as_str().unwrap().to_owned();
    // Asked again: answered from the prepared hand-out, which a report must not short-cut.
    assert_eq!(token(&s, "").await.1["access_token"], first.as_str());
    s.home.jump(RENEWAL_WINDOW.as_secs());

    let (status, body) = token(&s, &format!("?rejected={}", hash(&first))).await;
    assert_eq!(status, 200, "{body}");
    let second = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first, "a new token");
    assert_eq!(sb.grant_count("client_credentials"), 2);

    // An older token's hash: someone renewed already; the current token, no renewal.
    let (status, body) = token(&s, &format!("?rejected={}", hash(&first))).await;
    assert_eq!(status, 200);
    assert_eq!(body["access_token"], second.as_str());
    let upper = hash(&first).to_uppercase();
    let (status, body) = token(&s, &format!("?min_valid=60&rejected={upper}")).await;
    assert_eq!(status, 200, "upper-case hex and min_valid beside it");
    assert_eq!(body["access_token"], second.as_str());
    assert_eq!(sb.grant_count("client_credentials"), 2);
}

#[tokio::test]
async fn ten_concurrent_reports_cause_one_renewal() {
    let sb = Sandbox::start().await.unwrap();
    let s = served(&sb).await;
    let first = token(&s, "").await.1["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    s.home.jump(RENEWAL_WINDOW.as_secs());
    let url = format!("/v1/connections/cc/token?rejected={}", hash(&first));
    let mut reports = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let request = s.get(&url);
        reports.spawn(async move {
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or_default())
        });
    }
    let mut answers = Vec::new();
    while let Some(done) = reports.join_next().await {
        answers.push(done.unwrap());
    }
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body["access_token"], answers[0].1["access_token"]);
    }
    assert_ne!(answers[0].1["access_token"], first.as_str());
    assert_eq!(
        sb.grant_count("client_credentials"),
        2,
        "one renewal for ten"
    );
}

#[tokio::test]
async fn a_report_within_the_renewal_window_is_held_back_with_retry_after() {
    let sb = Sandbox::start().await.unwrap();
    let s = served(&sb).await;
    let first = token(&s, "").await.1["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = s
        .get(&format!(
            "/v1/connections/cc/token?rejected={}",
            hash(&first)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "30");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "provider_error");
    assert!(
        !body.to_string().contains(&first),
        "never the refused token"
    );
    assert_eq!(sb.grant_count("client_credentials"), 1, "nothing renewed");
}

#[tokio::test]
async fn bad_hashes_are_refused_and_a_static_token_needs_a_login() {
    let s = Server::start().await;
    for bad in [
        "",
        "abc",
        &"g".repeat(64),
        &"a".repeat(63),
        &"a".repeat(65),
        &format!("{}&rejected={}", hash("x"), hash("y")),
        API_TOKEN,
    ] {
        let r = s
            .get(&format!("/v1/connections/api/token?rejected={bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "invalid_request");
        assert!(!body.to_string().contains(API_TOKEN));
    }
    let r = s
        .get(&format!(
            "/v1/connections/api/token?rejected={}",
            hash(API_TOKEN)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "needs_login");
    let r = s
        .get(&format!(
            "/v1/connections/api/token?rejected={}",
            hash("older")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "not the current token: answered as is");
    assert_eq!(r.json::<Value>().await.unwrap()["access_token"], API_TOKEN);
}
