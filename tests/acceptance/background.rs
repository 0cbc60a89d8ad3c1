//! Background refresh through the scheduler, in real time against the sandbox: nobody asks for
//! the token, and it is renewed before it expires; a failing provider is retried with backoff
//! until it recovers. The tests wait for the engine's own events, never for a fixed time.

use std::time::Duration;
use tokentray_engine::Freshness;
use tokentray_engine::testing::conn;

use tokentray_acceptance::{TestEngine, issuer};
use tokentray_engine::{Backoff, ConnectionView, EngineEvent, ProviderKind, Status};
use tokentray_sandbox::{ClientConfig, Endpoint, Fault, Sandbox};

async fn short_lived(sb: &Sandbox, t: &TestEngine, secs: u64) {
    sb.add_client(ClientConfig::basic("short", "short-secret").access_token_secs(secs))
        .unwrap();
    let url = format!("{}/token", issuer(sb));
    t.add(
        "short",
        ProviderKind::Oauth2,
        &[
            ("token_url", &url),
            ("grant", "client_credentials"),
            ("client_id", "short"),
            ("client_secret", "short-secret"),
        ],
    )
    .await;
}

/// Waits (bounded) for a change event that satisfies `want`.
async fn wait_for(
    rx: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    want: impl Fn(&ConnectionView) -> bool,
) -> ConnectionView {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(EngineEvent::Changed { connection }) = rx.recv().await
                && want(&connection)
            {
                return *connection;
            }
        }
    })
    .await
    .expect("the engine announced the change in time")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_is_renewed_before_it_expires_with_no_caller() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    short_lived(&sb, &t, 4).await;
    t.engine.start_background().unwrap();
    let mut rx = t.engine.subscribe();
    let first = t
        .engine
        .token(&conn("short"), Freshness::NotDue)
        .await
        .unwrap();
    let first_refresh = t.engine.view(&conn("short")).unwrap().last_refresh;
    let due = t
        .engine
        .next_renewal(&conn("short"))
        .await
        .expect("scheduled after the first token");
    assert!(
        due < first.expires_at.unwrap() && due > first_refresh.unwrap(),
        "due between issue and expiry"
    );
    let renewed = wait_for(&mut rx, |c| {
        c.status == Status::Active && c.last_refresh > first_refresh
    })
    .await;
    assert_eq!(sb.grant_count("client_credentials"), 2);
    assert!(renewed.expires_at > first.expires_at);
    let at = renewed.last_refresh.unwrap();
    assert!(
        at < first.expires_at.unwrap(),
        "renewed before the old token expired"
    );
    t.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_retried_with_backoff_until_the_provider_recovers() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::with_options(|o| {
        o.backoff = Backoff {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(1),
        }
    });
    short_lived(&sb, &t, 4).await;
    t.engine.start_background().unwrap();
    let mut rx = t.engine.subscribe();
    t.engine
        .token(&conn("short"), Freshness::NotDue)
        .await
        .unwrap();
    let first_refresh = t.engine.view(&conn("short")).unwrap().last_refresh;
    sb.inject(Endpoint::Token, Fault::Status(503), 2);
    let failed = wait_for(&mut rx, |c| c.status == Status::Error).await;
    assert!(failed.last_error.unwrap_or_default().contains("503"));
    wait_for(&mut rx, |c| {
        c.status == Status::Active && c.last_refresh > first_refresh
    })
    .await;
    assert_eq!(
        sb.grant_count("client_credentials"),
        4,
        "one grant, two failures, one success"
    );
    t.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_renewal_stops_background_work() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::with_options(|o| {
        o.backoff = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(200),
        }
    });
    short_lived(&sb, &t, 4).await;
    t.engine.start_background().unwrap();
    let mut rx = t.engine.subscribe();
    t.engine
        .token(&conn("short"), Freshness::NotDue)
        .await
        .unwrap();
    sb.inject(
        Endpoint::Token,
        Fault::OAuthError {
            status: 400,
            error: "invalid_grant".into(),
            description: "revoked".into(),
        },
        100,
    );
    wait_for(&mut rx, |c| c.status == Status::NeedsLogin).await;
    assert_eq!(
        t.engine.next_renewal(&conn("short")).await,
        None,
        "nothing is scheduled after a rejection"
    );
    t.engine.shutdown().await;
    assert_eq!(
        sb.grant_count("client_credentials"),
        2,
        "exactly one background attempt, then it stopped"
    );
}
