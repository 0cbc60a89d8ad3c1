//! The smallest Tauri 2 app: one window showing a static page, and one command that the page
//! calls once it is painted. `benches/desktop.sh` launches it next to Tokentray and measures
//! both the same way (launch to painted window, idle memory of every process).

use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();

/// The page has painted: say so once, in the same words Tokentray logs.
#[tauri::command]
fn ui_ready() {
    let since_start = STARTED.get().map(Instant::elapsed);
    eprintln!("the window is ready since_start={since_start:?}");
}

fn main() {
    STARTED.get_or_init(Instant::now);
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ui_ready])
        .run(tauri::generate_context!())
        .expect("the minimal app could not start");
}
