//! ArcGIS refresh semantics (quirk 6, §4.3): a refresh brings no new refresh token; an
//! exchange brings one and ends the old one with every access token obtained with it; expired
//! and unknown refresh tokens are 498 inside an HTTP 200 envelope (quirk 2); revocation.

use std::time::Duration;

use reqwest::StatusCode;
use tokentray_sandbox::{ArcgisConfig, Endpoint, Provider, Sandbox, SandboxConfig};

use super::{LOOPBACK, community_self, oauth_token, portal_url, post, user_login};
use crate::support::start;

const INVALID_REFRESH: &str = r#"{"error":{"code":498,"error":"invalid_request","error_description":"Invalid refresh_token","message":"Invalid refresh_token","details":[]}}"#;
const EXPIRED_REFRESH: &str = r#"{"error":{"code":498,"error":"invalid_request","error_description":"refresh_token expired","message":"refresh_token expired","details":[]}}"#;

async fn refresh(sandbox: &Sandbox, refresh_token: &str) -> super::Reply {
    let form = [
        ("client_id", "tt-arcgis-app"),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    oauth_token(sandbox, &form).await
}

async fn exchange(sandbox: &Sandbox, refresh_token: &str) -> super::Reply {
    let form = [
        ("client_id", "tt-arcgis-app"),
        ("grant_type", "exchange_refresh_token"),
        ("refresh_token", refresh_token),
        ("redirect_uri", LOOPBACK),
    ];
    oauth_token(sandbox, &form).await
}

#[tokio::test]
async fn a_refresh_brings_a_new_access_token_and_no_refresh_token_quirk_6() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = user_login(&sandbox).await;
    let refresh_token = login.str("refresh_token");

    let first = refresh(&sandbox, &refresh_token).await;
    assert_eq!(
        first.keys(),
        ["access_token", "expires_in", "username", "ssl"]
    );
    assert_ne!(first.str("access_token"), login.str("access_token"));
    let second = refresh(&sandbox, &refresh_token).await;
    assert!(
        second.json["access_token"].is_string(),
        "the same refresh token keeps working"
    );
    let old_access = community_self(&sandbox, &login.str("access_token")).await;
    assert_eq!(
        old_access.json["username"], "gis-analyst",
        "a refresh ends nothing"
    );
}

#[tokio::test]
async fn an_exchange_rotates_and_ends_the_old_refresh_token_and_its_access_tokens_quirk_6() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = user_login(&sandbox).await;
    let old_refresh = login.str("refresh_token");
    let from_login = login.str("access_token");
    let from_refresh = refresh(&sandbox, &old_refresh).await.str("access_token");
    for alive in [&from_login, &from_refresh] {
        assert_eq!(
            community_self(&sandbox, alive).await.json["username"],
            "gis-analyst"
        );
    }

    let exchanged = exchange(&sandbox, &old_refresh).await;
    assert_eq!(
        exchanged.keys(),
        [
            "access_token",
            "expires_in",
            "username",
            "ssl",
            "refresh_token",
            "refresh_token_expires_in"
        ]
    );
    assert_eq!(exchanged.json["expires_in"], 1800);
    let new_refresh = exchanged.str("refresh_token");
    assert_ne!(new_refresh, old_refresh);

    assert_eq!(refresh(&sandbox, &old_refresh).await.text, INVALID_REFRESH);
    assert_eq!(exchange(&sandbox, &old_refresh).await.text, INVALID_REFRESH);
    for ended in [&from_login, &from_refresh] {
        let reply = community_self(&sandbox, ended).await;
        assert_eq!(
            reply.error_code(),
            Some(498),
            "ended at once: {}",
            reply.text
        );
    }
    let fresh = community_self(&sandbox, &exchanged.str("access_token")).await;
    assert_eq!(fresh.json["username"], "gis-analyst");
    assert!(refresh(&sandbox, &new_refresh).await.json["access_token"].is_string());
    assert_eq!(sandbox.grant_count("exchange_refresh_token"), 2);
}

#[tokio::test]
async fn the_exchanged_refresh_token_gets_the_old_ones_window_length() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = user_login(&sandbox).await;
    sandbox.advance_clock(Duration::from_secs(3 * 24 * 3600));
    let exchanged = exchange(&sandbox, &login.str("refresh_token")).await;
    assert_eq!(
        exchanged.json["refresh_token_expires_in"],
        14 * 24 * 3600,
        "a full window again, three days later"
    );
}

#[tokio::test]
async fn an_exchange_needs_a_registered_redirect_uri() {
    let sandbox = Sandbox::start().await.unwrap();
    let refresh_token = user_login(&sandbox).await.str("refresh_token");
    let mut form = vec![
        ("client_id", "tt-arcgis-app"),
        ("grant_type", "exchange_refresh_token"),
        ("refresh_token", refresh_token.as_str()),
    ];
    let missing = oauth_token(&sandbox, &form).await;
    assert_eq!(missing.error_code(), Some(400));
    assert_eq!(missing.json["error"]["messageCode"], "GWM_0007");
    form.push(("redirect_uri", "https://evil.example/"));
    let wrong = oauth_token(&sandbox, &form).await;
    assert_eq!(
        wrong.json["error"]["error_description"],
        "Invalid redirect_uri"
    );
    assert!(
        refresh(&sandbox, &refresh_token).await.json["access_token"].is_string(),
        "a refused exchange ends nothing"
    );
}

#[tokio::test]
async fn an_expired_refresh_token_is_498_refresh_token_expired_quirk_2() {
    let config = SandboxConfig::demo().arcgis(ArcgisConfig::demo().refresh_token_secs(600));
    let sandbox = start(config).await;
    let login = user_login(&sandbox).await;
    assert_eq!(login.json["refresh_token_expires_in"], 600);

    sandbox.advance_clock(Duration::from_secs(599));
    assert!(refresh(&sandbox, &login.str("refresh_token")).await.json["access_token"].is_string());
    sandbox.advance_clock(Duration::from_secs(1));
    let expired = refresh(&sandbox, &login.str("refresh_token")).await;
    assert_eq!(expired.status, StatusCode::OK);
    assert_eq!(expired.text, EXPIRED_REFRESH);
    assert_eq!(
        exchange(&sandbox, &login.str("refresh_token")).await.text,
        EXPIRED_REFRESH
    );
}

#[tokio::test]
async fn a_refresh_token_of_another_app_or_unknown_is_invalid() {
    let sandbox = Sandbox::start().await.unwrap();
    let refresh_token = user_login(&sandbox).await.str("refresh_token");
    let form = [
        ("client_id", "tt-arcgis-cc"),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
    ];
    assert_eq!(oauth_token(&sandbox, &form).await.text, INVALID_REFRESH);
    assert_eq!(refresh(&sandbox, "made-up").await.text, INVALID_REFRESH);
}

#[tokio::test]
async fn revoke_token_always_succeeds_and_ends_a_refresh_token() {
    let sandbox = Sandbox::start().await.unwrap();
    let login = user_login(&sandbox).await;
    let url = portal_url(&sandbox, "sharing/rest/oauth2/revokeToken");
    let revoke = |token: String| {
        let url = url.clone();
        async move {
            let form = [
                ("client_id", "tt-arcgis-app"),
                ("auth_token", token.as_str()),
                ("f", "json"),
            ];
            post(&url, &form, &[]).await
        }
    };

    assert_eq!(
        revoke(login.str("refresh_token")).await.text,
        r#"{"success":true}"#
    );
    assert_eq!(
        revoke("never-issued".into()).await.text,
        r#"{"success":true}"#
    );
    assert_eq!(
        refresh(&sandbox, &login.str("refresh_token")).await.text,
        INVALID_REFRESH
    );
    let access = community_self(&sandbox, &login.str("access_token")).await;
    assert_eq!(
        access.error_code(),
        Some(498),
        "its access tokens end with it"
    );
    assert_eq!(sandbox.count(Endpoint::ArcgisRevoke), 2);
}

#[tokio::test]
async fn a_minted_refresh_token_works_like_one_from_a_login() {
    let sandbox = Sandbox::start().await.unwrap();
    let minted = sandbox
        .mint_refresh_token(Provider::Arcgis, "tt-arcgis-app", "gis-viewer")
        .unwrap();
    assert_eq!(
        refresh(&sandbox, &minted).await.json["username"],
        "gis-viewer"
    );
    assert!(
        sandbox
            .mint_refresh_token(Provider::Arcgis, "nobody", "gis-viewer")
            .is_none()
    );
    assert!(
        sandbox
            .mint_refresh_token(Provider::Itk, "x", "y")
            .is_none()
    );
}

#[tokio::test]
async fn a_portal_can_leave_out_refresh_token_expires_in_and_still_end_the_token() {
    let config = SandboxConfig::demo().arcgis(
        ArcgisConfig::demo()
            .refresh_token_secs(600)
            .omit_refresh_token_expires_in(true),
    );
    let sandbox = start(config).await;
    let login = user_login(&sandbox).await;
    assert!(login.json["refresh_token"].is_string());
    assert!(
        login.json.get("refresh_token_expires_in").is_none(),
        "{}",
        login.text
    );
    let swapped = exchange(&sandbox, &login.str("refresh_token")).await;
    assert!(swapped.json["refresh_token"].is_string());
    assert!(swapped.json.get("refresh_token_expires_in").is_none());
    sandbox.advance_clock(Duration::from_secs(600));
    assert_eq!(
        refresh(&sandbox, &swapped.str("refresh_token")).await.text,
        EXPIRED_REFRESH,
        "the refresh token still dies when it would have"
    );
}

#[tokio::test]
async fn a_portal_can_refuse_exchanges_while_refreshes_keep_working() {
    let config = SandboxConfig::demo().arcgis(ArcgisConfig::demo().refuse_exchange(true));
    let sandbox = start(config).await;
    let login = user_login(&sandbox).await;
    let refused = exchange(&sandbox, &login.str("refresh_token")).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert_eq!(refused.json["error"]["code"], 500, "{}", refused.text);
    assert!(
        refresh(&sandbox, &login.str("refresh_token")).await.json["access_token"].is_string(),
        "the refused exchange ended nothing"
    );
}
