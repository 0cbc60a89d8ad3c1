//! No `Debug` output of a token, a secret or a login code (issue 9, point 9): every public type
//! that holds one, filled with canaries, is formatted with `{:?}` and `{:#?}`, and no canary
//! appears.

#![allow(clippy::unwrap_used)]

use std::fmt::Debug;

use tokentray_engine::{
    ConnectionName, Credentials, Edit, Handout, LoginInput, LoginPrompt, LoginRequest, LoginStart,
    LoginStep, ProviderKind, RedirectMode, Secret, Timestamp, TokenSet,
};

const CANARY: &str = "canary";

fn secret(label: &str) -> Secret {
    Secret::new(format!("{CANARY}-{label}"))
}

fn assert_clean(what: &str, value: &dyn Debug) {
    for shown in [format!("{value:?}"), format!("{value:#?}")] {
        assert!(!shown.contains(CANARY), "{what} shows a secret: {shown}");
    }
}

fn tokens() -> TokenSet {
    let mut t = TokenSet::bearer(secret("access"), Timestamp::from_secs(1_800_000_000));
    t.refresh_token = Some(secret("refresh"));
    t.id_token = Some(secret("id"));
    t
}

fn handout() -> Handout {
    Handout {
        connection: ConnectionName::new("api").unwrap(),
        kind: ProviderKind::Oauth2,
        token: secret("token"),
        token_type: "Bearer".into(),
        expires_at: Some(Timestamp::from_secs(1_800_003_600)),
        header_name: "Authorization".into(),
        header_value: Secret::new(format!("Bearer {CANARY}-token")),
        identity: None,
        referer: None,
    }
}

#[test]
fn no_public_type_shows_a_token_or_a_code_in_its_debug_output() {
    let mut credentials = Credentials::new();
    for field in [
        "password",
        "client_secret",
        "refresh_token",
        "token",
        "access_code1",
    ] {
        credentials.set(field, secret(field));
    }
    let json = handout().to_json(Timestamp::from_secs(1_800_000_000));
    assert!(
        json.access_token.contains(CANARY),
        "the canary is really in there"
    );
    let browser = LoginPrompt::Browser {
        url: format!(
            "https://idp.example/authorize?client_id=cli&state={CANARY}-state&code_challenge={CANARY}-pkce"
        ),
        redirect_uri: "http://127.0.0.1:8765/callback".into(),
        mode: RedirectMode::Loopback,
    };
    let device = LoginPrompt::Device {
        user_code: format!("{CANARY}-user-code"),
        verification_uri: "https://idp.example/device".into(),
        verification_uri_complete: Some(format!(
            "https://idp.example/device?user_code={CANARY}-user-code"
        )),
        expires_at: Timestamp::from_secs(1_800_000_600),
    };
    let start = LoginStart {
        connection: ConnectionName::new("api").unwrap(),
        prompt: browser.clone(),
        browser_opened: true,
    };
    let cases: Vec<(&str, Box<dyn Debug>)> = vec![
        ("Secret", Box::new(secret("plain"))),
        ("Credentials", Box::new(credentials.clone())),
        ("TokenSet", Box::new(tokens())),
        ("Handout", Box::new(handout())),
        ("TokenJson", Box::new(json.clone())),
        ("HeaderJson", Box::new(json.header.clone())),
        (
            "LoginRequest",
            Box::new(LoginRequest {
                totp: Some(secret("totp")),
                ..LoginRequest::default()
            }),
        ),
        (
            "LoginInput",
            Box::new(LoginInput {
                totp: Some(secret("totp")),
            }),
        ),
        ("LoginPrompt::Browser", Box::new(browser)),
        ("LoginPrompt::Device", Box::new(device.clone())),
        ("LoginStart", Box::new(start.clone())),
        ("LoginStep", Box::new(LoginStep::Waiting(start))),
        (
            "LoginStep (device)",
            Box::new(LoginStep::Waiting(LoginStart {
                connection: ConnectionName::new("api").unwrap(),
                prompt: device,
                browser_opened: false,
            })),
        ),
        (
            "Edit",
            Box::new(Edit {
                secrets: credentials,
                ..Edit::default()
            }),
        ),
    ];
    for (what, value) in &cases {
        assert_clean(what, value);
    }
}
