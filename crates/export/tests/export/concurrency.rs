//! Many callers at once: 1000 concurrent requests for an expired token over real HTTP share one
//! renewal, so the provider sees exactly one request, and all get the same new token.

use tokentray_sandbox::Sandbox;

use crate::harness::{Home, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_of_an_expired_token_cause_one_provider_request() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    home.add_sandbox("cc", &sb).await;
    let s = Server::over(home).await;
    let first: serde_json::Value = s
        .get("/v1/connections/cc/token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sb.grant_count("client_credentials"), 1);
    s.home.jump(3700);
    let calls: Vec<_> = (0..1000)
        .map(|_| {
            let request = s
                .get("/v1/connections/cc/token")
                .header("accept", "text/plain");
            tokio::spawn(async move {
                let r = request.send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            })
        })
        .collect();
    let mut tokens = std::collections::BTreeSet::new();
    for call in calls {
        let (status, token) = call.await.unwrap();
        assert_eq!(status, 200, "{token}");
        tokens.insert(token);
    }
    assert_eq!(
        sb.grant_count("client_credentials"),
        2,
        "exactly one renewal for 1000 callers"
    );
    assert_eq!(tokens.len(), 1, "all 1000 got the same token");
    assert_ne!(
        tokens.first().unwrap(),
        first["access_token"].as_str().unwrap()
    );
}
