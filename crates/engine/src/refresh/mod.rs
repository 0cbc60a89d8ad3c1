//! Background refresh. Owns the schedule of upcoming renewals and nothing else: it asks a
//! `Renewer` (the engine) to renew a connection when its time comes and never talks to a
//! provider itself.
//!
//! Deadlines are wall-clock times from the `Clock`, and the actor never sleeps longer than
//! `MAX_SLEEP` while anything is scheduled: monotonic timers do not count suspended time, so
//! after a laptop sleeps or the clock jumps, due renewals run within a minute. With nothing
//! scheduled it does not wake at all.

mod backoff;
#[cfg(test)]
mod tests;
pub(crate) mod window;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use backoff::Backoff;
pub use window::RENEWAL_WINDOW;

use crate::connection::ConnectionName;
use crate::time::{Clock, Timestamp};

/// The longest the scheduler sleeps without re-reading the wall clock.
pub const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How many renewals may run at once.
const PARALLEL_RENEWALS: usize = 8;

/// Renews one connection when the scheduler says it is due.
#[async_trait]
pub(crate) trait Renewer: Send + Sync + 'static {
    /// Renews `name` and says when it next needs renewing (`None`: do not schedule it).
    async fn renew_due(&self, name: &ConnectionName) -> Option<Timestamp>;
}

enum Cmd {
    Schedule(ConnectionName, Timestamp),
    Cancel(ConnectionName),
    Deadline(
        ConnectionName,
        tokio::sync::oneshot::Sender<Option<Timestamp>>,
    ),
}

/// The handle that owns the scheduler task; dropping it stops the task.
pub(crate) struct SchedulerHandle {
    cmds: mpsc::UnboundedSender<Cmd>,
    cancel: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SchedulerHandle {
    /// Starts the scheduler on the current tokio runtime.
    pub(crate) fn spawn(renewer: Arc<dyn Renewer>, clock: Arc<dyn Clock>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let actor = Actor {
            renewer,
            clock,
            deadlines: BTreeSet::new(),
            by_name: HashMap::new(),
            running: JoinSet::new(),
            permits: Arc::new(Semaphore::new(PARALLEL_RENEWALS)),
        };
        let task = tokio::spawn(actor.run(rx, cancel.clone()));
        Self {
            cmds: tx,
            cancel,
            task: Some(task),
        }
    }

    /// Renews `name` at `at` (replacing an earlier deadline).
    pub(crate) fn schedule(&self, name: ConnectionName, at: Timestamp) {
        let _ = self.cmds.send(Cmd::Schedule(name, at));
    }

    /// Forgets `name`.
    pub(crate) fn cancel(&self, name: ConnectionName) {
        let _ = self.cmds.send(Cmd::Cancel(name));
    }

    /// A cheap handle for asking the scheduler questions without holding this one.
    pub(crate) fn requester(&self) -> Requester {
        Requester {
            cmds: self.cmds.clone(),
        }
    }

    /// Stops the scheduler and waits for running renewals to finish.
    pub(crate) async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Asks the scheduler about its schedule.
#[derive(Clone)]
pub(crate) struct Requester {
    cmds: mpsc::UnboundedSender<Cmd>,
}

impl Requester {
    /// When `name` is next due, if it is scheduled.
    pub(crate) async fn deadline(&self, name: ConnectionName) -> Option<Timestamp> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.cmds.send(Cmd::Deadline(name, tx)).ok()?;
        rx.await.ok().flatten()
    }
}

impl Drop for SchedulerHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

struct Actor {
    renewer: Arc<dyn Renewer>,
    clock: Arc<dyn Clock>,
    deadlines: BTreeSet<(Timestamp, ConnectionName)>,
    by_name: HashMap<ConnectionName, Timestamp>,
    running: JoinSet<(ConnectionName, Option<Timestamp>)>,
    permits: Arc<Semaphore>,
}

impl Actor {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Cmd>, cancel: CancellationToken) {
        loop {
            let sleep = self.next_sleep();
            tokio::select! {
                () = cancel.cancelled() => break,
                cmd = rx.recv() => match cmd {
                    Some(cmd) => self.apply(cmd),
                    None => break,
                },
                () = wait(sleep) => self.start_due(),
                Some(done) = self.running.join_next(), if !self.running.is_empty() => {
                    if let Ok((name, Some(at))) = done {
                        self.set(name, at);
                    }
                }
            }
        }
        while self.running.join_next().await.is_some() {}
    }

    fn apply(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Schedule(name, at) => self.set(name, at),
            Cmd::Cancel(name) => {
                if let Some(at) = self.by_name.remove(&name) {
                    self.deadlines.remove(&(at, name));
                }
            }
            Cmd::Deadline(name, reply) => {
                let _ = reply.send(self.by_name.get(&name).copied());
            }
        }
    }

    fn set(&mut self, name: ConnectionName, at: Timestamp) {
        if let Some(old) = self.by_name.insert(name.clone(), at) {
            self.deadlines.remove(&(old, name.clone()));
        }
        self.deadlines.insert((at, name));
    }

    /// How long to sleep: until the first deadline, at most `MAX_SLEEP`; forever when idle.
    fn next_sleep(&self) -> Option<Duration> {
        let (first, _) = self.deadlines.first()?;
        Some(first.since(self.clock.now()).min(MAX_SLEEP))
    }

    fn start_due(&mut self) {
        let now = self.clock.now();
        while let Some((at, _)) = self.deadlines.first() {
            if *at > now {
                break;
            }
            let Some((_, name)) = self.deadlines.pop_first() else {
                break;
            };
            self.by_name.remove(&name);
            let renewer = self.renewer.clone();
            let permits = self.permits.clone();
            self.running.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let next = renewer.renew_due(&name).await;
                (name, next)
            });
        }
    }
}

async fn wait(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
