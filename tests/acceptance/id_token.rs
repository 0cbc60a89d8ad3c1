//! ID tokens are validated before their claims are used: ITk's `id_token` (the bearer itself)
//! against the keys uuIdentity publishes at `<auth_url>listKeys` (protocols.md §2.4), fetched
//! once and kept; the OpenID kinds' against their issuer's JWKS (see also `dot.rs`).

use tokentray_acceptance::TestEngine;
use tokentray_engine::Freshness;
use tokentray_engine::testing::conn;
use tokentray_engine::{Error, IdTokenCheck, ProviderError, ProviderKind, Status};
use tokentray_sandbox::{Endpoint, Provider, Sandbox};

async fn itk(t: &TestEngine, sb: &Sandbox, name: &str, extra: &[(&str, &str)]) {
    let auth = sb.issuer(Provider::Itk).to_string();
    let mut fields = vec![
        ("auth_url", auth.as_str()),
        ("access_code1", "jane-code-1"),
        ("access_code2", "jane-code-2"),
    ];
    fields.extend_from_slice(extra);
    t.add(name, ProviderKind::Itkpd, &fields).await;
}

#[tokio::test]
async fn the_itk_id_token_is_checked_with_the_published_keys_fetched_once() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    itk(&t, &sb, "itk", &[]).await;
    t.engine
        .token(&conn("itk"), Freshness::NotDue)
        .await
        .unwrap();
    assert_eq!(sb.count(Endpoint::ItkListKeys), 1, "listKeys was read");
    let view = t.engine.view(&conn("itk")).unwrap();
    assert_eq!(view.status, Status::Active);
    assert_eq!(
        view.identity.map(|i| i.subject).as_deref(),
        Some("1-2345-1")
    );
    // A second connection, a renewal: the keys are kept.
    itk(&t, &sb, "itk-too", &[]).await;
    t.engine
        .token(&conn("itk-too"), Freshness::NotDue)
        .await
        .unwrap();
    t.engine.refresh_now(&conn("itk")).await.unwrap();
    assert_eq!(sb.count(Endpoint::ItkListKeys), 1, "the key set is cached");
}

#[tokio::test]
async fn an_itk_id_token_for_another_audience_is_refused_and_nothing_is_stored() {
    let sb = Sandbox::start().await.unwrap();
    let t = TestEngine::new();
    itk(&t, &sb, "itk", &[("audience", "https://other-api.example")]).await;
    let e = t
        .engine
        .token(&conn("itk"), Freshness::NotDue)
        .await
        .unwrap_err();
    match &e {
        Error::Provider {
            source: ProviderError::IdToken { check, .. },
            ..
        } => assert_eq!(*check, IdTokenCheck::Audience),
        other => panic!("an ID token failure, got {other:?}"),
    }
    assert!(e.to_string().contains("aud check failed"), "{e}");
    assert_ne!(t.engine.view(&conn("itk")).unwrap().status, Status::Active);
}
