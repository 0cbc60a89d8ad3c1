//! The one-shot redirect receiver for browser logins (RFC 8252 §7.3): an HTTP listener on
//! loopback (never a name resolved elsewhere, never all interfaces) that waits for the callback
//! carrying the pending login's `state`, answers the browser with a small self-contained page,
//! and closes. By default it listens on `127.0.0.1` at `/callback`; with a registered
//! `redirect_uri` it serves exactly that URI: its address (for `localhost` both `127.0.0.1` and
//! `[::1]`, so no other program can take the half the browser may try first), its port and
//! only its path. A callback with another `state` is answered and ignored, so a forged request
//! cannot end the user's login; one carrying `error=` ends it with that error.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::fields::{LoopbackHost, RedirectSettings, RedirectUri};
use crate::login::{Callback, CallbackOutcome, IssCheck};
use crate::secret::Secret;

/// A listener waiting for one callback.
pub(crate) struct Loopback {
    /// The redirect URI to register with the authorize request.
    pub redirect_uri: String,
    stop: CancellationToken,
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

struct Shared {
    state: Secret,
    iss: IssCheck,
    /// The `Host` headers a browser may send (lowercase).
    hosts: Vec<String>,
    /// The one path answered.
    path: String,
    done: Mutex<Option<mpsc::Sender<CallbackOutcome>>>,
    stop: CancellationToken,
}

/// Where to listen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// `http://127.0.0.1:<port>/callback`, on any free port when 0.
    Default { port: u16 },
    /// A registered redirect URI, served exactly.
    Registered(RedirectUri),
}

impl Target {
    /// The target of a connection's redirect settings: its `redirect_uri` when set, else
    /// `redirect_port` (0 = any).
    pub(crate) fn of(redirect: &RedirectSettings) -> Self {
        match &redirect.uri {
            Some(uri) => Self::Registered(uri.clone()),
            None => Self::Default {
                port: redirect.port,
            },
        }
    }
}

/// Why the listener could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoopbackError {
    #[error(
        "port {port} on 127.0.0.1 is busy; close the program using it, or set redirect_port to 0 to use any free port (if the service allows any loopback port)"
    )]
    Busy { port: u16 },
    #[error(
        "port {port} on {addr} is busy, so Tokentray cannot receive the login at the registered redirect URI {uri}; close the program using port {port} and log in again"
    )]
    RegisteredBusy {
        port: u16,
        addr: IpAddr,
        uri: String,
    },
    #[error("could not listen on {addr}: {source}")]
    Other {
        addr: IpAddr,
        source: std::io::Error,
    },
    #[error(
        "this computer has no IPv6 loopback address, so the redirect URI {uri} cannot be served; register one with 127.0.0.1 or localhost"
    )]
    NoIpv6 { uri: String },
}

/// Whether binding failed because the address family or address does not exist here.
fn unavailable(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::AddrNotAvailable
        || matches!(
            e.raw_os_error(),
            Some(97 /* EAFNOSUPPORT */ | 99 /* EADDRNOTAVAIL */)
        )
}

/// What a target was bound as: listeners, the `Host` headers a browser sends, the one path
/// answered and the redirect URI.
type Bound = (Vec<tokio::net::TcpListener>, Vec<String>, String, String);

async fn bind_default(port: u16) -> Result<Bound, LoopbackError> {
    let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let other = |e| LoopbackError::Other {
        addr: v4,
        source: e,
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(v4, port))
        .await
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                LoopbackError::Busy { port }
            } else {
                other(e)
            }
        })?;
    let bound = listener.local_addr().map_err(other)?.port();
    Ok((
        vec![listener],
        vec![format!("127.0.0.1:{bound}")],
        "/callback".to_owned(),
        format!("http://127.0.0.1:{bound}/callback"),
    ))
}

async fn bind_registered(uri: &RedirectUri) -> Result<Bound, LoopbackError> {
    let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
    let addrs: &[IpAddr] = match uri.host {
        LoopbackHost::V4 => &[v4],
        LoopbackHost::V6 => &[v6],
        LoopbackHost::Localhost => &[v4, v6],
    };
    let mut listeners = Vec::new();
    for &addr in addrs {
        match tokio::net::TcpListener::bind(SocketAddr::new(addr, uri.port)).await {
            Ok(l) => listeners.push(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                return Err(LoopbackError::RegisteredBusy {
                    port: uri.port,
                    addr,
                    uri: uri.raw.clone(),
                });
            }
            // `localhost` without IPv6 here: the browser cannot reach [::1] either.
            Err(e) if addr.is_ipv6() && unavailable(&e) => {
                if uri.host == LoopbackHost::V6 {
                    return Err(LoopbackError::NoIpv6 {
                        uri: uri.raw.clone(),
                    });
                }
            }
            Err(e) => return Err(LoopbackError::Other { addr, source: e }),
        }
    }
    let mut hosts = vec![uri.host_header()];
    if uri.port == 80 {
        hosts.push(uri.host_header().trim_end_matches(":80").to_owned());
    }
    Ok((listeners, hosts, uri.path.clone(), uri.raw.clone()))
}

/// Binds what `target` says and waits in the background for the callback, which arrives on
/// `done`.
pub(crate) async fn listen(
    target: &Target,
    state: Secret,
    iss: IssCheck,
    done: mpsc::Sender<CallbackOutcome>,
) -> Result<Loopback, LoopbackError> {
    let (listeners, hosts, path, redirect_uri) = match target {
        Target::Default { port } => bind_default(*port).await?,
        Target::Registered(uri) => bind_registered(uri).await?,
    };
    let stop = CancellationToken::new();
    let shared = Arc::new(Shared {
        state,
        iss,
        hosts,
        path,
        done: Mutex::new(Some(done)),
        stop: stop.clone(),
    });
    let app = axum::Router::new().fallback(callback).with_state(shared);
    for listener in listeners {
        let until = stop.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(until.cancelled_owned())
                .await;
        });
    }
    Ok(Loopback { redirect_uri, stop })
}

async fn callback(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let host_ok = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| shared.hosts.iter().any(|want| want.eq_ignore_ascii_case(h)));
    if !host_ok {
        return page(
            StatusCode::MISDIRECTED_REQUEST,
            "Wrong address",
            "This page only answers at the redirect address of the sign-in.",
        );
    }
    if uri.path() != shared.path {
        return page(
            StatusCode::NOT_FOUND,
            "Not here",
            "Tokentray only answers at the redirect address of the sign-in.",
        );
    }
    if method != Method::GET {
        return page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Not this way",
            "The sign-in comes back with a plain link (GET).",
        );
    }
    let outcome = match crate::login::parse_callback(&query, &shared.state, &shared.iss) {
        Callback::Foreign => {
            return page(
                StatusCode::BAD_REQUEST,
                "Not this sign-in",
                "This link does not belong to the sign-in Tokentray is waiting for. Nothing was changed.",
            );
        }
        Callback::WrongIssuer => {
            tracing::warn!("ignored a login callback whose iss is not the expected issuer");
            return page(
                StatusCode::BAD_REQUEST,
                "Wrong service",
                "This response does not come from the service the sign-in was started at (its issuer does not match), so Tokentray ignored it. Nothing was changed; finish the sign-in in the window Tokentray opened.",
            );
        }
        Callback::Outcome(outcome) => outcome,
    };
    let ok = matches!(outcome, CallbackOutcome::Code(_));
    if let Some(tx) = shared.done.lock().expect("loopback lock").take() {
        let _ = tx.try_send(outcome);
    }
    shared.stop.cancel();
    if ok {
        page(
            StatusCode::OK,
            "Signed in",
            "Tokentray received the sign-in. You can close this tab.",
        )
    } else {
        page(
            StatusCode::OK,
            "Sign-in refused",
            "The service refused the sign-in. Tokentray shows the reason; you can close this tab.",
        )
    }
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · Tokentray</title>\
<style>body{{font:16px system-ui,sans-serif;margin:4rem auto;max-width:32rem;padding:0 1rem;color:#1d2433}}\
h1{{font-size:1.4rem}}@media(prefers-color-scheme:dark){{body{{background:#15181f;color:#e6e9ef}}}}</style></head>\
<body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let mut resp = (status, Html(body)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("static header"),
    );
    h.insert(
        "Referrer-Policy",
        "no-referrer".parse().expect("static header"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'"
            .parse()
            .expect("static header"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;
    use crate::connection::ConnectionSpec;
    use crate::fields::check_redirect_uri;

    /// A port free on both `127.0.0.1` and `[::1]` right now.
    fn free_port() -> u16 {
        loop {
            let v4 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = v4.local_addr().unwrap().port();
            if std::net::TcpListener::bind(("::1", port)).is_ok() {
                return port;
            }
        }
    }

    /// Sends `GET target` with `host` to `addr`; returns the status code.
    async fn get(addr: SocketAddr, host: &str, target: &str) -> u16 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out.split(' ').nth(1).unwrap().parse().unwrap()
    }

    fn registered(raw: &str) -> Target {
        Target::Registered(check_redirect_uri(raw).unwrap())
    }

    #[tokio::test]
    async fn a_registered_localhost_uri_is_served_on_both_families_at_its_path_only() {
        let port = free_port();
        let raw = format!("http://localhost:{port}/oauth/cb");
        let (tx, mut rx) = mpsc::channel(1);
        let l = listen(
            &registered(&raw),
            Secret::new("st"),
            IssCheck::default(),
            tx,
        )
        .await
        .unwrap();
        assert_eq!(l.redirect_uri, raw, "sent exactly as registered");
        let v4 = SocketAddr::from(([127, 0, 0, 1], port));
        let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port);
        let host = format!("localhost:{port}");
        for addr in [v4, v6] {
            assert_eq!(get(addr, &host, "/callback?code=c&state=st").await, 404);
            assert_eq!(get(addr, &host, "/oauth/cb/x?code=c&state=st").await, 404);
            assert_eq!(
                get(
                    addr,
                    &format!("127.0.0.1:{port}"),
                    "/oauth/cb?code=c&state=st"
                )
                .await,
                421
            );
            assert_eq!(get(addr, &host, "/oauth/cb?code=c&state=other").await, 400);
        }
        assert!(rx.try_recv().is_err(), "nothing above ends the login");
        assert_eq!(
            get(v6, &host, "/oauth/cb?code=the-code&state=st").await,
            200
        );
        match rx.recv().await {
            Some(CallbackOutcome::Code(c)) => assert_eq!(c.expose(), "the-code"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_registered_ipv4_uri_listens_on_127_0_0_1_only() {
        let port = free_port();
        let (tx, mut rx) = mpsc::channel(1);
        let _l = listen(
            &registered(&format!("http://127.0.0.1:{port}/")),
            Secret::new("st"),
            IssCheck::default(),
            tx,
        )
        .await
        .unwrap();
        let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port);
        assert!(TcpStream::connect(v6).await.is_err(), "nothing on [::1]");
        let v4 = SocketAddr::from(([127, 0, 0, 1], port));
        assert_eq!(
            get(v4, &format!("127.0.0.1:{port}"), "/?code=c&state=st").await,
            200
        );
        assert!(matches!(rx.recv().await, Some(CallbackOutcome::Code(_))));
    }

    #[tokio::test]
    async fn a_busy_registered_port_is_a_plain_error_naming_it() {
        for taken in ["127.0.0.1", "::1"] {
            let port = free_port();
            let _squatter = std::net::TcpListener::bind((taken, port)).unwrap();
            let (tx, _rx) = mpsc::channel(1);
            let Err(e) = listen(
                &registered(&format!("http://localhost:{port}/cb")),
                Secret::new("st"),
                IssCheck::default(),
                tx,
            )
            .await
            else {
                panic!("a squatted half of localhost must fail the login ({taken})")
            };
            let text = e.to_string();
            assert!(text.contains(&format!("port {port}")), "{text}");
            assert!(matches!(e, LoopbackError::RegisteredBusy { .. }), "{text}");
        }
    }

    #[tokio::test]
    async fn without_a_registered_uri_it_is_127_0_0_1_callback_on_any_port() {
        let (tx, mut rx) = mpsc::channel(1);
        let l = listen(
            &Target::Default { port: 0 },
            Secret::new("st"),
            IssCheck::default(),
            tx,
        )
        .await
        .unwrap();
        let url = url::Url::parse(&l.redirect_uri).unwrap();
        assert_eq!(url.host_str(), Some("127.0.0.1"));
        assert_eq!(url.path(), "/callback");
        let port = url.port().unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let host = format!("127.0.0.1:{port}");
        assert_eq!(get(addr, &host, "/other?code=c&state=st").await, 404);
        assert_eq!(get(addr, &host, "/callback?code=c&state=st").await, 200);
        assert!(matches!(rx.recv().await, Some(CallbackOutcome::Code(_))));
    }

    #[test]
    fn the_target_comes_from_redirect_uri_else_redirect_port() {
        use crate::connection::{ConnectionName, ProviderKind, Value};
        let mut spec = ConnectionSpec::new(ConnectionName::new("a").unwrap(), ProviderKind::Oauth2);
        // A fresh copy each time: a spec is not changed after its settings were read.
        let target = |spec: &ConnectionSpec| Target::of(&spec.clone().typed().kind.redirect());
        assert_eq!(target(&spec), Target::Default { port: 0 });
        spec.settings.insert("redirect_port", Value::Int(8123));
        assert_eq!(target(&spec), Target::Default { port: 8123 });
        spec.settings
            .insert("redirect_uri", Value::Text("http://[::1]:8123/cb".into()));
        assert_eq!(target(&spec), registered("http://[::1]:8123/cb"));
    }
}
