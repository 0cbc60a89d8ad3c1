//! The only place HTTP clients are built, and the one way responses are read: redirects never
//! followed, connect and total timeouts, a 1 MiB cap on bodies, per-connection CA file, proxy
//! and (warned) TLS verification switch.

use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode};
use url::Url;

use crate::connection::ConnectionSpec;
use crate::provider::ProviderError;

/// The most a provider response may weigh.
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;
/// How long to wait for a TCP/TLS connection.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request may take.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds the HTTP client for one connection from its `ca_file`, `proxy` and
/// `insecure_skip_verify` settings, so they apply to every call it makes.
pub(crate) fn client_for(
    spec: &ConnectionSpec,
    timeout: Duration,
) -> Result<reqwest::Client, ProviderError> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .timeout(timeout)
        .user_agent(concat!("tokentray/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = spec.text("ca_file") {
        let pem = std::fs::read(&path).map_err(|e| ProviderError::Config {
            field: "ca_file",
            reason: format!("could not read {path}: {e}"),
        })?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ProviderError::Config {
                field: "ca_file",
                reason: format!("{path} is not a PEM certificate file: {e}"),
            })?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if let Some(proxy) = spec.text("proxy") {
        let proxy = reqwest::Proxy::all(&proxy).map_err(|e| ProviderError::Config {
            field: "proxy",
            reason: format!("is not a usable proxy URL: {e}"),
        })?;
        builder = builder.proxy(proxy);
    }
    if spec.flag("insecure_skip_verify") {
        tracing::warn!(connection = %spec.name, "TLS certificate verification is switched off for this connection");
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build().map_err(|e| ProviderError::Config {
        field: "ca_file",
        reason: format!("could not set up HTTPS: {e}"),
    })
}

/// A response read into memory.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body, at most `BODY_LIMIT` bytes.
    pub body: Vec<u8>,
    /// Whether the server said the body is HTML.
    pub html: bool,
    /// `Retry-After` in seconds, when given as a number.
    pub retry_after: Option<Duration>,
    /// The `Date` header, raw.
    pub date: Option<String>,
}

fn host_of(url: &Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("?")),
        None => url.host_str().unwrap_or("?").to_owned(),
    }
}

/// A URL without its query and fragment, safe to show.
pub(crate) fn display_url(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// Sends `request` to `url` and reads the answer, mapping transport failures and redirects.
pub(crate) async fn send(request: RequestBuilder, url: &Url) -> Result<Reply, ProviderError> {
    let timeout = request
        .try_clone()
        .and_then(|r| r.build().ok())
        .and_then(|r| r.timeout().copied());
    let resp = request
        .send()
        .await
        .map_err(|e| transport_error(&e, url, timeout))?;
    let status = resp.status();
    if status.is_redirection() {
        return Err(ProviderError::Redirect {
            status: status.as_u16(),
            url: display_url(url),
        });
    }
    let header = |name: reqwest::header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let html = header(reqwest::header::CONTENT_TYPE)
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("text/html"));
    let retry_after = header(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s.min(3600)));
    let date = header(reqwest::header::DATE);
    if let Some(len) = resp.content_length()
        && len > BODY_LIMIT as u64
    {
        return Err(ProviderError::TooLarge { limit: BODY_LIMIT });
    }
    let body = read_capped(resp, url).await?;
    Ok(Reply {
        status: status.as_u16(),
        body,
        html,
        retry_after,
        date,
    })
}

async fn read_capped(mut resp: reqwest::Response, url: &Url) -> Result<Vec<u8>, ProviderError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| transport_error(&e, url, None))?
    {
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ProviderError::TooLarge { limit: BODY_LIMIT });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn transport_error(e: &reqwest::Error, url: &Url, timeout: Option<Duration>) -> ProviderError {
    let host = host_of(url);
    if e.is_timeout() {
        return ProviderError::Timeout {
            host,
            after: timeout.unwrap_or(REQUEST_TIMEOUT),
        };
    }
    // Walk to the innermost cause: it says "connection refused", "dns error", a TLS reason.
    let mut reason = String::new();
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cause {
        reason = c.to_string();
        cause = c.source();
    }
    if reason.is_empty() {
        reason = "the connection failed".into();
    }
    ProviderError::Network { host, reason }
}

impl Reply {
    /// The service's clock when it answered, from the `Date` header.
    pub(crate) fn server_time(&self) -> Option<crate::time::Timestamp> {
        let t = httpdate::parse_http_date(self.date.as_deref()?).ok()?;
        let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
        i64::try_from(secs)
            .ok()
            .map(crate::time::Timestamp::from_secs)
    }

    /// Whether the status is 2xx.
    pub(crate) fn ok(&self) -> bool {
        StatusCode::from_u16(self.status).is_ok_and(|s| s.is_success())
    }

    /// The body as a JSON object, or the right error for an HTML page or garbage.
    pub(crate) fn json_object(
        &self,
    ) -> Result<serde_json::Map<String, serde_json::Value>, ProviderError> {
        let text = self
            .body
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&self.body);
        let trimmed = text.trim_ascii_start();
        if self.html || trimmed.starts_with(b"<") {
            return Err(ProviderError::Html {
                status: self.status,
            });
        }
        if trimmed.is_empty() {
            return Err(self.garbage("the body is empty"));
        }
        match serde_json::from_slice::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            Ok(_) => Err(self.garbage("the body is JSON but not an object")),
            Err(_) => Err(self.garbage("the body is not valid JSON")),
        }
    }

    /// A `Garbage` error for this reply.
    pub(crate) fn garbage(&self, detail: &str) -> ProviderError {
        if self.status == 429 {
            return ProviderError::RateLimited {
                retry_after: self.retry_after,
            };
        }
        if !self.ok() {
            return ProviderError::Status {
                status: self.status,
            };
        }
        ProviderError::Garbage {
            status: self.status,
            detail: detail.to_owned(),
        }
    }
}
