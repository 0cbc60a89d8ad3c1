//! The renewal limit end to end (issue 9, point 8): at most one renewal per connection per
//! `RENEWAL_WINDOW`, however it is asked for, while a valid token is held; a person's refresh
//! in the app is not held back. The engine's clock jumps; nothing sleeps.

use std::time::Duration;
use tokentray_engine::Freshness;
use tokentray_engine::testing::conn;

use tokentray_acceptance::{TestEngine, client_credentials_api as connected, issuer};
use tokentray_engine::{ErrorCode, ProviderKind, RENEWAL_WINDOW, Status};
use tokentray_sandbox::{ClientConfig, Endpoint, Fault, Sandbox};

const A_YEAR: Option<Duration> = Some(Duration::from_secs(31_536_000));

#[tokio::test]
async fn forced_refreshes_and_min_valid_share_one_renewal_per_window() {
    let sb = Sandbox::start().await.unwrap();
    let t = connected(&sb).await;
    let grants = || sb.grant_count("client_credentials");
    let first = t
        .engine
        .token(&conn("api"), Freshness::from(A_YEAR))
        .await
        .unwrap();
    assert_eq!(grants(), 1);
    let obtained = t.engine.view(&conn("api")).unwrap().last_refresh.unwrap();

    let held = t.engine.refresh(&conn("api")).await.unwrap();
    assert_eq!(held.held_since, Some(obtained), "says since when");
    assert_eq!(held.view.expires_at, first.expires_at, "the current token");
    assert_eq!(grants(), 1);

    // A person's click in the app renews whatever the window says…
    t.engine.refresh_now(&conn("api")).await.unwrap();
    assert_eq!(grants(), 2);
    // …and starts a new window for everyone else.
    let renewed = t
        .engine
        .token(&conn("api"), Freshness::from(A_YEAR))
        .await
        .unwrap();
    assert_ne!(renewed.token.expose(), first.token.expose());
    assert!(
        t.engine
            .refresh(&conn("api"))
            .await
            .unwrap()
            .held_since
            .is_some()
    );
    assert_eq!(grants(), 2);

    t.jump(RENEWAL_WINDOW.as_secs());
    let done = t.engine.refresh(&conn("api")).await.unwrap();
    assert_eq!(done.held_since, None, "renewed once the window has passed");
    assert_eq!(grants(), 3);
}

#[tokio::test]
async fn a_failed_attempt_counts_while_a_valid_token_is_held() {
    let sb = Sandbox::start().await.unwrap();
    let t = connected(&sb).await;
    let good = t
        .engine
        .token(&conn("api"), Freshness::NotDue)
        .await
        .unwrap();
    t.jump(RENEWAL_WINDOW.as_secs());
    sb.inject(Endpoint::Token, Fault::Status(503), 1);
    let err = t.engine.refresh(&conn("api")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProviderError, "{err}");
    assert_eq!(sb.count(Endpoint::Token), 2);

    // Within the window of that attempt: the valid token, and no call to the provider.
    let held = t.engine.refresh(&conn("api")).await.unwrap();
    assert!(held.held_since.is_some());
    assert_eq!(
        held.view.status,
        Status::Error,
        "the failure is still shown"
    );
    let out = t
        .engine
        .token(&conn("api"), Freshness::from(A_YEAR))
        .await
        .unwrap();
    assert_eq!(out.token.expose(), good.token.expose());
    assert_eq!(sb.count(Endpoint::Token), 2, "no retry storm");

    t.jump(RENEWAL_WINDOW.as_secs());
    let out = t
        .engine
        .token(&conn("api"), Freshness::from(A_YEAR))
        .await
        .unwrap();
    assert_ne!(
        out.token.expose(),
        good.token.expose(),
        "tried again, and it worked"
    );
    assert_eq!(t.engine.view(&conn("api")).unwrap().status, Status::Active);
}

#[tokio::test]
async fn without_a_valid_token_nothing_is_held_back() {
    let sb = Sandbox::start().await.unwrap();
    let t = connected(&sb).await;
    sb.inject(Endpoint::Token, Fault::Status(503), 1);
    assert!(
        t.engine
            .token(&conn("api"), Freshness::NotDue)
            .await
            .is_err()
    );
    // Failed moments ago, but there is no token to serve instead: try again.
    t.engine
        .token(&conn("api"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(sb.count(Endpoint::Token), 2);
}

#[tokio::test]
async fn short_lived_tokens_are_still_renewed_when_due_for_a_plain_caller() {
    let sb = Sandbox::start().await.unwrap();
    sb.add_client(ClientConfig::basic("short", "short-secret").access_token_secs(20))
        .unwrap();
    let t = TestEngine::new();
    let url = format!("{}/token", issuer(&sb));
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
    let first = t
        .engine
        .token(&conn("short"), Freshness::NotDue)
        .await
        .unwrap();
    // 20 s tokens are due 5 s before they expire: within the window of their renewal.
    t.jump(16);
    let asked_for_more = t
        .engine
        .token(&conn("short"), Freshness::AtLeast(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(
        asked_for_more.token.expose(),
        first.token.expose(),
        "held: renewed 16 s ago"
    );
    assert_eq!(sb.grant_count("client_credentials"), 1);
    let plain = t
        .engine
        .token(&conn("short"), Freshness::NotDue)
        .await
        .unwrap();
    assert_ne!(
        plain.token.expose(),
        first.token.expose(),
        "due, so renewed"
    );
    assert_eq!(sb.grant_count("client_credentials"), 2);
}
