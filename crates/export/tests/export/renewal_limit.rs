//! `min_valid` longer than the provider's tokens live: answered with the freshest token there
//! is, and never more than one provider renewal per connection per 30 s, shared with forced
//! refreshes (issue 9, point 8). The engine's clock is moved past the window, never slept.

use serde_json::Value;
use tokentray_engine::{ProviderKind, RENEWAL_WINDOW};
use tokentray_sandbox::{Endpoint, Provider, Sandbox};

use crate::harness::{Home, Server};

const A_YEAR: &str = "31536000";

async fn token_for_a_year(s: &Server, name: &str) -> (String, u64) {
    let r = s
        .get(&format!("/v1/connections/{name}/token?min_valid={A_YEAR}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the freshest token, not an error");
    let body: Value = r.json().await.unwrap();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["expires_in"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn six_requests_for_a_year_reach_the_provider_once_per_window() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    home.add_sandbox("cc", &sb).await;
    let s = Server::over(home).await;
    let (first, left) = token_for_a_year(&s, "cc").await;
    assert!(
        left <= 3600,
        "the answer says how long it is good for: {left}"
    );
    for _ in 0..5 {
        assert_eq!(token_for_a_year(&s, "cc").await.0, first);
    }
    assert_eq!(sb.grant_count("client_credentials"), 1, "six requests");
    // A forced refresh shares the limit.
    assert_eq!(s.refresh("cc").send().await.unwrap().status(), 200);
    assert_eq!(sb.grant_count("client_credentials"), 1, "and a refresh");

    s.home.jump(RENEWAL_WINDOW.as_secs());
    let (second, _) = token_for_a_year(&s, "cc").await;
    assert_ne!(second, first, "renewed again once the window has passed");
    for _ in 0..5 {
        assert_eq!(token_for_a_year(&s, "cc").await.0, second);
    }
    assert_eq!(sb.grant_count("client_credentials"), 2);
}

#[tokio::test]
async fn a_password_is_posted_once_per_window_however_often_a_year_is_asked_for() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    let portal = sb
        .issuer(Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let fields = [
        ("portal_url", portal.as_str()),
        ("username", "gis-analyst"),
        ("password", "contours"),
    ];
    home.add("agol", ProviderKind::ArcgisToken, &fields).await;
    let s = Server::over(home).await;
    let posts = || sb.count(Endpoint::ArcgisGenerateToken);
    for _ in 0..6 {
        token_for_a_year(&s, "agol").await;
    }
    assert_eq!(posts(), 1, "six requests, one password post");
    s.home.jump(RENEWAL_WINDOW.as_secs() - 1);
    token_for_a_year(&s, "agol").await;
    assert_eq!(posts(), 1, "still within the window");
    s.home.jump(1);
    token_for_a_year(&s, "agol").await;
    assert_eq!(posts(), 2, "a later request renews again");
}
