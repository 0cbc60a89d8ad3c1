//! The fault matrix: every misbehaviour the sandbox can inject, with and without a token that
//! is still valid. The engine must survive each with a clear status, keep serving a valid
//! token, and never quote what the provider sent.

use tokentray_acceptance::{TestEngine, client_credentials_api as connected};
use tokentray_engine::Freshness;
use tokentray_engine::testing::conn;
use tokentray_engine::{ErrorCode, ProviderKind, Status};
use tokentray_sandbox::{Endpoint, Fault, Sandbox};

fn faults(sb: &Sandbox) -> Vec<(&'static str, Fault)> {
    vec![
        ("503", Fault::Status(503)),
        ("500", Fault::Status(500)),
        ("html", Fault::Html),
        ("garbage", Fault::Garbage),
        ("oversized", Fault::Oversized),
        ("hang", Fault::Hang),
        ("429", Fault::RateLimited { retry_after: 30 }),
        (
            "oauth temporarily_unavailable",
            Fault::OAuthError {
                status: 503,
                error: "temporarily_unavailable".into(),
                description: "busy".into(),
            },
        ),
        (
            "redirect",
            Fault::Redirect(sb.url().join("elsewhere").unwrap()),
        ),
    ]
}

#[tokio::test]
async fn a_still_valid_token_is_served_through_every_fault() {
    let sb = Sandbox::start().await.unwrap();
    let t = connected(&sb).await;
    let good = t
        .engine
        .token(&conn("api"), Freshness::NotDue)
        .await
        .unwrap();
    // 3600 s tokens are renewed 300 s before expiry: move into that window, leaving room for
    // one renewal window (30 s) after each failed attempt, which holds the next one back.
    t.jump(3310);
    for (label, fault) in faults(&sb) {
        t.jump(tokentray_engine::RENEWAL_WINDOW.as_secs());
        sb.inject(Endpoint::Token, fault, 1);
        let out = t.engine.token(&conn("api"), Freshness::NotDue).await;
        let view = t.engine.view(&conn("api")).unwrap();
        if label == "redirect" {
            // A redirect is a configuration problem, not a blip: it needs a person.
            assert_eq!(view.status, Status::NeedsLogin, "{label}");
            assert!(out.is_err(), "{label}");
            break;
        }
        let out = out.unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(
            out.token.expose(),
            good.token.expose(),
            "{label}: the old token keeps being served"
        );
        assert_eq!(view.status, Status::Error, "{label}");
        let msg = view.last_error.unwrap_or_default();
        assert!(
            !msg.contains("<html") && !msg.contains("Sign in"),
            "{label}: bodies are never quoted: {msg}"
        );
    }
    assert_eq!(
        sb.count(Endpoint::Token),
        1 + faults(&sb).len(),
        "one attempt per call, no retry storm"
    );
}

#[tokio::test]
async fn without_a_valid_token_each_fault_is_a_provider_error_with_a_plain_message() {
    let sb = Sandbox::start().await.unwrap();
    let t = connected(&sb).await;
    let cases = [
        (Fault::Status(502), "HTTP 502"),
        (Fault::Html, "HTML page"),
        (Fault::Garbage, "not valid JSON"),
        (Fault::Oversized, "larger than"),
        (Fault::Hang, "did not answer"),
        (Fault::RateLimited { retry_after: 5 }, "rate limiting"),
    ];
    for (fault, words) in cases {
        sb.inject(Endpoint::Token, fault.clone(), 1);
        let err = t
            .engine
            .token(&conn("api"), Freshness::NotDue)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ProviderError, "{fault:?}: {err}");
        assert!(err.to_string().contains(words), "{fault:?}: {err}");
    }
    // The provider recovers: the next call works.
    let ok = t
        .engine
        .token(&conn("api"), Freshness::NotDue)
        .await
        .unwrap();
    assert!(!ok.token.expose().is_empty());
    assert_eq!(t.engine.view(&conn("api")).unwrap().status, Status::Active);
}

#[tokio::test]
async fn a_missing_expires_in_falls_back_to_the_jwt_expiry() {
    let sb = Sandbox::start().await.unwrap();
    let t = connected(&sb).await;
    sb.inject(Endpoint::Token, Fault::MissingExpiresIn, 1);
    let out = t
        .engine
        .token(&conn("api"), Freshness::NotDue)
        .await
        .unwrap();
    let claims = tokentray_engine::jwt_claims(out.token.expose()).unwrap();
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    let left = out.expires_at.unwrap().as_secs() - t.clock_now().as_secs();
    assert!(
        (lifetime - left).abs() <= 2,
        "the JWT's own lifetime (exp - iat) from receipt: {left} vs {lifetime}"
    );
}

#[tokio::test]
async fn a_redirecting_token_endpoint_is_never_followed() {
    let sb = Sandbox::start().await.unwrap();
    let t = connected(&sb).await;
    let target = sb.url().join("oauth/token").unwrap();
    sb.inject(Endpoint::Token, Fault::Redirect(target), 1);
    let err = t
        .engine
        .token(&conn("api"), Freshness::NotDue)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("redirect"), "{err}");
    assert_eq!(
        sb.count(Endpoint::Token),
        1,
        "the credentials were not re-sent to the redirect target"
    );
}

/// The fault matrix for every kind with a token endpoint: each fault is a transient provider
/// error with a plain message (never the body), and the next call recovers.
#[tokio::test]
#[allow(clippy::too_many_lines)] // a kinds × faults table, read top to bottom
async fn every_kind_survives_the_fault_matrix() {
    use tokentray_sandbox::Provider;
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    let portal = sb
        .issuer(Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let itk = sb.issuer(Provider::Itk).to_string();
    let keycloak = format!(
        "{}/protocol/openid-connect/token",
        sb.issuer(Provider::Keycloak).as_str().trim_end_matches('/')
    );
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
    t.add(
        "itk",
        ProviderKind::Itkpd,
        &[
            ("auth_url", &itk),
            ("api_url", sb.itk_api_url().as_str()),
            ("access_code1", "jane-code-1"),
            ("access_code2", "jane-code-2"),
        ],
    )
    .await;
    t.add(
        "cdse",
        ProviderKind::Cdse,
        &[
            ("token_url", &keycloak),
            ("grant", "password"),
            ("username", "ada"),
            ("password", "lovelace"),
        ],
    )
    .await;
    t.add(
        "app",
        ProviderKind::ArcgisOauth,
        &[
            ("portal_url", &portal),
            ("grant", "client_credentials"),
            ("client_id", "tt-arcgis-cc"),
            ("client_secret", "tt-arcgis-cc-secret"),
        ],
    )
    .await;
    let kinds = [
        ("agol", Endpoint::ArcgisGenerateToken),
        ("itk", Endpoint::ItkGrantToken),
        ("cdse", Endpoint::KeycloakToken),
        ("app", Endpoint::ArcgisOAuthToken),
    ];
    for (name, endpoint) in kinds {
        for fault in [
            Fault::Status(503),
            Fault::Html,
            Fault::Garbage,
            Fault::Oversized,
            Fault::Hang,
            Fault::RateLimited { retry_after: 5 },
        ] {
            sb.inject(endpoint, fault.clone(), 1);
            let err = t
                .engine
                .token(&conn(name), Freshness::NotDue)
                .await
                .unwrap_err();
            assert_eq!(
                err.code(),
                ErrorCode::ProviderError,
                "{name} {fault:?}: {err}"
            );
            let msg = err.to_string();
            assert!(
                !msg.contains("<html") && !msg.contains("<title"),
                "{name} {fault:?}: {msg}"
            );
        }
        let ok = t
            .engine
            .token(&conn(name), Freshness::NotDue)
            .await
            .unwrap_or_else(|e| panic!("{name} recovers: {e}"));
        assert!(!ok.token.expose().is_empty());
        assert_eq!(
            t.engine.view(&conn(name)).unwrap().status,
            Status::Active,
            "{name}"
        );
    }
}
