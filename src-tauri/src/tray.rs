//! The tray icon and its menu: Open and Quit. Later tasks add a submenu per connection.

use tauri::AppHandle;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};

use crate::window;

const OPEN: &str = "open";
const QUIT: &str = "quit";

/// Builds the tray icon. Where the desktop has no tray (bare X servers, some GNOME setups) the
/// icon is simply not shown; launching Tokentray again still brings the window back.
pub(crate) fn create(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let open = MenuItem::with_id(app, OPEN, "Open", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&open, &separator, &quit])?;
    let mut tray = TrayIconBuilder::with_id("main")
        .tooltip("Tokentray")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| on_menu_event(app, &event))
        .on_tray_icon_event(|tray, event| on_icon_event(tray, &event));
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)
}

fn on_menu_event(app: &AppHandle, event: &MenuEvent) {
    match event.id().as_ref() {
        OPEN => window::show_main(app),
        QUIT => app.exit(0),
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
