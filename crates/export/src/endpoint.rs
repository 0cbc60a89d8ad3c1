//! The endpoint's routes behind its gate: the HTTP endpoint (`router`, `gated`) and the daemon
//! socket (`local`). The gate answers a token at hand itself (`routes::token_at_hand`).

use std::sync::Arc;

use axum::Router;
use tokentray_engine::{Engine, Secret};
use tower::Layer as _;

use crate::app::{App, DaemonInfo};
use crate::audit::Audit;
use crate::guard::{Gate, Gated};
use crate::routes::routes;

/// The endpoint's routes behind its gatekeeping layers, for the endpoint listening on
/// 127.0.0.1:`port` with export key `key`.
///
/// - `GET /v1/connections`: the exportable connections, without secrets.
/// - `GET /v1/connections/{name}/token?min_valid=SECS`: the token JSON, or the raw token with
///   `Accept: text/plain`. With `rejected=<SHA-256 hex of a token a service refused>`: that
///   token, if still the current one, is renewed first (once for every caller, at most once
///   per 30 s: 503 with `Retry-After` within that), else the current token is answered.
/// - `POST /v1/connections/{name}/refresh` (`Content-Type: application/json`): renews now, at
///   most once per 30 s per connection; answers the connection's state.
///
/// Requests are refused, in this order, for a `Host` other than `127.0.0.1:<port>` or
/// `localhost:<port>` (421), a browser or proxy header or `OPTIONS` (403), a missing or wrong
/// key (401), and a body over 4 KiB (413). Every response carries `Cache-Control: no-store`,
/// `Pragma: no-cache` and `X-Content-Type-Options: nosniff`, and never a CORS header.
pub fn router(engine: Engine, key: Secret, port: u16) -> Router {
    let audit = Arc::new(Audit::new(engine.clone(), port));
    Router::new().fallback_service(gated(engine, key, port, audit))
}

/// The routes behind the gate, with a given hand-out log, which the caller can flush.
pub(crate) fn gated(engine: Engine, key: Secret, port: u16, audit: Arc<Audit>) -> Gated<Router> {
    let app = App::new(engine, audit, None);
    Gate::new(port, key, app.clone()).layer(routes(&app))
}

/// The routes of the daemon socket: the same routes for every connection (exportable or not),
/// plus `GET /v1/daemon` (where the HTTP endpoint listens, never its key); no `Host` or key
/// check, since the accept loop lets in only this user's processes.
pub(crate) fn local(engine: Engine, audit: Arc<Audit>, info: DaemonInfo) -> Gated<Router> {
    let app = App::new(engine, audit, Some(info));
    Gate::local(app.clone()).layer(routes(&app))
}
