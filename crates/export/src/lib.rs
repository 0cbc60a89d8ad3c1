//! Tokentray's local export endpoint: HTTP on 127.0.0.1 that hands the tokens of exportable
//! connections to other tools on the same machine, for callers that hold the export key.
//!
//! - [`bind`] listens on 127.0.0.1 only ([`DEFAULT_PORT`] unless configured, an ephemeral port
//!   when that is taken; a pinned port that is taken is an error, never swapped for another).
//! - [`router`] is the axum router: the routes of PRODUCT §5 behind the gatekeeping layers
//!   (exact `Host`, no browser or proxy requests, the export key, size limits).
//! - [`serve`] runs a router on a listener until a shutdown future completes.
//! - [`start`] does all three for an engine with a new random key, publishes `endpoint.json`
//!   (url, key, pid) for scripts, and also serves the same routes to this user's own processes
//!   (the CLI) on the daemon socket in the runtime directory, without a key and with the
//!   peer's uid checked; [`ExportHandle`] stops both.
//!
//! Tests may move the default port with `TOKENTRAY_TEST_DEFAULT_PORT` (for tests only: the
//! documented default is [`DEFAULT_PORT`]).
//!
//! Secrets leave this crate only in a token response body and in `endpoint.json`; errors and
//! logs carry stable codes and fixed words, never request headers, keys or tokens.
#![warn(missing_docs)]

mod app;
mod audit;
mod bind;
mod body;
mod discovery;
mod endpoint;
mod error;
mod extract;
mod guard;
mod listen;
#[cfg(unix)]
mod local;
mod peer;
mod routes;
mod serve;

pub use crate::bind::{Bound, DEFAULT_PORT, TEST_DEFAULT_PORT_ENV, bind, default_port};
pub use crate::endpoint::router;
pub use crate::error::{ApiError, ExportError};
pub use crate::serve::{ExportHandle, serve, start};
