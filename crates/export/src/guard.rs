//! The gatekeeping in front of every route, as one tower layer that answers a refused request
//! itself. In order: the exact `Host` allowlist (DNS rebinding, T16), browser-shaped and
//! proxied requests (T17, T22), preflights, the export key (T18), and the body size (R20).
//! A request meets the next check only when it passed the one before, so each refusal tells an
//! unauthenticated caller no more than the checks before it already did. Every answer, refused
//! or not, gets `Cache-Control: no-store`, `Pragma: no-cache` and `X-Content-Type-Options:
//! nosniff` (T23).
//!
//! The layer wraps the whole router, so a request that passed every check and asks for a token
//! the engine has at hand is answered here, before routing (see `routes::token_at_hand`); any
//! other request goes on to the router.

use std::sync::Arc;
use std::task::{Context, Poll};

use axum::http::{HeaderMap, HeaderValue, Method, Request, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use futures_util::future::{Either, Map, Ready, ready};
use tokentray_engine::{Secret, constant_time_eq};
use tower::{Layer, Service};

use crate::app::App;
use crate::error::ApiError;

/// The largest request body accepted, in bytes. No route reads a body today; a small cap keeps
/// a misbehaving client from making the server buffer one.
pub(crate) const MAX_BODY_BYTES: u64 = 4 * 1024;

/// What a check sees of a request: its head, never its body.
#[derive(Clone, Copy)]
pub(crate) struct Head<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
}

/// The gatekeeping layer of an endpoint listening on 127.0.0.1:`port` with `key`.
#[derive(Clone)]
pub(crate) struct Gate(Arc<GateInner>);

struct GateInner {
    /// The `Host` values allowed; `None` on the daemon socket, which no browser can reach.
    hosts: Option<[String; 2]>,
    /// The export key; `None` on the daemon socket, whose peers are checked by uid instead.
    key: Option<Secret>,
    app: App,
}

impl Gate {
    pub(crate) fn new(port: u16, key: Secret, app: App) -> Self {
        Self(Arc::new(GateInner {
            hosts: Some([format!("127.0.0.1:{port}"), format!("localhost:{port}")]),
            key: Some(key),
            app,
        }))
    }

    /// The gate of the daemon socket: no `Host` or key check (the accept loop lets in only
    /// this user's processes), the other checks as on the HTTP endpoint.
    pub(crate) fn local(app: App) -> Self {
        Self(Arc::new(GateInner {
            hosts: None,
            key: None,
            app,
        }))
    }

    /// Every check, in order.
    fn check(&self, head: Head<'_>) -> Result<(), ApiError> {
        if let Some(hosts) = &self.0.hosts {
            host(hosts, head)?;
        }
        not_browser(head)?;
        not_preflight(head)?;
        if let Some(expected) = &self.0.key {
            key(expected, head)?;
        }
        small_body(head)
    }
}

impl<S> Layer<S> for Gate {
    type Service = Gated<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Gated {
            inner,
            gate: self.clone(),
        }
    }
}

/// The service a [`Gate`] wraps around the routes.
#[derive(Clone)]
pub(crate) struct Gated<S> {
    inner: S,
    gate: Gate,
}

type Answered<E> = Ready<Result<Response, E>>;
type HardenFn<E> = fn(Result<Response, E>) -> Result<Response, E>;
type Hardened<F, E> = Map<F, HardenFn<E>>;

impl<S, B> Service<Request<B>> for Gated<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<Answered<S::Error>, Hardened<S::Future, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let head = Head {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
        };
        let response = match self.gate.check(head) {
            Ok(()) => {
                let Some(response) = crate::routes::token_at_hand(&self.gate.0.app, &request)
                else {
                    let hardened: HardenFn<S::Error> = |r| r.map(harden);
                    return Either::Right(self.inner.call(request).map(hardened));
                };
                response
            }
            Err(refusal) => {
                // The code only: header values may be secrets or an attacker's bait.
                tracing::debug!(code = refusal.code(), "request refused");
                refusal.into_response()
            }
        };
        Either::Left(ready(Ok(harden(response))))
    }
}

/// The headers of every answer.
fn harden(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Exactly one `Host`, equal (ASCII case-insensitively, byte for byte, no parsing) to
/// `127.0.0.1:<port>` or `localhost:<port>`, and an origin-form target (`/v1/…`, not
/// `http://host/v1/…`).
fn host(allowed: &[String; 2], head: Head<'_>) -> Result<(), ApiError> {
    let mut hosts = head.headers.get_all(header::HOST).iter();
    let named = match (hosts.next(), hosts.next()) {
        (Some(h), None) => allowed
            .iter()
            .any(|a| h.as_bytes().eq_ignore_ascii_case(a.as_bytes())),
        _ => false,
    };
    let origin_form = head.uri.scheme().is_none() && head.uri.authority().is_none();
    if named && origin_form {
        Ok(())
    } else {
        Err(ApiError::Misdirected)
    }
}

/// No header a browser or a proxy adds: `Origin`, `Sec-Fetch-*`, `Access-Control-Request-*`,
/// `Forwarded`, `X-Forwarded-*`, `Via`. Scripts and the CLI never send them.
fn not_browser(head: Head<'_>) -> Result<(), ApiError> {
    let browser_or_proxy = head.headers.keys().any(|name| {
        let n = name.as_str();
        n == "origin"
            || n == "forwarded"
            || n == "via"
            || n.starts_with("sec-fetch-")
            || n.starts_with("access-control-request-")
            || n.starts_with("x-forwarded-")
    });
    if browser_or_proxy {
        Err(ApiError::Forbidden)
    } else {
        Ok(())
    }
}

/// No `OPTIONS`: a preflight is never answered positively.
fn not_preflight(head: Head<'_>) -> Result<(), ApiError> {
    if head.method == Method::OPTIONS {
        Err(ApiError::Forbidden)
    } else {
        Ok(())
    }
}

/// Exactly one `Authorization: Bearer <key>` (the scheme case-insensitive, the key exact and
/// compared in constant time).
fn key(expected: &Secret, head: Head<'_>) -> Result<(), ApiError> {
    let mut values = head.headers.get_all(header::AUTHORIZATION).iter();
    match (values.next(), values.next()) {
        (Some(v), None) if bearer_matches(v.as_bytes(), expected.expose().as_bytes()) => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}

fn bearer_matches(value: &[u8], key: &[u8]) -> bool {
    let Some(space) = value.iter().position(|b| *b == b' ') else {
        return false;
    };
    let (scheme, given) = (&value[..space], &value[space + 1..]);
    !key.is_empty() && scheme.eq_ignore_ascii_case(b"bearer") && constant_time_eq(given, key)
}

/// A body, if any, announced by a `Content-Length` within [`MAX_BODY_BYTES`]; chunked bodies are
/// refused, since their size is unknown until read.
fn small_body(head: Head<'_>) -> Result<(), ApiError> {
    if head.headers.contains_key(header::TRANSFER_ENCODING) {
        return Err(ApiError::TooLarge);
    }
    let within = head
        .headers
        .get_all(header::CONTENT_LENGTH)
        .iter()
        .all(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .is_some_and(|n| n <= MAX_BODY_BYTES)
        });
    if within {
        Ok(())
    } else {
        Err(ApiError::TooLarge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_the_key_exact() {
        let key = b"k3y";
        assert!(bearer_matches(b"Bearer k3y", key));
        assert!(bearer_matches(b"bearer k3y", key));
        assert!(bearer_matches(b"BEARER k3y", key));
        assert!(!bearer_matches(b"Bearer k3y ", key), "trailing space");
        assert!(!bearer_matches(b"Bearer  k3y", key), "two spaces");
        assert!(!bearer_matches(b"Bearer k3", key), "a prefix");
        assert!(!bearer_matches(b"Basic k3y", key));
        assert!(!bearer_matches(b"Bearerk3y", key));
        assert!(
            !bearer_matches(b"Bearer ", b""),
            "an empty key never matches"
        );
    }
}
