//! The tray icon and its menu: one submenu per connection (copy token, refresh, log in),
//! Refresh all, Open and Quit. The icon shows a red mark while any connection needs a login.
//! The menu is rebuilt only when what it shows changes.

use std::sync::Mutex;
use tokentray_engine::connection_name;

use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
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

/// One line of the tray menu, before it becomes a GTK/AppKit/Win32 menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A clickable item: its id (see the constants above), label and whether it is enabled.
    Item {
        id: String,
        label: String,
        enabled: bool,
    },
    /// A connection: its label with a status marker, and its items.
    Submenu {
        label: String,
        items: Vec<Entry>,
    },
    Separator,
}

/// What the tray shows: the menu, whether it asks for attention, and the tooltip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Model {
    pub(crate) entries: Vec<Entry>,
    pub(crate) attention: bool,
    pub(crate) tooltip: String,
}

fn item(id: impl Into<String>, label: &str, enabled: bool) -> Entry {
    Entry::Item {
        id: id.into(),
        label: label.to_owned(),
        enabled,
    }
}

/// The status marker beside a connection's label.
fn marker(status: Status) -> &'static str {
    match status {
        Status::NeedsLogin => " (log in needed)",
        Status::SignedOut => " (signed out)",
        Status::Error => " (error)",
        _ => "",
    }
}

/// The tray for these connections: a pure function of the views, so that the tray shows the
/// same thing for the same connections, from its first second on.
pub(crate) fn model(views: &[ConnectionView]) -> Model {
    let mut entries: Vec<Entry> = views
        .iter()
        .map(|view| {
            let name = view.name.as_str();
            Entry::Submenu {
                label: format!("{}{}", view.label, marker(view.status)),
                items: vec![
                    item(
                        format!("{COPY}:{name}"),
                        "Copy token",
                        view.exportable && view.status != Status::SignedOut,
                    ),
                    item(format!("{REFRESH}:{name}"), "Refresh", true),
                    item(format!("{LOGIN}:{name}"), "Log in…", true),
                ],
            }
        })
        .collect();
    if !views.is_empty() {
        entries.push(Entry::Separator);
    }
    entries.extend([
        item(REFRESH_ALL, "Refresh all", !views.is_empty()),
        item(OPEN, "Open Tokentray", true),
        Entry::Separator,
        item(QUIT, "Quit", true),
    ]);
    Model {
        entries,
        attention: needs_attention(views),
        tooltip: tooltip(views),
    }
}

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
        Some(attention_icon())
    } else {
        app.default_window_icon().cloned()
    }
}

/// Builds the tray icon complete (every connection in its menu, the right icon and tooltip);
/// on the main thread. Where the desktop has no tray (bare X servers, some GNOME setups) the
/// icon is simply not shown; launching Tokentray again still brings the window back.
pub(crate) fn start(app: &AppHandle) {
    let views = app
        .try_state::<AppState>()
        .and_then(|state| state.engine.list().ok())
        .unwrap_or_default();
    if let Err(error) = create(app, &views) {
        tracing::warn!(%error, "could not create the tray icon");
    }
}

fn create(app: &AppHandle, views: &[ConnectionView]) -> tauri::Result<TrayIcon> {
    let model = model(views);
    *SHOWN.lock().expect("tray lock") = Some(signature(views));
    let mut tray = TrayIconBuilder::with_id(TRAY)
        .tooltip(&model.tooltip)
        .menu(&menu(app, &model)?)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| on_menu_event(app, &event))
        .on_tray_icon_event(|tray, event| on_icon_event(tray, &event));
    if let Some(icon) = icon(app, &model) {
        tray = tray.icon(icon);
    }
    tray.build(app)
}

/// Brings the menu, icon and tooltip in step with the connections; called on every engine
/// event and every change of the files by another process. Before the tray exists (it is made
/// after the first screen, complete), nothing.
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
    let model = model(&views);
    let result = menu(app, &model)
        .and_then(|m| tray.set_menu(Some(m)))
        .and_then(|()| tray.set_icon(icon(app, &model)))
        .and_then(|()| tray.set_tooltip(Some(&model.tooltip)));
    if let Err(error) = result {
        tracing::warn!(%error, "could not update the tray");
    }
}

/// Whether the desktop shows tray icons. On Linux the icon is a `StatusNotifierItem`, shown only
/// while a panel has registered as a host with the session's `org.kde.StatusNotifierWatcher`;
/// without one the app runs on, with its window as the only way in. Elsewhere, always.
pub(crate) async fn host_available() -> bool {
    #[cfg(target_os = "linux")]
    {
        match linux_host().await {
            Ok(found) => found,
            Err(error) => {
                tracing::debug!(%error, "no StatusNotifier watcher on the session bus");
                false
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

#[cfg(target_os = "linux")]
async fn linux_host() -> zbus::Result<bool> {
    let bus = zbus::Connection::session().await?;
    // One property read: no property cache (whose set-up logs a warning when no watcher runs).
    let watcher: zbus::Proxy<'_> = zbus::proxy::Builder::new(&bus)
        .destination("org.kde.StatusNotifierWatcher")?
        .path("/StatusNotifierWatcher")?
        .interface("org.kde.StatusNotifierWatcher")?
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await?;
    watcher
        .get_property::<bool>("IsStatusNotifierHostRegistered")
        .await
}

/// Renews every connection that can renew without a person.
pub(crate) async fn refresh_all(engine: &Engine) {
    let Ok(views) = engine.list() else { return };
    for view in views.iter().filter(|v| v.status != Status::SignedOut) {
        // A person's click: not held back by the renewal limit that scripts' paths keep.
        if let Err(error) = engine.refresh_now(&view.name).await {
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
                    let engine = &state.engine;
                    async { engine.refresh_now(&connection_name(&name)?).await }
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

    fn labels(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .filter_map(|e| match e {
                Entry::Item { label, .. } | Entry::Submenu { label, .. } => Some(label.clone()),
                Entry::Separator => None,
            })
            .collect()
    }

    fn submenu<'m>(model: &'m Model, label: &str) -> &'m [Entry] {
        model
            .entries
            .iter()
            .find_map(|e| match e {
                Entry::Submenu { label: l, items } if l.starts_with(label) => {
                    Some(items.as_slice())
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no submenu {label} in {model:?}"))
    }

    #[test]
    fn the_menu_lists_every_connection_with_its_actions_and_status() {
        let mut work = active_view("work");
        work.label = "Work API".into();
        work.status = Status::Active;
        let mut gis = active_view("gis");
        gis.label = "GIS portal".into();
        gis.status = Status::NeedsLogin;
        let model = model(&[work.clone(), gis]);
        assert_eq!(
            labels(&model.entries),
            [
                "Work API",
                "GIS portal (log in needed)",
                "Refresh all",
                "Open Tokentray",
                "Quit"
            ]
        );
        assert_eq!(
            submenu(&model, "Work API"),
            [
                item("copy:work", "Copy token", true),
                item("refresh:work", "Refresh", true),
                item("login:work", "Log in…", true),
            ]
        );
        assert!(model.attention);
        assert!(model.tooltip.contains("GIS portal"), "{}", model.tooltip);

        // Signed out: nothing to copy yet; a login is what it needs.
        work.status = Status::SignedOut;
        let model = super::model(&[work]);
        assert_eq!(
            submenu(&model, "Work API (signed out)")[0],
            item("copy:work", "Copy token", false)
        );
        assert!(!model.attention);
    }

    #[test]
    fn with_no_connection_the_menu_still_opens_and_quits() {
        let model = model(&[]);
        assert_eq!(
            labels(&model.entries),
            ["Refresh all", "Open Tokentray", "Quit"]
        );
        assert_eq!(model.entries[0], item(REFRESH_ALL, "Refresh all", false));
        assert!(!model.attention);
    }
}
