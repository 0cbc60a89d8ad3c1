//! The gatekeeping in front of every route, as tower layers that answer a refused request
//! themselves. In order: the exact `Host` allowlist (DNS rebinding, T16), browser-shaped and
//! proxied requests (T17, T22), preflights, the export key (T18), and the body size (R20).
//! A request meets the next check only when it passed the one before, so each refusal tells an
//! unauthenticated caller no more than the checks before it already did.

use std::sync::Arc;
use std::task::{Context, Poll};

use axum::http::{HeaderMap, Method, Request, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::{Either, Ready, ready};
use tokentray_engine::{Secret, constant_time_eq};
use tower::{Layer, Service};

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

/// A layer that runs `check` on each request's head and answers a refused request itself.
#[derive(Clone)]
pub(crate) struct Check<F>(F);

impl<F> Check<F>
where
    F: for<'a> Fn(Head<'a>) -> Result<(), ApiError>,
{
    pub(crate) fn new(check: F) -> Self {
        Self(check)
    }
}

impl<S, F: Clone> Layer<S> for Check<F> {
    type Service = Checked<S, F>;

    fn layer(&self, inner: S) -> Self::Service {
        Checked {
            inner,
            check: self.0.clone(),
        }
    }
}

/// The service a [`Check`] wraps around the routes.
#[derive(Clone)]
pub(crate) struct Checked<S, F> {
    inner: S,
    check: F,
}

impl<S, F, B> Service<Request<B>> for Checked<S, F>
where
    S: Service<Request<B>, Response = Response>,
    F: for<'a> Fn(Head<'a>) -> Result<(), ApiError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let head = Head {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
        };
        match (self.check)(head) {
            Ok(()) => Either::Right(self.inner.call(request)),
            Err(refusal) => {
                // The code only: header values may be secrets or an attacker's bait.
                tracing::debug!(code = refusal.code(), "request refused");
                Either::Left(ready(Ok(refusal.into_response())))
            }
        }
    }
}

/// Exactly one `Host`, equal (ASCII case-insensitively, byte for byte, no parsing) to
/// `127.0.0.1:<port>` or `localhost:<port>`, and an origin-form target (`/v1/…`, not
/// `http://host/v1/…`).
pub(crate) fn host(port: u16) -> impl for<'a> Fn(Head<'a>) -> Result<(), ApiError> + Clone {
    let allowed: Arc<[String]> = [format!("127.0.0.1:{port}"), format!("localhost:{port}")].into();
    move |head| {
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
}

/// No header a browser or a proxy adds: `Origin`, `Sec-Fetch-*`, `Access-Control-Request-*`,
/// `Forwarded`, `X-Forwarded-*`, `Via`. Scripts and the CLI never send them.
pub(crate) fn not_browser(head: Head<'_>) -> Result<(), ApiError> {
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
pub(crate) fn not_preflight(head: Head<'_>) -> Result<(), ApiError> {
    if head.method == Method::OPTIONS {
        Err(ApiError::Forbidden)
    } else {
        Ok(())
    }
}

/// Exactly one `Authorization: Bearer <key>` (the scheme case-insensitive, the key exact and
/// compared in constant time).
pub(crate) fn key(key: Secret) -> impl for<'a> Fn(Head<'a>) -> Result<(), ApiError> + Clone {
    let expected = Arc::new(key);
    move |head| {
        let mut values = head.headers.get_all(header::AUTHORIZATION).iter();
        match (values.next(), values.next()) {
            (Some(v), None) if bearer_matches(v.as_bytes(), expected.expose().as_bytes()) => Ok(()),
            _ => Err(ApiError::Unauthorized),
        }
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
pub(crate) fn small_body(head: Head<'_>) -> Result<(), ApiError> {
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
