//! The tray icon and its menu: one submenu per connection (copy token, refresh, log in),
//! Refresh all, Open and Quit. The icon shows a red mark while any connection needs a login.
//! The menu is rebuilt only when what it shows changes.

use std::sync::Mutex;

use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};
use tauri_specta::Event as _;
use tokentray_engine::{ConnectionView, Engine, Status};

use crate::events::{Level, Navigate, notice};
use crate::state::AppState;
use crate::window;

const TRAY: &str = "main";
const OPEN: &str = "open";
const QUIT: &str = "quit";
const REFRESH_ALL: &str = "refresh-all";
/// Per-connection items are `<action>:<name>`.
const COPY: &str = "copy";
const REFRESH: &str = "refresh";
const LOGIN: &str = "login";

/// What the menu showed last, to skip needless rebuilds.
static SHOWN: Mutex<Option<String>> = Mutex::new(None);

fn attention_icon() -> Image<'static> {
    tauri::include_image!("../icons/tray-attention.png")
}

/// Whether any connection needs a person.
pub(crate) fn needs_attention(views: &[ConnectionView]) -> bool {
    views.iter().any(|v| v.status == Status::NeedsLogin)
}

fn tooltip(views: &[ConnectionView]) -> String {
    let waiting: Vec<&str> = views
        .iter()
        .filter(|v| v.status == Status::NeedsLogin)
        .map(|v| v.label.as_str())
        .collect();
    if waiting.is_empty() {
        format!("Tokentray: {} connection(s) fresh", views.len())
    } else {
        format!("Tokentray: log in needed for {}", waiting.join(", "))
    }
}

fn signature(views: &[ConnectionView]) -> String {
    views
        .iter()
        .map(|v| format!("{}|{}|{}|{}", v.name, v.label, v.status, v.exportable))
        .collect::<Vec<_>>()
        .join("\n")
}

fn menu(app: &AppHandle, views: &[ConnectionView]) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    for view in views {
        let name = view.name.as_str();
        let marker = if view.status == Status::NeedsLogin {
            " (log in needed)"
        } else {
            ""
        };
        let copy = MenuItem::with_id(
            app,
            format!("{COPY}:{name}"),
            "Copy token",
            view.exportable && view.status != Status::SignedOut,
            None::<&str>,
        )?;
        let refresh = MenuItem::with_id(
            app,
            format!("{REFRESH}:{name}"),
            "Refresh",
            true,
            None::<&str>,
        )?;
        let login = MenuItem::with_id(
            app,
            format!("{LOGIN}:{name}"),
            "Log in…",
            true,
            None::<&str>,
        )?;
        let sub = Submenu::with_items(
            app,
            format!("{}{marker}", view.label),
            true,
            &[&copy, &refresh, &login],
        )?;
        menu.append(&sub)?;
    }
    if !views.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
    }
    menu.append(&MenuItem::with_id(
        app,
        REFRESH_ALL,
        "Refresh all",
        !views.is_empty(),
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        OPEN,
        "Open Tokentray",
        true,
        None::<&str>,
    )?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?)?;
    Ok(menu)
}

/// Builds the tray icon and shows the connections in it; on the main thread. Where the desktop
/// has no tray (bare X servers, some GNOME setups) the icon is simply not shown; launching
/// Tokentray again still brings the window back.
pub(crate) fn start(app: &AppHandle) {
    if let Err(error) = create(app) {
        tracing::warn!(%error, "could not create the tray icon");
        return;
    }
    if let Some(state) = app.try_state::<AppState>() {
        update(app, &state.engine);
    }
}

fn create(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let mut tray = TrayIconBuilder::with_id(TRAY)
        .tooltip("Tokentray")
        .menu(&menu(app, &[])?)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| on_menu_event(app, &event))
        .on_tray_icon_event(|tray, event| on_icon_event(tray, &event));
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)
}

/// Brings the menu, icon and tooltip in step with the connections.
/// Before the tray exists (it is made after the first screen), nothing.
pub(crate) fn update(app: &AppHandle, engine: &Engine) {
    let Some(tray) = app.tray_by_id(TRAY) else {
        return;
    };
    let views = engine.list().unwrap_or_default();
    let sig = signature(&views);
    {
        let mut shown = SHOWN.lock().expect("tray lock");
        if shown.as_deref() == Some(sig.as_str()) {
            return;
        }
        *shown = Some(sig);
    }
    let icon = if needs_attention(&views) {
        Some(attention_icon())
    } else {
        app.default_window_icon().cloned()
    };
    let result = menu(app, &views)
        .and_then(|m| tray.set_menu(Some(m)))
        .and_then(|()| tray.set_icon(icon))
        .and_then(|()| tray.set_tooltip(Some(tooltip(&views))));
    if let Err(error) = result {
        tracing::warn!(%error, "could not update the tray");
    }
}

/// Renews every connection that can renew without a person.
pub(crate) async fn refresh_all(engine: &Engine) {
    let Ok(views) = engine.list() else { return };
    for view in views.iter().filter(|v| v.status != Status::SignedOut) {
        // A person's click: not held back by the renewal limit that scripts' paths keep.
        if let Err(error) = engine.refresh_now(view.name.as_str()).await {
            tracing::info!(connection = %view.name, %error, "refresh all: one failed");
        }
    }
}

fn on_menu_event(app: &AppHandle, event: &MenuEvent) {
    let id = event.id().as_ref();
    match id {
        OPEN => window::show_main(app),
        QUIT => app.exit(0),
        REFRESH_ALL => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                if let Some(state) = app.try_state::<AppState>() {
                    refresh_all(&state.engine).await;
                }
            });
        }
        _ => {
            if let Some((action, name)) = id.split_once(':') {
                on_connection_action(app, action, name.to_owned());
            }
        }
    }
}

fn on_connection_action(app: &AppHandle, action: &str, name: String) {
    match action {
        LOGIN => {
            // Logins may need the person (a browser, a one-time code): the window leads it.
            window::show_main(app);
            if let Err(error) = (Navigate { name, login: true }).emit(app) {
                tracing::warn!(%error, "could not ask the window to log in");
            }
        }
        COPY | REFRESH => {
            let (app, action) = (app.clone(), action.to_owned());
            tauri::async_runtime::spawn(async move {
                let Some(state) = app.try_state::<AppState>() else {
                    return;
                };
                let result = if action == COPY {
                    crate::commands::tokens::copy(
                        &app,
                        &state,
                        &name,
                        crate::commands::tokens::CopyFormat::Token,
                    )
                    .await
                    .map(|_| format!("Copied the token of {name}."))
                } else {
                    state
                        .engine
                        .refresh_now(&name)
                        .await
                        .map(|_| format!("Refreshed {name}."))
                        .map_err(Into::into)
                };
                match result {
                    Ok(message) => notice(&app, Level::Info, message),
                    Err(error) => notice(&app, Level::Error, error.message),
                }
            });
        }
        _ => {}
    }
}

// A left click opens the window on Windows and macOS; Linux trays only show the menu.
fn on_icon_event(tray: &TrayIcon, event: &TrayIconEvent) {
    if let TrayIconEvent::Click {
        button: MouseButton::Left,
        button_state: MouseButtonState::Up,
        ..
    } = event
    {
        window::show_main(tray.app_handle());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::tests::active_view;

    #[test]
    fn the_tray_asks_for_attention_only_when_a_login_is_needed() {
        let mut a = active_view("a");
        a.status = Status::Active;
        let mut b = active_view("b");
        b.status = Status::Error;
        assert!(!needs_attention(&[a.clone(), b.clone()]));
        assert!(tooltip(&[a.clone(), b.clone()]).contains("2 connection(s)"));
        b.status = Status::NeedsLogin;
        b.label = "Copernicus".into();
        assert!(needs_attention(&[a.clone(), b.clone()]));
        assert!(tooltip(&[a.clone(), b.clone()]).contains("log in needed for Copernicus"));
        let before = signature(&[a.clone()]);
        a.status = Status::NeedsLogin;
        assert_ne!(before, signature(&[a]), "a status change rebuilds the menu");
    }
}
