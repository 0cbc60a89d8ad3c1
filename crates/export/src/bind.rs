//! Binding the endpoint's socket: 127.0.0.1 only, never a wildcard address, and no address or
//! port reuse options, so no other socket can share the port with us.

use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::{TcpListener, TcpSocket};

use crate::error::ExportError;

/// The endpoint's documented default port, used when none is configured. When it is taken the
/// endpoint falls back to an ephemeral port (with a warning), and `endpoint.json` says which.
/// A port the user pinned is never swapped for another: see [`bind`].
pub const DEFAULT_PORT: u16 = 47210;

/// How many connections may wait to be accepted.
const BACKLOG: u32 = 1024;

/// A listening socket on 127.0.0.1, with the port that was asked for and the one obtained.
#[derive(Debug)]
pub struct Bound {
    listener: TcpListener,
    requested: u16,
    port: u16,
}

impl Bound {
    /// The port listened on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port that was asked for (`DEFAULT_PORT` when none was configured; 0 for any).
    pub fn requested_port(&self) -> u16 {
        self.requested
    }

    /// Whether the default port was taken and an ephemeral one is used instead.
    pub fn fell_back(&self) -> bool {
        self.requested != 0 && self.requested != self.port
    }

    /// The listener, to hand to [`crate::serve`].
    pub fn into_listener(self) -> TcpListener {
        self.listener
    }
}

/// Listens on `127.0.0.1:<port>`: `None` for [`DEFAULT_PORT`] (see [`default_port`]), `Some(0)` for an ephemeral
/// port, `Some(port)` for a port the user pinned (`serve --port`, `[app] export_port`).
///
/// A taken default port falls back to an ephemeral one, with a warning; both are reported in
/// the returned [`Bound`]. A taken pinned port is an error ([`ExportError::PortTaken`]): the
/// user's clients expect the endpoint there, and whoever holds the port may be collecting the
/// keys they send (security.md T19), so nothing is served elsewhere in silence.
// Async although binding does not wait today: callers are async, and a platform where binding
// must wait (an exclusive-use check) can then be added without changing them.
#[allow(clippy::unused_async)]
pub async fn bind(port: Option<u16>) -> Result<Bound, ExportError> {
    bind_with(port, default_port())
}

/// For tests only: moves the default port, so that a test can squat it without racing other
/// programs on this machine for the real one.
pub const TEST_DEFAULT_PORT_ENV: &str = "TOKENTRAY_TEST_DEFAULT_PORT";

/// [`DEFAULT_PORT`], unless a test moved it with [`TEST_DEFAULT_PORT_ENV`].
pub fn default_port() -> u16 {
    std::env::var(TEST_DEFAULT_PORT_ENV)
        .ok()
        .and_then(|p| p.parse().ok())
        .filter(|p| *p != 0)
        .unwrap_or(DEFAULT_PORT)
}

/// [`bind`] with `default` as the default port.
pub(crate) fn bind_with(port: Option<u16>, default: u16) -> Result<Bound, ExportError> {
    let requested = port.unwrap_or(default);
    let listener = match listen(requested) {
        Ok(listener) => listener,
        Err(source) if port.is_some() && requested != 0 => {
            return Err(ExportError::PortTaken {
                port: requested,
                source,
            });
        }
        Err(error) if requested != 0 => {
            let listener = listen(0).map_err(|source| ExportError::Bind { port: 0, source })?;
            let fallback = local_port(&listener)?;
            // Info, not a warning: `serve` and the app each tell the person in their own words.
            tracing::info!(
                requested,
                port = fallback,
                %error,
                "the export port is taken; listening on an ephemeral port instead (see endpoint.json)"
            );
            listener
        }
        Err(source) => return Err(ExportError::Bind { port: 0, source }),
    };
    let port = local_port(&listener)?;
    Ok(Bound {
        listener,
        requested,
        port,
    })
}

fn listen(port: u16) -> std::io::Result<TcpListener> {
    // A plain socket: unlike `TcpListener::bind`, `TcpSocket` sets no SO_REUSEADDR, and nothing
    // here sets SO_REUSEPORT, so a second listener on this port fails instead of sharing it.
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    socket.listen(BACKLOG)
}

fn local_port(listener: &TcpListener) -> Result<u16, ExportError> {
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|source| ExportError::Bind { port: 0, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken() -> (std::net::TcpListener, u16) {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        (held, port)
    }

    #[tokio::test]
    async fn a_taken_default_port_falls_back_to_an_ephemeral_one_and_reports_both() {
        let (_held, default) = taken();
        let bound = bind_with(None, default).unwrap();
        assert_eq!(bound.requested_port(), default);
        assert_ne!(
            bound.port(),
            default,
            "no sharing of a port (no reuse options)"
        );
        assert!(bound.fell_back());
        let addr = bound.into_listener().local_addr().unwrap();
        assert_eq!(addr.ip(), Ipv4Addr::LOCALHOST, "loopback only");
    }

    #[tokio::test]
    async fn a_taken_pinned_port_is_an_error_naming_it() {
        let (_held, pinned) = taken();
        let err = bind_with(Some(pinned), DEFAULT_PORT).unwrap_err();
        assert!(
            matches!(err, ExportError::PortTaken { port, .. } if port == pinned),
            "{err:?}"
        );
        assert!(err.to_string().contains(&pinned.to_string()), "{err}");
    }

    #[tokio::test]
    async fn a_free_port_is_used_as_asked() {
        let free = {
            let (held, port) = taken();
            drop(held);
            port
        };
        let bound = bind_with(Some(free), DEFAULT_PORT).unwrap();
        assert_eq!((bound.port(), bound.fell_back()), (free, false));
        let any = bind_with(Some(0), DEFAULT_PORT).unwrap();
        assert!(!any.fell_back() && any.port() != 0);
    }
}
