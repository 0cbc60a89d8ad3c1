//! Tokentray's desktop shell: the composition root that builds the engine, wires it to the
//! webview (typed commands and events), and owns the window and the tray. It holds no token
//! logic: every decision lives in `tokentray-engine`.

mod bindings;
mod commands;
mod dto;
mod events;
mod ipc_error;
mod state;
mod tray;
mod window;

use tauri::{App, AppHandle, Manager, RunEvent};

use crate::state::AppState;

/// Starts the app and blocks until the user quits.
pub fn run() {
    init_tracing();
    let specta = bindings::builder();
    let app = tauri::Builder::default()
        // First, so that a second launch hands over to the running app before anything else
        // (a window, a tray icon, the engine) is created.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            window::show_main(app);
        }))
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(specta.invoke_handler())
        .setup(move |app| {
            specta.mount_events(app);
            setup(app)
        })
        .on_window_event(window::on_event)
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|app, event| on_run_event(app, &event)),
        Err(error) => {
            tracing::error!(%error, "could not start Tokentray");
            std::process::exit(1);
        }
    }
}

fn setup(app: &mut App) -> Result<(), Box<dyn std::error::Error>> {
    let state = AppState::open(app.handle())?;
    app.manage(state);
    tray::create(app.handle())?;
    Ok(())
}

fn on_run_event(app: &AppHandle, event: &RunEvent) {
    if let RunEvent::Exit = event
        && let Some(state) = app.try_state::<AppState>()
    {
        tauri::async_runtime::block_on(state.shutdown());
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TOKENTRAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::env::var_os("NO_COLOR").is_none())
        .try_init();
}
