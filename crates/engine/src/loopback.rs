//! The one-shot redirect receiver for browser logins (RFC 8252 §7.3): an HTTP listener on
//! `127.0.0.1` (never a name, never all interfaces) that waits for `GET /callback` carrying the
//! pending login's `state`, answers the browser with a small self-contained page, and closes.
//! A callback with another `state` is answered and ignored, so a forged request cannot end the
//! user's login; one carrying `error=` ends it with that error.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

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
    host: String,
    done: Mutex<Option<mpsc::Sender<CallbackOutcome>>>,
    stop: CancellationToken,
}

/// Why the listener could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoopbackError {
    #[error(
        "port {port} on 127.0.0.1 is busy; close the program using it, or set redirect_port to 0 to use any free port (if the service allows any loopback port)"
    )]
    Busy { port: u16 },
    #[error("could not listen on 127.0.0.1: {0}")]
    Other(std::io::Error),
}

/// Binds `127.0.0.1:port` (0: any free port) and waits in the background for the callback,
/// which arrives on `done`.
pub(crate) async fn listen(
    port: u16,
    state: Secret,
    iss: IssCheck,
    done: mpsc::Sender<CallbackOutcome>,
) -> Result<Loopback, LoopbackError> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                LoopbackError::Busy { port }
            } else {
                LoopbackError::Other(e)
            }
        })?;
    let bound = listener.local_addr().map_err(LoopbackError::Other)?.port();
    let stop = CancellationToken::new();
    let shared = Arc::new(Shared {
        state,
        iss,
        host: format!("127.0.0.1:{bound}"),
        done: Mutex::new(Some(done)),
        stop: stop.clone(),
    });
    let app = axum::Router::new()
        .route("/callback", get(callback))
        .with_state(shared);
    let until = stop.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(until.cancelled_owned())
            .await;
    });
    Ok(Loopback {
        redirect_uri: format!("http://127.0.0.1:{bound}/callback"),
        stop,
    })
}

async fn callback(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let host_ok =
        headers.get(header::HOST).and_then(|h| h.to_str().ok()) == Some(shared.host.as_str());
    if !host_ok {
        return page(
            StatusCode::MISDIRECTED_REQUEST,
            "Wrong address",
            "This page only answers at 127.0.0.1.",
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
