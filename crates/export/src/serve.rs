//! Serving the router: an accept loop over HTTP/1.1 with limits on connections, header size
//! and header time, that stops gracefully when told (the shape of mini-redis's `run`); and
//! `start`, which binds, publishes `endpoint.json` and serves in the background until its
//! handle is shut down or dropped.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
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
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::task::JoinHandle;
use tower::{Service, ServiceExt as _};

use crate::audit::Audit;
use crate::bind::bind;
use crate::discovery;
use crate::error::ExportError;
use crate::extract::Peer;
use crate::routes::gated;

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

/// [`serve`] for any service answering HTTP requests (the gated routes, without a router
/// around them).
async fn serve_service<S>(listener: TcpListener, service: S, shutdown: impl Future<Output = ()>)
where
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
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
        };
        // Over the limit, or (impossible on a 127.0.0.1 listener) not loopback: close at once.
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue;
        };
        if peer.ip().is_loopback() {
            connection(&http, &graceful, stream, peer, service.clone(), slot);
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still under way at shutdown were cut off");
    }
}

fn connection<S>(
    http: &http1::Builder,
    graceful: &GracefulShutdown,
    stream: TcpStream,
    peer: SocketAddr,
    service: S,
    slot: OwnedSemaphorePermit,
) where
    S: Service<Request<Incoming>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(Peer(peer));
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

/// A running endpoint. [`ExportHandle::shutdown`] stops it and waits; dropping the handle stops
/// it without waiting. Either way `endpoint.json` is removed if it is still ours.
pub struct ExportHandle {
    url: String,
    port: u16,
    requested: u16,
    file: PathBuf,
    audit: Arc<Audit>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
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

    /// Removes `endpoint.json`, stops accepting, waits for requests under way and for the
    /// hand-out log to be written.
    pub async fn shutdown(mut self) {
        discovery::remove_if_ours(&self.file, &self.url);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            tracing::warn!(%error, "the export endpoint stopped abnormally");
        }
        self.audit.flush().await;
        tracing::info!(url = %self.url, "export endpoint stopped");
    }
}

impl Drop for ExportHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            discovery::remove_if_ours(&self.file, &self.url);
            let _ = stop.send(());
        }
    }
}

/// Starts the endpoint for `engine`: gets the export key, binds 127.0.0.1 (`port` as pinned,
/// failing when it is taken; or [`crate::DEFAULT_PORT`], falling back to an ephemeral port when
/// taken; see [`crate::bind`]), writes `endpoint.json` and serves in the background.
pub async fn start(engine: Engine, port: Option<u16>) -> Result<ExportHandle, ExportError> {
    let key = engine.export_key().await.map_err(ExportError::Key)?;
    let bound = bind(port).await?;
    let (port, requested) = (bound.port(), bound.requested_port());
    let url = format!("http://127.0.0.1:{port}");
    let file = engine.paths().endpoint_file();
    discovery::write(&file, &url, &key).map_err(|source| ExportError::Discovery {
        path: file.display().to_string(),
        source,
    })?;
    let audit = Arc::new(Audit::new(engine.clone(), port));
    let app = gated(engine, key, port, audit.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_service(bound.into_listener(), app, async {
        let _ = stopped.await;
    }));
    tracing::info!(%url, "export endpoint listening");
    Ok(ExportHandle {
        url,
        port,
        requested,
        file,
        audit,
        stop: Some(stop),
        task: Some(task),
    })
}
