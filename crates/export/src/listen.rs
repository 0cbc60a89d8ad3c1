//! Where connections come from: the HTTP endpoint's TCP listener, or the daemon socket
//! (`local::LocalListener`); each connection with who is at the other end.

use std::future::Future;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use crate::peer::Peer;

/// Where connections come from: the HTTP endpoint's TCP listener or the daemon socket.
pub(crate) trait Listen {
    /// A connection.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// The next connection and who it is from; `Ok(None)` for one to close at once (a peer
    /// that may not be served).
    fn next(&self) -> impl Future<Output = std::io::Result<Option<(Self::Stream, Peer)>>> + Send;
}

impl Listen for TcpListener {
    type Stream = tokio::net::TcpStream;

    async fn next(&self) -> std::io::Result<Option<(Self::Stream, Peer)>> {
        let (stream, peer) = self.accept().await?;
        // Impossible on a 127.0.0.1 listener, and refused all the same.
        if !peer.ip().is_loopback() {
            return Ok(None);
        }
        let _ = stream.set_nodelay(true);
        Ok(Some((stream, Peer::Tcp(peer))))
    }
}
