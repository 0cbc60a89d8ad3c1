//! Where a running Tokentray (the app or `tokentray serve`) is found, and how it is asked.
//!
//! - Scripts read the discovery file `endpoint.json` ([`EndpointFile`]: `{"url","key","pid"}`)
//!   in the owner-only runtime directory and send `Authorization: Bearer <key>` to the HTTP
//!   endpoint at `url`.
//! - Tokentray's own CLI connects to the daemon socket in the same directory, checks that the
//!   process answering runs as this user, and sends one HTTP/1.1 request ([`request`]) with no
//!   key: the same routes as the HTTP endpoint, for every connection, plus
//!   [`DAEMON_INFO_PATH`] answering [`DaemonInfo`]. An answer of 401 means whoever answers is
//!   not a Tokentray daemon, and the CLI does the work itself.

use serde::{Deserialize, Serialize};

/// The names of the discovery file, the daemon socket and the daemon's lock in the runtime
/// directory: part of the contract, defined where the directory layout is (`paths`).
pub use crate::paths::{DAEMON_LOCK, DAEMON_SOCKET, ENDPOINT_FILE};

/// The route of the connection list.
pub const CONNECTIONS_PATH: &str = "/v1/connections";
/// The daemon socket's own route: where the HTTP endpoint listens ([`DaemonInfo`]).
pub const DAEMON_INFO_PATH: &str = "/v1/daemon";
/// The token route's query parameter: how many seconds the token must stay valid.
pub const MIN_VALID_PARAM: &str = "min_valid";
/// The token route's query parameter: the SHA-256 (hex) of a token a service refused.
pub const REJECTED_PARAM: &str = "rejected";

/// `GET`: the token JSON of `name` (or the raw token with `Accept: text/plain`).
pub fn token_path(name: &str) -> String {
    format!("{CONNECTIONS_PATH}/{name}/token")
}

/// `POST` (`Content-Type: application/json`): renews `name` now.
pub fn refresh_path(name: &str) -> String {
    format!("{CONNECTIONS_PATH}/{name}/refresh")
}

/// The one request the CLI sends on the daemon socket: `method` `path`, answered as `accept`,
/// the connection closed after the answer. A `POST` carries the empty JSON object.
pub fn request(method: &str, path: &str, accept: &str) -> String {
    let body = if method == "POST" { "{}" } else { "" };
    format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The discovery file `endpoint.json`: the HTTP endpoint's base URL, its export key (new at
/// every start, never stored anywhere else) and the serving process. `Debug` hides the key,
/// and dropping the value overwrites it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointFile {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The export key, for `Authorization: Bearer <key>`.
    pub key: String,
    /// The process serving it.
    pub pid: u32,
}

impl std::fmt::Debug for EndpointFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointFile")
            .field("url", &self.url)
            .field("key", &"[REDACTED]")
            .field("pid", &self.pid)
            .finish()
    }
}

impl Drop for EndpointFile {
    fn drop(&mut self) {
        let mut key = std::mem::take(&mut self.key).into_bytes();
        super::token::wipe_bytes(&mut key);
    }
}

/// What the daemon socket answers on [`DAEMON_INFO_PATH`] (for `tokentray doctor`): where the
/// HTTP endpoint listens, never its key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonInfo {
    /// The serving process.
    pub pid: u32,
    /// The HTTP endpoint's base URL.
    pub url: String,
    /// The port it listens on.
    pub port: u16,
    /// The port asked for (the default, when none was pinned).
    pub requested_port: u16,
    /// The default port was taken by someone else, so another one is used.
    pub default_taken: bool,
}
