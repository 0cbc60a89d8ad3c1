//! The endpoint's side of the hand-out log. A request only decides whether to record (a cheap
//! map lookup) and queues the record; one background thread finds the client's process and
//! writes the engine's audit file, so no response ever waits for disk or `/proc`.
//!
//! Repeats are coalesced: one record per connection and client socket per [`COALESCE`]. A
//! script asking in a loop over one keep-alive connection is then one line a minute rather than
//! thousands a second, which would also push every other hand-out out of the bounded log.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokentray_engine::{ConnectionName, Engine};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::peer::Peer;

/// How a token handed out by the endpoint is described in the log.
pub(crate) const VIA: &str = "GET /v1/connections/{name}/token";

/// The shortest gap between two records of the same connection to the same client.
pub(crate) const COALESCE: Duration = Duration::from_secs(60);

/// Records waiting to be written; past this, records are dropped (with one warning).
const QUEUE: usize = 1024;

/// Past this many records waiting, the process lookup is skipped to catch up.
const LOOKUP_BACKLOG: usize = 16;

/// Entries kept in the coalescing map before old ones are swept.
const SEEN_SWEEP: usize = 4096;

enum Job {
    Record {
        name: ConnectionName,
        client: Option<Peer>,
    },
    Flush(oneshot::Sender<()>),
}

/// Queues hand-out records for the writer thread.
pub(crate) struct Audit {
    jobs: mpsc::Sender<Job>,
    /// When each client socket was last recorded for each connection. Read-mostly.
    seen: RwLock<HashMap<Option<Peer>, HashMap<String, Instant>>>,
    warned: AtomicBool,
}

impl Audit {
    /// Starts the writer thread; it ends when the last `Audit` holding its queue is dropped.
    pub(crate) fn new(engine: Engine, server_port: u16) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let spawned = std::thread::Builder::new()
            .name("tokentray-audit".into())
            .spawn(move || write_records(&engine, server_port, rx));
        if let Err(error) = spawned {
            tracing::warn!(%error, "could not start the hand-out log writer; hand-outs are not logged");
        }
        Self {
            jobs,
            seen: RwLock::new(HashMap::new()),
            warned: AtomicBool::new(false),
        }
    }

    /// Notes that a token of `name` went to `client`.
    pub(crate) fn record(&self, name: &ConnectionName, client: Option<Peer>) {
        if !self.first_in_window(name, client) {
            return;
        }
        let job = Job::Record {
            name: name.clone(),
            client,
        };
        if self.jobs.try_send(job).is_err() && !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!("the hand-out log cannot keep up; some hand-outs are not logged");
        }
    }

    /// Waits until every record queued so far is written.
    pub(crate) async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.jobs.send(Job::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }

    fn first_in_window(&self, name: &ConnectionName, client: Option<Peer>) -> bool {
        let now = Instant::now();
        let recent = |seen: &HashMap<Option<Peer>, HashMap<String, Instant>>| {
            seen.get(&client)
                .and_then(|names| names.get(name.as_str()))
                .is_some_and(|at| now < *at + COALESCE)
        };
        if recent(&self.seen.read().expect("audit map lock")) {
            return false;
        }
        let mut seen = self.seen.write().expect("audit map lock");
        if recent(&seen) {
            return false;
        }
        if seen.len() >= SEEN_SWEEP {
            seen.retain(|_, names| names.values().any(|at| now < *at + COALESCE));
        }
        seen.entry(client)
            .or_default()
            .insert(name.as_str().to_owned(), now);
        true
    }
}

fn write_records(engine: &Engine, server_port: u16, mut rx: mpsc::Receiver<Job>) {
    while let Some(job) = rx.blocking_recv() {
        match job {
            Job::Record { name, client } => {
                let lookup = rx.len() < LOOKUP_BACKLOG;
                let (shown, process) = match client {
                    Some(Peer::Tcp(addr)) => (
                        Some(addr.to_string()),
                        lookup
                            .then(|| crate::peer::process_of(addr, server_port))
                            .flatten(),
                    ),
                    Some(Peer::Local { pid }) => (
                        Some("daemon socket".to_owned()),
                        pid.and_then(crate::peer::process_named),
                    ),
                    None => (None, None),
                };
                engine.record_handout(&name, VIA, shown, process);
            }
            Job::Flush(done) => {
                let _ = done.send(());
            }
        }
    }
}
