//! The watchdog around every blocking keychain call: the call runs on a thread of its own and is
//! abandoned after a deadline, because a keychain can hang on an unlock prompt nobody answers or
//! on a daemon that accepts a call and never replies. A small circuit then fails later calls at
//! once instead of piling up more blocked threads behind the stuck one.
//!
//! Why a plain thread and not `tokio::task::spawn_blocking`: tokio waits for every running
//! blocking task when its runtime shuts down, so one stuck keychain call would hang the app's
//! exit (the failure mode security.md R11 cites). A detached thread ends with the process.
//! Starting a thread costs microseconds; a keychain call costs milliseconds.
//!
//! What is and is not here: the deadline and the circuit. Which call runs, and what its errors
//! mean, belongs to the store.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokentray_engine::StoreError;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// At most this many abandoned calls may still be blocked before every new call fails at once,
/// however long ago the last timeout was.
const MAX_STUCK: usize = 2;

/// Runs blocking calls with a deadline and a circuit shared by every call of one store.
#[derive(Debug)]
pub(crate) struct Watchdog {
    timeout: Duration,
    circuit: Arc<Mutex<Circuit>>,
}

impl Watchdog {
    /// A watchdog that abandons calls after `timeout` and, after a timeout, fails calls at once
    /// for the same length of time.
    pub(crate) fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            circuit: Arc::new(Mutex::new(Circuit::new(timeout))),
        }
    }

    /// How long a call may take.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs `call` on a thread of its own. Returns `Timeout` when it does not finish in time, or
    /// at once while the circuit is open; the abandoned thread keeps running until the platform
    /// lets it go (or the process ends), and its result is dropped.
    pub(crate) async fn run<T, F>(&self, call: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    {
        let timed_out = StoreError::Timeout {
            after: self.timeout,
        };
        if !lock(&self.circuit).admits(Instant::now()) {
            return Err(timed_out);
        }
        let call_state = Arc::new(CallState::default());
        let (reply, answer) = oneshot::channel();
        let circuit = Arc::clone(&self.circuit);
        let thread_state = Arc::clone(&call_state);
        let spawned = std::thread::Builder::new()
            .name("keychain-call".into())
            .spawn(move || {
                let result = panic::catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|_| {
                    Err(StoreError::Platform {
                        message: "a keychain call panicked".into(),
                    })
                });
                lock(&circuit).finish(&thread_state);
                // The caller may have given up already; then nobody needs the answer.
                let _ = reply.send(result);
            });
        if let Err(err) = spawned {
            return Err(StoreError::Platform {
                message: format!("could not start a thread for a keychain call: {err}"),
            });
        }
        match tokio::time::timeout(self.timeout, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_dropped)) => Err(StoreError::Platform {
                message: "a keychain call ended without an answer".into(),
            }),
            Err(_elapsed) => {
                lock(&self.circuit).abandon(&call_state, Instant::now());
                Err(timed_out)
            }
        }
    }
}

/// Whether one call has finished or been given up on. Changed only under the circuit's lock,
/// so a call that finishes just as its deadline passes is counted exactly once.
#[derive(Debug, Default)]
struct CallState {
    finished: AtomicBool,
    abandoned: AtomicBool,
}

/// The circuit: how many abandoned calls are still blocked, and until when new calls fail fast.
#[derive(Debug)]
struct Circuit {
    cooldown: Duration,
    stuck: usize,
    open_until: Option<Instant>,
}

impl Circuit {
    fn new(cooldown: Duration) -> Self {
        Self {
            cooldown,
            stuck: 0,
            open_until: None,
        }
    }

    /// Whether a new call may start at `now`.
    fn admits(&self, now: Instant) -> bool {
        let cooling_down = self.open_until.is_some_and(|until| now < until);
        !cooling_down && self.stuck < MAX_STUCK
    }

    /// A call gave up waiting at `now`: open the circuit, and count the thread as stuck unless
    /// it finished in the meantime.
    fn abandon(&mut self, call: &CallState, now: Instant) {
        if !call.finished.load(Ordering::Relaxed) {
            call.abandoned.store(true, Ordering::Relaxed);
            self.stuck += 1;
        }
        self.open_until = Some(now + self.cooldown);
    }

    /// A call's thread returned; if it had been abandoned, it no longer counts as stuck.
    fn finish(&mut self, call: &CallState) {
        call.finished.store(true, Ordering::Relaxed);
        if call.abandoned.load(Ordering::Relaxed) {
            self.stuck = self.stuck.saturating_sub(1);
        }
    }
}

/// The circuit's state stays consistent even if a thread panicked while holding the lock: every
/// change is a single field update.
fn lock(circuit: &Mutex<Circuit>) -> MutexGuard<'_, Circuit> {
    circuit.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    const SHORT: Duration = Duration::from_millis(100);

    #[tokio::test]
    async fn a_call_that_finishes_in_time_returns_its_result() {
        let watchdog = Watchdog::new(Duration::from_secs(10));
        let answer = watchdog.run(|| Ok(42)).await.unwrap();
        assert_eq!(answer, 42);
    }

    #[tokio::test]
    async fn a_call_that_never_returns_is_abandoned_at_the_deadline() {
        let watchdog = Watchdog::new(SHORT);
        // The sender stays alive and silent until the end of the test: the call blocks as a
        // keychain waiting on an unanswered prompt does.
        let (release, blocked) = mpsc::channel::<()>();
        let started = std::time::Instant::now();
        let err = watchdog
            .run(move || {
                let _ = blocked.recv();
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Timeout { after } if after == SHORT),
            "{err:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the caller is released at the deadline, not when the call ends"
        );
        drop(release);
    }

    #[tokio::test]
    async fn after_a_timeout_the_next_call_fails_at_once_without_running() {
        let watchdog = Watchdog::new(SHORT);
        let (release, blocked) = mpsc::channel::<()>();
        let _ = watchdog
            .run(move || {
                let _ = blocked.recv();
                Ok(())
            })
            .await;
        let ran = Arc::new(AtomicBool::new(false));
        let err = watchdog
            .run({
                let ran = Arc::clone(&ran);
                move || {
                    ran.store(true, Ordering::Relaxed);
                    Ok(())
                }
            })
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Timeout { .. }), "{err:?}");
        assert!(
            !ran.load(Ordering::Relaxed),
            "no new thread is spent while the circuit is open"
        );
        drop(release);
    }

    #[tokio::test]
    async fn a_panicking_call_is_a_platform_error() {
        let watchdog = Watchdog::new(Duration::from_secs(10));
        let err = watchdog.run::<(), _>(|| panic!("boom")).await.unwrap_err();
        assert!(matches!(err, StoreError::Platform { .. }), "{err:?}");
    }

    #[test]
    fn the_circuit_closes_again_after_the_cooldown() {
        let t0 = Instant::now();
        let mut circuit = Circuit::new(SHORT);
        let call = CallState::default();
        assert!(circuit.admits(t0));
        circuit.abandon(&call, t0);
        assert!(!circuit.admits(t0 + SHORT / 2), "open during the cooldown");
        assert!(
            circuit.admits(t0 + SHORT),
            "one stuck thread is tolerated once the cooldown is over"
        );
    }

    #[test]
    fn too_many_stuck_threads_keep_the_circuit_open_until_one_returns() {
        let t0 = Instant::now();
        let mut circuit = Circuit::new(SHORT);
        let calls: Vec<CallState> = (0..MAX_STUCK).map(|_| CallState::default()).collect();
        for call in &calls {
            circuit.abandon(call, t0);
        }
        let later = t0 + SHORT * 100;
        assert!(!circuit.admits(later), "stuck threads are never piled up");
        circuit.finish(&calls[0]);
        assert!(circuit.admits(later), "a returned thread frees a slot");
    }

    #[test]
    fn a_call_that_finished_before_being_abandoned_is_not_counted_as_stuck() {
        let t0 = Instant::now();
        let mut circuit = Circuit::new(SHORT);
        let call = CallState::default();
        circuit.finish(&call);
        circuit.abandon(&call, t0);
        assert_eq!(circuit.stuck, 0);
        circuit.finish(&call);
        assert_eq!(circuit.stuck, 0, "finishing twice never underflows");
    }
}
