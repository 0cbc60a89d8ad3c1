//! Tokentray's desktop shell: the composition root that builds the engine, wires it to the
//! webview (typed commands and events), and owns the window and the tray. It holds no token
//! logic: every decision lives in `tokentray-engine`.

mod autostart;
mod bindings;
mod browser;
mod clipboard;
mod commands;
mod demo;
mod dto;
mod events;
mod forms;
mod ipc_error;
mod notify;
mod panel;
mod settings;
mod startup;
mod state;
mod timing;
mod tray;
mod window;

use tauri::{App, AppHandle, Manager, RunEvent};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::state::AppState;

/// Starts the app and blocks until the user quits.
pub fn run() {
    timing::begin();
    init_tracing();
    timing::mark("logging ready");
    let specta = bindings::builder();
    let app = tauri::Builder::default()
        // First, so that a second launch hands over to the running app before anything else
        // (a window, a tray icon, the engine) is created.
        // With its deep-link feature, a `tokentray://` argument of the second launch reaches
        // the deep-link plugin's handler below.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            window::show_main(app);
        }))
        .plugin(timing::plugin("startup-a", "single instance checked"))
        .plugin(startup::first_list_plugin())
        .plugin(tauri_plugin_deep_link::init())
        .plugin(window::navigation_guard())
        .plugin(tauri_plugin_opener::init())
        // Runs the demo providers' sidecar (from Rust only: the webview gets no shell rights).
        .plugin(tauri_plugin_shell::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .plugin(
            tauri_plugin_window_state::Builder::new()
                .with_state_flags(
                    tauri_plugin_window_state::StateFlags::SIZE
                        | tauri_plugin_window_state::StateFlags::POSITION
                        | tauri_plugin_window_state::StateFlags::MAXIMIZED,
                )
                .build(),
        )
        .plugin(timing::plugin("startup-b", "plugins ready"))
        .invoke_handler(specta.invoke_handler())
        .setup(move |app| {
            timing::mark("window created");
            specta.mount_events(app);
            setup(app)?;
            timing::mark("setup done");
            Ok(())
        })
        .on_page_load(|_webview, payload| match payload.event() {
            tauri::webview::PageLoadEvent::Started => timing::mark("page load started"),
            tauri::webview::PageLoadEvent::Finished => timing::mark("page loaded"),
        })
        .on_window_event(window::on_event)
        .build(tauri::generate_context!());
    timing::mark("app built");
    match app {
        Ok(app) => app.run(|app, event| on_run_event(app, &event)),
        Err(error) => {
            tracing::error!(%error, "could not start Tokentray");
            std::process::exit(1);
        }
    }
}

fn setup(app: &mut App) -> Result<(), Box<dyn std::error::Error>> {
    window::lighten(app.handle());
    let state = AppState::open(app.handle(), tray::update)?;
    app.manage(state);
    timing::mark("engine opened");
    // Refresh, the endpoint and the tray start once the list is painted.
    startup::hold_back_until_first_screen(app.handle());
    let handle = app.handle().clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            deliver_link(&handle, url.as_str());
        }
    });
    // A first launch with a link as its argument.
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        for url in urls {
            deliver_link(app.handle(), url.as_str());
        }
    }
    Ok(())
}

/// Hands a `tokentray://oauth/callback` link to the login waiting for it. A link that
/// matches no waiting login (a stale one, a forged one) changes nothing and is said so.
fn deliver_link(app: &AppHandle, link: &str) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    let engine = state.engine.clone();
    let (app, link) = (app.clone(), link.to_owned());
    // The connection's owner checks the link; the answer comes back here.
    tauri::async_runtime::spawn(async move {
        if engine.logins().deliver_redirect(&link).await {
            window::show_main(&app);
        } else {
            events::notice(
                &app,
                events::Level::Warning,
                "Ignored a tokentray:// link that matches no waiting login.",
            );
        }
    });
}

fn on_run_event(app: &AppHandle, event: &RunEvent) {
    if let RunEvent::Exit = event
        && let Some(state) = app.try_state::<AppState>()
    {
        tauri::async_runtime::block_on(state.shutdown());
    }
}

fn init_tracing() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("TOKENTRAY_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(tokentray_engine::DEFAULT_LOG_FILTER)
        });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::env::var_os("NO_COLOR").is_none())
        .try_init();
}
