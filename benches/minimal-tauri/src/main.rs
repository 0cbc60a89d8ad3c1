//! The smallest Tauri 2 app: one window showing a static page, and one command that the page
//! calls once it is painted. `benches/desktop.sh` launches it next to Tokentray and measures
//! both the same way (launch to painted window, idle memory of every process), and profiles
//! both launches with the same stage names.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// When the process started: a monotonic instant, and the wall clock in epoch milliseconds
/// (the page measures on the wall clock).
static STARTED: OnceLock<(Instant, f64)> = OnceLock::new();

/// Logs a stage in the format the benchmark reads from Tokentray's startup marks.
fn stage(name: &str, ms: f64) {
    eprintln!("startup stage=\"{name}\" ms={ms:.1}");
}

/// The page has painted: its own stages (epoch milliseconds), then the ready line, once, in
/// the same words Tokentray logs.
#[tauri::command]
#[allow(
    clippy::needless_pass_by_value,
    reason = "Tauri hands commands owned arguments"
)]
fn ui_ready(marks: Vec<(String, f64)>) {
    if let Some((at, epoch_ms)) = STARTED.get() {
        for (name, when) in marks.iter().take(16) {
            stage(name, when - epoch_ms);
        }
        eprintln!("the window is ready since_start={:?}", Some(at.elapsed()));
    }
}

fn main() {
    #[allow(
        clippy::disallowed_methods,
        reason = "the benchmark's yardstick has no clock port: it reads the wall clock once"
    )]
    let epoch_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    STARTED.get_or_init(|| (Instant::now(), epoch_ms));
    tauri::Builder::default()
        .setup(|_app| {
            if let Some((at, _)) = STARTED.get() {
                stage("window created", at.elapsed().as_secs_f64() * 1000.0);
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![ui_ready])
        .run(tauri::generate_context!())
        .expect("the minimal app could not start");
}
