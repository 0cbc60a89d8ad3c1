//! `POST /v1/connections/{name}/refresh`: only with a JSON content type (no simple POSTs from
//! a page), and at most one provider renewal per connection per window (T21).

use serde_json::Value;
use tokentray_sandbox::Sandbox;

use crate::harness::{Home, Server};

async fn sandboxed() -> (Sandbox, Server) {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    home.add_sandbox("cc", &sb).await;
    let s = Server::over(home).await;
    (sb, s)
}

#[tokio::test]
async fn a_refresh_needs_a_json_content_type() {
    let (sb, s) = sandboxed().await;
    let url = format!("{}/v1/connections/cc/refresh", s.url);
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonx"),
        None,
    ] {
        let mut request = s.http.post(&url).bearer_auth(&s.key).body("{}");
        if let Some(t) = content_type {
            request = request.header("content-type", t);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 415, "{content_type:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "unsupported_media_type");
    }
    assert_eq!(sb.grant_count("client_credentials"), 0, "no side effect");
    let ok = s
        .http
        .post(&url)
        .bearer_auth(&s.key)
        .header("content-type", "Application/JSON; charset=utf-8")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn forced_refreshes_reach_the_provider_once_per_window() {
    let (sb, s) = sandboxed().await;
    let first = s.refresh("cc").send().await.unwrap();
    assert_eq!(first.status(), 200);
    let body: Value = first.json().await.unwrap();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["expires_at", "identity", "kind", "name", "status"],
        "no token: {body}"
    );
    assert_eq!(body["status"], "active");
    assert_eq!(sb.grant_count("client_credentials"), 1);
    let calls = (0..100).map(|_| s.refresh("cc").send());
    for r in futures_join(calls).await {
        let r = r.unwrap();
        assert_eq!(r.status(), 200);
        let later: Value = r.json().await.unwrap();
        assert_eq!(later["expires_at"], body["expires_at"], "the current state");
    }
    assert_eq!(
        sb.grant_count("client_credentials"),
        1,
        "at most one renewal per window"
    );
}

#[tokio::test]
async fn a_refresh_is_a_real_renewal_even_of_a_valid_token() {
    let (sb, s) = sandboxed().await;
    let token = |v: Value| v["access_token"].as_str().unwrap().to_owned();
    let before = token(
        s.get("/v1/connections/cc/token")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    // Past the renewal window of the renewal that got the first token.
    s.home.jump(tokentray_engine::RENEWAL_WINDOW.as_secs());
    assert_eq!(s.refresh("cc").send().await.unwrap().status(), 200);
    let after = token(
        s.get("/v1/connections/cc/token")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    assert_ne!(before, after);
    assert_eq!(sb.grant_count("client_credentials"), 2);
}

async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
