//! Test plumbing: an HTTP client that never follows redirects, and short ways to call the token
//! endpoint with each client-authentication method.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde_json::Value;
use tokentray_sandbox::{Provider, Sandbox, SandboxConfig};

/// Plain HTTP to loopback only: no redirects followed, no proxy, and no trust store (loading the
/// platform's roots would cost more than a test's whole exchange).
pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .tls_certs_only([])
        .build()
        .unwrap()
}

pub(crate) async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start_with(config).await.unwrap()
}

/// How a test presents client credentials.
#[derive(Clone, Copy)]
pub(crate) enum Auth<'a> {
    /// RFC 6749 §2.3.1 Basic: both parts form-url-encoded, then base64.
    Basic(&'a str, &'a str),
    /// `client_id` + `client_secret` in the body.
    Post(&'a str, &'a str),
    /// `client_id` only.
    Public(&'a str),
}

pub(crate) fn basic_header(id: &str, secret: &str) -> String {
    let encode =
        |part: &str| url::form_urlencoded::byte_serialize(part.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", encode(id), encode(secret));
    format!("Basic {}", STANDARD.encode(raw))
}

/// An HTTP answer: status, headers, and the body as JSON (`Value::Null` when it is not JSON).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) json: Value,
}

impl Answer {
    pub(crate) async fn from(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            json,
        }
    }

    pub(crate) fn error(&self) -> (StatusCode, &str) {
        (
            self.status,
            self.json["error"].as_str().unwrap_or("<no error field>"),
        )
    }

    pub(crate) fn description(&self) -> &str {
        self.json["error_description"].as_str().unwrap_or_default()
    }

    pub(crate) fn str(&self, field: &str) -> String {
        self.json[field]
            .as_str()
            .unwrap_or_else(|| panic!("no string field {field} in {}", self.json))
            .to_owned()
    }
}

/// The token endpoint of a provider.
pub(crate) fn token_url(sandbox: &Sandbox, provider: Provider) -> String {
    let path = match provider {
        Provider::OAuth => "token",
        Provider::Keycloak => "protocol/openid-connect/token",
        Provider::Arcgis => "sharing/rest/oauth2/token",
        Provider::Itk => unreachable!("uuIdentity's grantToken is not an OAuth token endpoint"),
    };
    format!("{}/{path}", sandbox.issuer(provider))
}

pub(crate) fn url(sandbox: &Sandbox, provider: Provider, path: &str) -> String {
    format!("{}/{path}", sandbox.issuer(provider))
}

pub(crate) async fn post_form(url: &str, auth: Auth<'_>, params: &[(&str, &str)]) -> Answer {
    let mut form: Vec<(&str, &str)> = params.to_vec();
    let mut request = http().post(url);
    match auth {
        Auth::Basic(id, secret) => {
            request = request.header(AUTHORIZATION, basic_header(id, secret));
        }
        Auth::Post(id, secret) => form.extend([("client_id", id), ("client_secret", secret)]),
        Auth::Public(id) => form.push(("client_id", id)),
    }
    Answer::from(request.form(&form).send().await.unwrap()).await
}

pub(crate) async fn token(sandbox: &Sandbox, auth: Auth<'_>, params: &[(&str, &str)]) -> Answer {
    post_form(&token_url(sandbox, Provider::OAuth), auth, params).await
}

pub(crate) async fn password_login(sandbox: &Sandbox, client: Auth<'_>) -> Answer {
    let answer = token(
        sandbox,
        client,
        &[
            ("grant_type", "password"),
            ("username", "ada"),
            ("password", "lovelace"),
        ],
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "password login: {}",
        answer.json
    );
    answer
}

pub(crate) async fn refresh(sandbox: &Sandbox, client: Auth<'_>, refresh_token: &str) -> Answer {
    token(
        sandbox,
        client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

pub(crate) fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}
