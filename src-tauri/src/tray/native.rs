//! The tray on Windows and macOS: Tauri's tray icon, its menu rebuilt from the [`Model`] only
//! when what it shows changes. The icon carries the red mark while a connection needs a login.

use std::sync::Mutex;

use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Wry};

use super::model::{Entry, Model};

const TRAY: &str = "main";

/// What the tray shows, to skip needless rebuilds.
static SHOWN: Mutex<Option<Model>> = Mutex::new(None);

fn menu_item(app: &AppHandle, entry: &Entry) -> tauri::Result<Box<dyn IsMenuItem<Wry>>> {
    Ok(match entry {
        Entry::Item { id, label, enabled } => Box::new(MenuItem::with_id(
            app,
            id.as_str(),
            label,
            *enabled,
            None::<&str>,
        )?),
        Entry::Submenu { label, items } => {
            let sub = Submenu::new(app, label, true)?;
            for child in items {
                sub.append(menu_item(app, child)?.as_ref())?;
            }
            Box::new(sub)
        }
        Entry::Separator => Box::new(PredefinedMenuItem::separator(app)?),
    })
}

fn menu(app: &AppHandle, model: &Model) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    for entry in &model.entries {
        menu.append(menu_item(app, entry)?.as_ref())?;
    }
    Ok(menu)
}

fn icon<'a>(app: &'a AppHandle, model: &Model) -> Option<Image<'a>> {
    if model.attention {
        Some(tauri::include_image!("../icons/tray-attention.png"))
    } else {
        app.default_window_icon().cloned()
    }
}

fn tooltip(model: &Model) -> String {
    format!("Tokentray: {}", model.tooltip)
}

/// Builds the tray icon showing `model`; the icon is GTK/AppKit/Win32 work, so it is made on
/// the main thread.
pub(super) fn start(app: &AppHandle, model: Model) {
    let handle = app.clone();
    let queued = app.run_on_main_thread(move || {
        if let Err(error) = create(&handle, &model) {
            tracing::warn!(%error, "could not create the tray icon");
        }
    });
    if let Err(error) = queued {
        tracing::warn!(%error, "could not create the tray icon");
    }
}

fn create(app: &AppHandle, model: &Model) -> tauri::Result<TrayIcon> {
    *SHOWN.lock().expect("tray lock") = Some(model.clone());
    let mut tray = TrayIconBuilder::with_id(TRAY)
        .tooltip(tooltip(model))
        .menu(&menu(app, model)?)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event: MenuEvent| super::act(app, event.id().as_ref()))
        .on_tray_icon_event(|tray, event| on_icon_event(tray, &event));
    if let Some(icon) = icon(app, model) {
        tray = tray.icon(icon);
    }
    tray.build(app)
}

/// Shows `model` if it differs from what the tray shows.
pub(super) fn show(app: &AppHandle, model: Model) {
    let Some(tray) = app.tray_by_id(TRAY) else {
        return;
    };
    {
        let mut shown = SHOWN.lock().expect("tray lock");
        if shown.as_ref() == Some(&model) {
            return;
        }
        *shown = Some(model.clone());
    }
    let result = menu(app, &model)
        .and_then(|m| tray.set_menu(Some(m)))
        .and_then(|()| tray.set_icon(icon(app, &model)))
        .and_then(|()| tray.set_tooltip(Some(tooltip(&model))));
    if let Err(error) = result {
        tracing::warn!(%error, "could not update the tray");
    }
}

// A left click opens the window on Windows and macOS.
fn on_icon_event(tray: &TrayIcon, event: &TrayIconEvent) {
    if let TrayIconEvent::Click {
        button: MouseButton::Left,
        button_state: MouseButtonState::Up,
        ..
    } = event
    {
        crate::window::show_main(tray.app_handle());
    }
}
