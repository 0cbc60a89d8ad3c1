//! Where the launch spends its time: timestamps from the process start to the first painted
//! list, for profiling. Each stage is logged at debug level under the target
//! `tokentray_desktop::startup`, so nothing is printed by default; turn them on with
//! `TOKENTRAY_LOG=warn,tokentray_desktop=info,tokentray_desktop::startup=debug`.
//!
//! The UI's own stages (script start, list asked for, list painted) come with `ui_ready` as
//! wall-clock times, and are logged here against the same start.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tokentray_engine::{Clock, SystemClock};

/// The log target of the marks (the launch benchmark turns it on by this name).
const TARGET: &str = "tokentray_desktop::startup";

/// When the process started: a monotonic instant, and the wall clock in epoch milliseconds
/// (the UI measures on the wall clock).
static STARTED: OnceLock<(Instant, i64)> = OnceLock::new();

/// Notes the process start; the first call wins.
pub(crate) fn begin() {
    STARTED.get_or_init(|| (Instant::now(), SystemClock.now().as_millis()));
}

/// The time since the process started.
pub(crate) fn since_start() -> Option<Duration> {
    STARTED.get().map(|(at, _)| at.elapsed())
}

/// Logs that `stage` is reached now.
pub(crate) fn mark(stage: &str) {
    if let Some(since) = since_start() {
        tracing::debug!(target: TARGET, stage, ms = millis(since), "startup");
    }
}

/// Logs a stage the UI reached at `epoch_ms` (wall clock, milliseconds since the epoch).
pub(crate) fn mark_at(stage: &str, epoch_ms: f64) {
    if let Some(ms) = ms_since_start(epoch_ms) {
        tracing::debug!(target: TARGET, stage, ms, "startup (ui)");
    }
}

/// `epoch_ms` as milliseconds since the process start, when known and finite.
fn ms_since_start(epoch_ms: f64) -> Option<f64> {
    let (_, start) = STARTED.get()?;
    #[allow(
        clippy::cast_precision_loss,
        reason = "epoch milliseconds stay below 2^53, exact in an f64"
    )]
    let start = *start as f64;
    epoch_ms.is_finite().then_some(epoch_ms - start)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A plugin named `name` that only marks `stage` when the plugins are set up, in the order it
/// was added.
pub(crate) fn plugin<R: tauri::Runtime>(
    name: &'static str,
    stage: &'static str,
) -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new(name)
        .setup(move |_app, _api| {
            mark(stage);
            Ok(())
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_times_are_counted_from_the_process_start() {
        begin();
        let (_, start) = *STARTED.get().unwrap();
        #[allow(
            clippy::cast_precision_loss,
            reason = "test epoch values are small enough"
        )]
        let start = start as f64;
        assert_eq!(ms_since_start(start + 250.5), Some(250.5));
        assert_eq!(
            ms_since_start(f64::NAN),
            None,
            "a broken time is not logged"
        );
        assert_eq!(ms_since_start(f64::INFINITY), None);
    }
}
