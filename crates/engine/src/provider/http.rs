//! The only place HTTP clients are built, and the one way responses are read: redirects never
//! followed, connect and total timeouts, a 1 MiB cap on bodies, per-connection CA file, proxy
//! (else the environment's, never for loopback) and (warned) TLS verification switch; a refused
//! certificate becomes a [`BadCertificate`] that names the CA file or how to set one.

use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode};
use url::Url;

use super::{BadCertificate, CertProblem, ProviderError};
use crate::connection::ConnectionSpec;

/// The most a provider response may weigh.
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;
/// How long to wait for a TCP/TLS connection.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request may take.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The default log filter of the front ends: warnings, without the TLS libraries' own lines
/// (a refused certificate is reported once, as the connection's error, saying what to do).
pub const DEFAULT_LOG_FILTER: &str = "warn,rustls=off,rustls_platform_verifier=off";

/// Destinations a proxy from the environment never gets: this machine's own services.
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type MakeProxy = fn(String) -> reqwest::Result<reqwest::Proxy>;

/// The warning to show wherever a connection is shown, when it does not verify certificates.
pub fn insecure_warning(spec: &ConnectionSpec) -> Option<String> {
    spec.typed().common.insecure_skip_verify.then(|| {
        format!(
            "{} does not verify TLS certificates (insecure_skip_verify): anyone on the network path can read its tokens; give it the service's CA certificate (ca_file) and turn insecure_skip_verify off",
            spec.name
        )
    })
}

/// The connection a client belongs to, carried on its connection errors so that a refused
/// certificate can be reported with the connection's `ca_file` (see [`transport_error`]).
#[derive(Debug)]
struct TlsSettings {
    connection: String,
    ca_file: Option<String>,
}

/// A connection failure tagged with the [`TlsSettings`] of the client that made it.
#[derive(Debug)]
struct Tagged {
    tls: std::sync::Arc<TlsSettings>,
    source: BoxError,
}

impl std::fmt::Display for Tagged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for Tagged {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// Builds the HTTP client for one connection from its `ca_file`, `proxy` and
/// `insecure_skip_verify` settings, so they apply to every call it makes. Without `proxy`,
/// `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` (or their lowercase forms) apply, except
/// to loopback addresses.
pub(crate) fn client_for(
    spec: &ConnectionSpec,
    timeout: Duration,
) -> Result<reqwest::Client, ProviderError> {
    let common = &spec.typed().common;
    let ca_file = common.ca_file.clone();
    let tls = std::sync::Arc::new(TlsSettings {
        connection: spec.name.to_string(),
        ca_file: ca_file.clone(),
    });
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .timeout(timeout)
        .user_agent(concat!("tokentray/", env!("CARGO_PKG_VERSION")))
        .connector_layer(tower::util::MapErrLayer::new(
            move |source: BoxError| -> BoxError {
                Box::new(Tagged {
                    tls: tls.clone(),
                    source,
                })
            },
        ));
    if let Some(path) = ca_file {
        let pem = std::fs::read(&path).map_err(|e| ProviderError::Config {
            field: "ca_file",
            reason: format!("could not read {path}: {e}"),
        })?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ProviderError::Config {
                field: "ca_file",
                reason: format!("{path} is not a PEM certificate file: {e}"),
            })?;
        if certs.is_empty() {
            return Err(ProviderError::Config {
                field: "ca_file",
                reason: format!("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
            });
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    // Only our own proxies: reqwest's automatic ones would also proxy loopback.
    builder = builder.no_proxy();
    let proxies = match &common.proxy {
        Some(proxy) => vec![
            reqwest::Proxy::all(proxy).map_err(|e| ProviderError::Config {
                field: "proxy",
                reason: format!("is not a usable proxy URL: {e}"),
            })?,
        ],
        None => env_proxies(|name| std::env::var(name).ok())?,
    };
    if !proxies.is_empty() {
        // Proxies such as tinyproxy answer HTTP/1.1 without `Connection: close` and then close
        // the connection anyway: a pooled connection reused a moment later fails mid-request
        // ("connection closed before message completed"). Token calls are rare; a new
        // connection each time costs little and never races.
        builder = builder.pool_max_idle_per_host(0);
    }
    for proxy in proxies {
        builder = builder.proxy(proxy);
    }
    if common.insecure_skip_verify {
        tracing::warn!(connection = %spec.name, "TLS certificate verification is switched off for this connection");
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build().map_err(|e| ProviderError::Config {
        field: "ca_file",
        reason: format!("could not set up HTTPS: {e}"),
    })
}

/// The proxies the environment asks for, as curl reads them: `HTTPS_PROXY` for https,
/// `HTTP_PROXY` for http (ignored in a CGI script, where a client can set it), `ALL_PROXY` for
/// both, uppercase before lowercase; `NO_PROXY` and loopback addresses go direct.
fn env_proxies(var: impl Fn(&str) -> Option<String>) -> Result<Vec<reqwest::Proxy>, ProviderError> {
    let first = |names: [&'static str; 2]| {
        names
            .into_iter()
            .find_map(|n| var(n).filter(|v| !v.trim().is_empty()))
            .map(|v| (names[0], v))
    };
    let no_proxy = first(["NO_PROXY", "no_proxy"])
        .map_or_else(|| LOOPBACK.to_owned(), |(_, v)| format!("{v},{LOOPBACK}"));
    let cgi = var("REQUEST_METHOD").is_some();
    let wanted: [(Option<(&str, String)>, MakeProxy); 3] = [
        (first(["HTTPS_PROXY", "https_proxy"]), reqwest::Proxy::https),
        (
            first(["HTTP_PROXY", "http_proxy"]).filter(|_| !cgi),
            reqwest::Proxy::http,
        ),
        (first(["ALL_PROXY", "all_proxy"]), reqwest::Proxy::all),
    ];
    let mut proxies = Vec::new();
    for (found, make) in wanted {
        let Some((name, url)) = found else { continue };
        let proxy = make(url).map_err(|e| ProviderError::Config {
            field: "proxy",
            reason: format!(
                "{name} in the environment is not a usable proxy URL ({e}); fix or unset it, or set the connection's own proxy"
            ),
        })?;
        proxies.push(proxy.no_proxy(reqwest::NoProxy::from_string(&no_proxy)));
    }
    Ok(proxies)
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
    let mut tls: Option<&TlsSettings> = None;
    let mut problem = None;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        reason = c.to_string();
        if let Some(tagged) = c.downcast_ref::<Tagged>() {
            tls = Some(&tagged.tls);
        }
        problem = problem.or_else(|| certificate_problem(c));
        cause = c.source();
    }
    if let Some(problem) = problem {
        return ProviderError::Certificate(Box::new(BadCertificate {
            host,
            problem,
            ca_file: tls.and_then(|t| t.ca_file.clone()),
            connection: tls.map_or_else(|| "NAME".to_owned(), |t| t.connection.clone()),
        }));
    }
    if reason.is_empty() {
        reason = "the connection failed".into();
    }
    ProviderError::Network { host, reason }
}

/// What the TLS verifier refused in a certificate, if `e` is its refusal.
fn certificate_problem(e: &(dyn std::error::Error + 'static)) -> Option<CertProblem> {
    use rustls::CertificateError as C;
    // The TLS stream reports it as an I/O error, sometimes wrapped in another one, whose
    // `source()` skips what it wraps: unwrap them by hand.
    let mut e = e;
    while let Some(io) = e.downcast_ref::<std::io::Error>() {
        e = io.get_ref()?;
    }
    let tls = e.downcast_ref::<rustls::Error>()?;
    let rustls::Error::InvalidCertificate(cert) = tls else {
        return None;
    };
    Some(match cert {
        C::UnknownIssuer => CertProblem::Untrusted,
        C::Expired | C::ExpiredContext { .. } => CertProblem::Expired,
        C::NotValidYet | C::NotValidYetContext { .. } => CertProblem::NotYetValid,
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            CertProblem::WrongName(cert.to_string())
        }
        C::Revoked => CertProblem::Revoked,
        other => CertProblem::Invalid(other.to_string()),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_come_from_the_environment_and_a_bad_one_is_named() {
        let none = env_proxies(|_| None).unwrap();
        assert!(none.is_empty());
        let env = |name: &str| match name {
            "https_proxy" => Some("http://127.0.0.1:3128".to_owned()),
            "HTTP_PROXY" => Some("http://127.0.0.1:3129".to_owned()),
            _ => None,
        };
        assert_eq!(env_proxies(env).unwrap().len(), 2);
        // In a CGI script a client sets HTTP_PROXY (the `Proxy:` header): never used there.
        let cgi = |name: &str| match name {
            "REQUEST_METHOD" => Some("GET".to_owned()),
            other => env(other),
        };
        assert_eq!(env_proxies(cgi).unwrap().len(), 1);
        let bad = |name: &str| (name == "ALL_PROXY").then(|| "::not a url::".to_owned());
        let e = env_proxies(bad).unwrap_err().to_string();
        assert!(e.contains("ALL_PROXY in the environment"), "{e}");
    }

    /// A proxy like tinyproxy: it answers HTTP/1.1 without `Connection: close`, then drops a
    /// connection used again (what its close racing a reuse looks like, made certain).
    async fn one_answer_per_connection_proxy() -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = vec![0; 4096];
                    if matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {
                        let body = "{}";
                        let reply = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = socket.write_all(reply.as_bytes()).await;
                    }
                    // A second request on this connection is never answered.
                    let _ = socket.read(&mut buf).await;
                });
            }
        });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn through_a_proxy_each_call_takes_a_new_connection() {
        use crate::connection::{ConnectionName, ProviderKind, Value};
        let proxy = one_answer_per_connection_proxy().await;
        let mut spec = ConnectionSpec::new(ConnectionName::new("p").unwrap(), ProviderKind::Oauth2);
        spec.settings.insert("proxy", Value::Text(proxy));
        let client = client_for(&spec, Duration::from_secs(5)).unwrap();
        for call in 0..3 {
            let status = client
                .get("http://service.invalid/token")
                .send()
                .await
                .unwrap_or_else(|e| panic!("call {call}: {e}"))
                .status();
            assert_eq!(status, 200, "call {call}");
        }
    }
}
