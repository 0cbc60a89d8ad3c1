//! A token the service refused, reported back (issue 10, point 6): renewed once when it is still
//! the current one (one renewal for every concurrent report, within the renewal limit), the
//! current token otherwise; `needs_login` for a kind that cannot renew. The sandbox counts the
//! provider calls; the engine's clock jumps, nothing sleeps.

use tokentray_acceptance::{TestEngine, client_credentials_api as connected, issuer};
use tokentray_engine::{Error, ErrorCode, ProviderKind, RENEWAL_WINDOW, RejectedToken};
use tokentray_sandbox::{Endpoint, Fault, Provider, Sandbox};

#[tokio::test]
async fn the_current_token_refused_is_renewed_once_and_an_old_one_gets_the_current_token() {
    let sb = Sandbox::start().await.unwrap();
    let t = connected(&sb).await;
    let grants = || sb.grant_count("client_credentials");
    let first = t.engine.token("api", None).await.unwrap();
    assert_eq!(grants(), 1);
    t.jump(RENEWAL_WINDOW.as_secs());

    let refused = RejectedToken::of(first.token.expose());
    let renewed = t
        .engine
        .token_rejected("api", &refused, None)
        .await
        .unwrap();
    assert_ne!(renewed.token.expose(), first.token.expose(), "a new token");
    assert_eq!(grants(), 2, "one renewal");
    assert_eq!(
        t.engine.token("api", None).await.unwrap().token.expose(),
        renewed.token.expose(),
        "and it is the one handed out from now on"
    );

    // The same report again (a second client that used the old token): someone renewed
    // already, so the current token, and no call to the provider.
    let again = t
        .engine
        .token_rejected("api", &refused, None)
        .await
        .unwrap();
    assert_eq!(again.token.expose(), renewed.token.expose());
    assert_eq!(grants(), 2);
}

#[tokio::test]
async fn ten_concurrent_reports_of_one_token_cause_one_renewal() {
    let sb = Sandbox::start().await.unwrap();
    let t = connected(&sb).await;
    let first = t.engine.token("api", None).await.unwrap();
    t.jump(RENEWAL_WINDOW.as_secs());
    let refused = RejectedToken::of(first.token.expose());
    let mut reports = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let engine = t.engine.clone();
        reports.spawn(async move {
            engine
                .token_rejected("api", &refused, None)
                .await
                .map(|h| h.token.expose().to_owned())
        });
    }
    let mut tokens = Vec::new();
    while let Some(done) = reports.join_next().await {
        tokens.push(done.unwrap().unwrap());
    }
    assert_eq!(
        sb.grant_count("client_credentials"),
        2,
        "one renewal for ten"
    );
    assert!(tokens.iter().all(|tk| tk == &tokens[0]), "one new token");
    assert_ne!(tokens[0], first.token.expose());
}

#[tokio::test]
async fn a_token_refused_right_after_its_renewal_is_held_back_and_not_handed_out_as_good() {
    let sb = Sandbox::start().await.unwrap();
    let t = connected(&sb).await;
    let first = t.engine.token("api", None).await.unwrap();
    let refused = RejectedToken::of(first.token.expose());
    let err = t
        .engine
        .token_rejected("api", &refused, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RejectedTooSoon { .. }), "{err}");
    assert_eq!(err.code(), ErrorCode::ProviderError);
    assert!(err.to_string().contains("30 s"), "{err}");
    assert_eq!(sb.grant_count("client_credentials"), 1, "nothing renewed");

    t.jump(RENEWAL_WINDOW.as_secs());
    let renewed = t
        .engine
        .token_rejected("api", &refused, None)
        .await
        .unwrap();
    assert_ne!(renewed.token.expose(), first.token.expose());
    assert_eq!(sb.grant_count("client_credentials"), 2);
}

#[tokio::test]
async fn arcgis_posts_the_password_again_once_per_refused_token_and_never_in_a_loop() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let portal = sb
        .issuer(Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    t.add(
        "agol",
        ProviderKind::ArcgisToken,
        &[
            ("portal_url", &portal),
            ("username", "gis-analyst"),
            ("password", "contours"),
        ],
    )
    .await;
    let posts = || sb.count(Endpoint::ArcgisGenerateToken);
    let first = t.engine.token("agol", None).await.unwrap();
    assert_eq!(posts(), 1);
    let refused = RejectedToken::of(first.token.expose());
    for _ in 0..5 {
        let err = t
            .engine
            .token_rejected("agol", &refused, None)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ProviderError, "{err}");
    }
    assert_eq!(posts(), 1, "a script retrying in a loop posts nothing");
    t.jump(RENEWAL_WINDOW.as_secs());
    let renewed = t
        .engine
        .token_rejected("agol", &refused, None)
        .await
        .unwrap();
    assert_ne!(renewed.token.expose(), first.token.expose());
    assert_eq!(posts(), 2);
}

#[tokio::test]
async fn kinds_that_cannot_renew_say_needs_login() {
    let t = TestEngine::new();
    t.add("key", ProviderKind::Static, &[("token", "static-tok")])
        .await;
    let current = RejectedToken::of("static-tok");
    let err = t
        .engine
        .token_rejected("key", &current, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NeedsLogin, "{err}");
    assert_eq!(
        err.remedy(),
        Some(tokentray_engine::Remedy::StoreSecret("token"))
    );
    assert!(
        !err.to_string().contains("tokentray "),
        "the message leaves the command to the front end: {err}"
    );
    assert!(
        tokentray_engine::contract::error::said(&err).contains("`tokentray edit key --token`"),
        "{err}"
    );
    let old = RejectedToken::of("some-older-token");
    let out = t.engine.token_rejected("key", &old, None).await.unwrap();
    assert_eq!(
        out.token.expose(),
        "static-tok",
        "not the current one: as is"
    );
}

#[tokio::test]
async fn a_refresh_token_the_provider_refuses_too_says_needs_login() {
    let sb = Sandbox::start().await.unwrap();
    let rt = sb
        .mint_refresh_token(Provider::OAuth, "demo-public", "ada")
        .unwrap();
    let t = TestEngine::new();
    t.add(
        "user",
        ProviderKind::Oauth2,
        &[
            ("issuer", &issuer(&sb)),
            ("grant", "refresh_token"),
            ("client_auth", "none"),
            ("client_id", "demo-public"),
            ("refresh_token", &rt),
        ],
    )
    .await;
    let first = t.engine.token("user", None).await.unwrap();
    t.jump(RENEWAL_WINDOW.as_secs());
    sb.inject(
        Endpoint::Token,
        Fault::OAuthError {
            status: 400,
            error: "invalid_grant".into(),
            description: "the session was revoked".into(),
        },
        1,
    );
    let refused = RejectedToken::of(first.token.expose());
    let err = t
        .engine
        .token_rejected("user", &refused, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NeedsLogin, "{err}");
    assert!(!err.to_string().contains(first.token.expose()));
}
