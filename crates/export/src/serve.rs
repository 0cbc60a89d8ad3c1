//! Serving the router: an accept loop over HTTP/1.1 with limits on connections, header size
//! and header time, that stops gracefully when told (the shape of mini-redis's `run`), for the
//! HTTP endpoint's TCP listener and the daemon socket alike; and `start`, which claims the
//! daemon socket, binds, publishes `endpoint.json` and serves both in the background until its
//! handle is shut down or dropped.

use std::convert::Infallible;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokentray_engine::Engine;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower::{Service, ServiceExt as _};

use crate::audit::Audit;
use crate::bind::bind;
use crate::discovery;
use crate::endpoint::gated;
use crate::error::ExportError;
use crate::listen::Listen;
use crate::peer::Peer;

/// Connections served at once; more are closed as soon as they are accepted.
const MAX_CONNECTIONS: usize = 2048;

/// The largest request head (request line and headers); larger ones get 431 from hyper.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// The most headers a request may carry.
const MAX_HEADERS: usize = 64;

/// How long a client may take to send a request head (slow clients must not hold slots).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// How long shutdown waits for requests under way.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting, lets
/// requests under way finish (up to 10 s) and returns. Only loopback peers are served.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    serve_service(listener, router, shutdown).await;
}

/// [`serve`] for any source of connections and any service answering HTTP requests (the gated
/// routes, without a router around them).
pub(crate) async fn serve_service<L, S>(listener: L, service: S, shutdown: impl Future<Output = ()>)
where
    L: Listen,
    S: Service<Request<Incoming>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.next() => match accepted {
                Ok(Some(pair)) => pair,
                Ok(None) => continue,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
        };
        // Over the limit: close at once.
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue;
        };
        connection(&http, &graceful, stream, peer, service.clone(), slot);
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still under way at shutdown were cut off");
    }
}

fn connection<T, S>(
    http: &http1::Builder,
    graceful: &GracefulShutdown,
    stream: T,
    peer: Peer,
    service: S,
    slot: OwnedSemaphorePermit,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<Incoming>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(peer);
        service.clone().oneshot(request)
    });
    let served = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
    tokio::spawn(async move {
        if let Err(error) = served.await {
            tracing::trace!(%error, "connection ended with an error");
        }
        drop(slot);
    });
}

async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    // Out of file descriptors and the like: give the system a moment instead of spinning.
    tracing::warn!(%error, "could not accept a connection");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// A running endpoint and daemon socket. [`ExportHandle::shutdown`] stops both and waits;
/// dropping the handle stops them without waiting. Either way `endpoint.json` and the socket
/// are removed if they are still ours.
pub struct ExportHandle {
    url: String,
    port: u16,
    requested: u16,
    file: PathBuf,
    audit: Arc<Audit>,
    #[cfg(unix)]
    local: Option<crate::local::Claim>,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl ExportHandle {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port listened on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port asked for; differs from [`ExportHandle::port`] when it was taken.
    pub fn requested_port(&self) -> u16 {
        self.requested
    }

    /// Whether the default port was taken (by someone else), so another one is used: front
    /// ends say so beside the address.
    pub fn default_taken(&self) -> bool {
        self.requested != 0 && self.requested != self.port
    }

    /// Removes `endpoint.json` and the socket, stops accepting, waits for requests under way
    /// and for the hand-out log to be written.
    pub async fn shutdown(mut self) {
        self.withdraw();
        self.stop.cancel();
        for task in std::mem::take(&mut self.tasks) {
            if let Err(error) = task.await {
                tracing::warn!(%error, "the export endpoint stopped abnormally");
            }
        }
        self.audit.flush().await;
        #[cfg(unix)]
        drop(self.local.take());
        tracing::info!(url = %self.url, "export endpoint stopped");
    }

    /// Removes what clients find the endpoint and the socket by, while they are still ours.
    fn withdraw(&self) {
        discovery::remove_if_ours(&self.file, &self.url);
        #[cfg(unix)]
        if let Some(local) = &self.local {
            local.remove_socket();
        }
    }
}

impl Drop for ExportHandle {
    fn drop(&mut self) {
        if !self.stop.is_cancelled() {
            self.withdraw();
            self.stop.cancel();
        }
    }
}

/// Starts the endpoint for `engine`: claims the daemon socket (refusing when another app or
/// `serve` runs over the same files), makes a new export key, binds 127.0.0.1 (`port` as
/// pinned, failing when it is taken; or [`crate::DEFAULT_PORT`], falling back to an ephemeral
/// port when taken; see [`crate::bind`]), writes `endpoint.json` and serves both in the
/// background. An export key earlier versions kept in the secret store is deleted.
pub async fn start(engine: Engine, port: Option<u16>) -> Result<ExportHandle, ExportError> {
    #[cfg(unix)]
    let (claim, socket) = crate::local::claim(engine.paths())?;
    match engine.manage().forget_legacy_export_key().await {
        Ok(true) => {
            tracing::info!("deleted the export key earlier versions kept in the secret store");
        }
        Ok(false) => {}
        Err(error) => tracing::debug!(%error, "could not look for an old export key"),
    }
    let key = Engine::new_export_key();
    let bound = bind(port).await?;
    let (port, requested) = (bound.port(), bound.requested_port());
    let url = format!("http://127.0.0.1:{port}");
    let file = engine.paths().endpoint_file();
    discovery::write(&file, &url, &key).map_err(|source| ExportError::Discovery {
        path: file.display().to_string(),
        source,
    })?;
    let audit = Arc::new(Audit::new(engine.clone(), port));
    let stop = CancellationToken::new();
    let mut tasks = Vec::new();
    #[cfg(unix)]
    {
        if let Some(socket) = socket {
            let info = crate::app::DaemonInfo {
                pid: std::process::id(),
                url: url.clone(),
                port,
                requested_port: requested,
                default_taken: requested != 0 && requested != port,
            };
            let app = crate::endpoint::local(engine.clone(), audit.clone(), info);
            tasks.push(tokio::spawn(serve_service(
                socket,
                app,
                stop.clone().cancelled_owned(),
            )));
        }
    }
    let app = gated(engine, key, port, audit.clone());
    tasks.push(tokio::spawn(serve_service(
        bound.into_listener(),
        app,
        stop.clone().cancelled_owned(),
    )));
    tracing::info!(%url, "export endpoint listening");
    Ok(ExportHandle {
        url,
        port,
        requested,
        file,
        audit,
        #[cfg(unix)]
        local: Some(claim),
        stop,
        tasks,
    })
}
