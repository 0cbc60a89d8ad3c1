//! Binding the endpoint's socket: 127.0.0.1 only, never a wildcard address, and no address or
//! port reuse options, so no other socket can share the port with us.

use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::{TcpListener, TcpSocket};

use crate::error::ExportError;

/// The endpoint's documented default port, used when none is configured. When it is taken the
/// endpoint falls back to an ephemeral port, and `endpoint.json` says which one.
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

    /// Whether the port asked for was taken and an ephemeral one is used instead.
    pub fn fell_back(&self) -> bool {
        self.requested != 0 && self.requested != self.port
    }

    /// The listener, to hand to [`crate::serve`].
    pub fn into_listener(self) -> TcpListener {
        self.listener
    }
}

/// Listens on `127.0.0.1:<port>` (`DEFAULT_PORT` when `None`; `Some(0)` for an ephemeral port).
/// When the port is taken, warns and falls back to an ephemeral port; both are reported in the
/// returned [`Bound`].
// Async although binding does not wait today: callers are async, and a platform where binding
// must wait (an exclusive-use check) can then be added without changing them.
#[allow(clippy::unused_async)]
pub async fn bind(port: Option<u16>) -> Result<Bound, ExportError> {
    let requested = port.unwrap_or(DEFAULT_PORT);
    let listener = match listen(requested) {
        Ok(listener) => listener,
        Err(error) if requested != 0 => {
            let listener = listen(0).map_err(|source| ExportError::Bind { port: 0, source })?;
            let fallback = local_port(&listener)?;
            tracing::warn!(
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
