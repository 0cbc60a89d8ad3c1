//! The `ArcGIS` portal (protocols.md §1 and §4), one file per concern, and the plumbing they
//! share: raw answers (status, content type, exact text) and short ways to sign in.

mod generate;
mod identity;
mod oauth;
mod rotation;

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::Value;
use tokentray_sandbox::{FixedClock, Provider, Sandbox, SandboxConfig};

use crate::support::http;

/// 2023-11-14T22:13:20Z, in milliseconds: the fixed time of [`fixed_time_sandbox`].
pub(crate) const FIXED_MS: u64 = 1_700_000_000_000;

/// The demo configuration with the clock standing still at [`FIXED_MS`].
pub(crate) async fn fixed_time_sandbox() -> Sandbox {
    let clock = FixedClock(UNIX_EPOCH + Duration::from_millis(FIXED_MS));
    crate::support::start(SandboxConfig::demo().clock(clock)).await
}

/// An answer as the wire had it.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) content_type: String,
    pub(crate) location: Option<String>,
    pub(crate) text: String,
    pub(crate) json: Value,
}

impl Reply {
    pub(crate) async fn from(response: reqwest::Response) -> Self {
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|value: &reqwest::header::HeaderValue| value.to_str().unwrap().to_owned())
        };
        let content_type = header(CONTENT_TYPE).unwrap_or_default();
        let location = header(LOCATION);
        let status = response.status();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            content_type,
            location,
            text,
            json,
        }
    }

    pub(crate) fn str(&self, field: &str) -> String {
        self.json[field]
            .as_str()
            .unwrap_or_else(|| panic!("no string field {field} in {}", self.text))
            .to_owned()
    }

    /// The `error.code` of an `ArcGIS` envelope.
    pub(crate) fn error_code(&self) -> Option<u64> {
        self.json["error"]["code"].as_u64()
    }

    /// The JSON body's keys, in the order the server wrote them.
    pub(crate) fn keys(&self) -> Vec<String> {
        let text = &self.text;
        let object: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap();
        let mut keys: Vec<_> = object.keys().cloned().collect();
        keys.sort_by_key(|key| text.find(&format!("\"{key}\":")).unwrap());
        keys
    }

    pub(crate) fn is_html(&self) -> bool {
        self.content_type.starts_with("text/html")
    }
}

/// `<url>arcgis/<path>`.
pub(crate) fn portal_url(sandbox: &Sandbox, path: &str) -> String {
    format!("{}/{path}", sandbox.issuer(Provider::Arcgis))
}

pub(crate) async fn post(url: &str, form: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
    let mut request = http().post(url).form(form);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    Reply::from(request.send().await.unwrap()).await
}

pub(crate) async fn get(url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = http().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    Reply::from(request.send().await.unwrap()).await
}

/// `generateToken` as `gis-analyst`, with `f=json` and these extra parameters.
pub(crate) async fn generate(sandbox: &Sandbox, extra: &[(&str, &str)]) -> Reply {
    let mut form = vec![
        ("f", "json"),
        ("username", "gis-analyst"),
        ("password", "contours"),
        ("client", "requestip"),
    ];
    form.extend_from_slice(extra);
    post(
        &portal_url(sandbox, "sharing/rest/generateToken"),
        &form,
        &[],
    )
    .await
}

/// `oauth2/token` with `f=json`.
pub(crate) async fn oauth_token(sandbox: &Sandbox, form: &[(&str, &str)]) -> Reply {
    oauth_token_with(sandbox, form, &[]).await
}

pub(crate) async fn oauth_token_with(
    sandbox: &Sandbox,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Reply {
    let mut form = form.to_vec();
    form.push(("f", "json"));
    post(
        &portal_url(sandbox, "sharing/rest/oauth2/token"),
        &form,
        headers,
    )
    .await
}

/// `community/self?f=json` with the token in `X-Esri-Authorization`.
pub(crate) async fn community_self(sandbox: &Sandbox, token: &str) -> Reply {
    let url = portal_url(sandbox, "sharing/rest/community/self?f=json");
    get(
        &url,
        &[("x-esri-authorization", &format!("Bearer {token}"))],
    )
    .await
}

/// The authorize URL of `tt-arcgis-app` with this redirect and extra parameters.
pub(crate) fn authorize_url(
    sandbox: &Sandbox,
    redirect_uri: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut url = url::Url::parse(&portal_url(sandbox, "sharing/rest/oauth2/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "tt-arcgis-app")
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect_uri)
        .extend_pairs(extra);
    url.into()
}

/// Posts the sign-in form back to the authorize URL.
pub(crate) async fn sign_in(authorize_url: &str, username: &str, password: &str) -> Reply {
    post(
        authorize_url,
        &[("username", username), ("password", password)],
        &[],
    )
    .await
}

/// The loopback redirect every code login of these tests uses.
pub(crate) const LOOPBACK: &str = "http://127.0.0.1:53682/callback";

/// Signs `gis-analyst` in through the loopback redirect and returns the code.
pub(crate) async fn code(sandbox: &Sandbox, extra: &[(&str, &str)]) -> String {
    let reply = sign_in(
        &authorize_url(sandbox, LOOPBACK, extra),
        "gis-analyst",
        "contours",
    )
    .await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text);
    redirect_params(&reply)["code"].clone()
}

/// Signs in and exchanges the code: the token response.
pub(crate) async fn user_login(sandbox: &Sandbox) -> Reply {
    let code = code(sandbox, &[]).await;
    let reply = oauth_token(
        sandbox,
        &[
            ("client_id", "tt-arcgis-app"),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", LOOPBACK),
        ],
    )
    .await;
    assert!(reply.json["access_token"].is_string(), "{}", reply.text);
    reply
}

/// The query of a redirect's `Location`.
pub(crate) fn redirect_params(reply: &Reply) -> HashMap<String, String> {
    let location = reply.location.as_deref().expect("a Location header");
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}
