//! The tray on Linux: a `StatusNotifierItem` with its menu as `com.canonical.dbusmenu` on the
//! session bus, which is what every Linux panel shows (KDE, the `AppIndicator` extension of GNOME,
//! xfce, waybar…). Besides the menu it carries what a panel renders: the status
//! (`NeedsAttention` while a connection needs a login), the icon as pixels and the tooltip.
//!
//! The item runs on its own D-Bus connection; what it shows is a [`Model`] sent over a watch
//! channel, so a burst of engine events becomes one update with the newest model.

use ksni::menu::{MenuItem, StandardItem, SubMenu};
use ksni::{Icon, OfflineReason, ToolTip, TrayMethods};
use tauri::image::Image;
use tauri::{AppHandle, Manager};
use tokio::sync::watch;

use super::model::{Entry, Model};

/// The running tray: the newest model, for the item's task to show.
struct Running {
    shown: watch::Sender<Model>,
}

/// The item as the panel sees it.
struct Item {
    app: AppHandle,
    model: Model,
    normal: Vec<Icon>,
    attention: Vec<Icon>,
}

impl ksni::Tray for Item {
    fn id(&self) -> String {
        "tokentray".to_owned()
    }

    fn title(&self) -> String {
        "Tokentray".to_owned()
    }

    fn status(&self) -> ksni::Status {
        if self.model.attention {
            ksni::Status::NeedsAttention
        } else {
            ksni::Status::Active
        }
    }

    fn icon_pixmap(&self) -> Vec<Icon> {
        // Panels that ignore the status still see the marked icon.
        if self.model.attention {
            self.attention.clone()
        } else {
            self.normal.clone()
        }
    }

    fn attention_icon_pixmap(&self) -> Vec<Icon> {
        self.attention.clone()
    }

    fn tool_tip(&self) -> ToolTip {
        ToolTip {
            title: "Tokentray".to_owned(),
            description: self.model.tooltip.clone(),
            ..ToolTip::default()
        }
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        self.model.entries.iter().map(menu_item).collect()
    }

    /// A left click on the icon opens the window; the menu is on the right button.
    fn activate(&mut self, _x: i32, _y: i32) {
        crate::window::show_main(&self.app);
    }

    fn watcher_offline(&self, reason: OfflineReason) -> bool {
        // No panel right now (a bare X server, a panel restarting): keep the item, it registers
        // again when a watcher appears.
        tracing::debug!(
            ?reason,
            "no StatusNotifier watcher; the tray shows once one appears"
        );
        true
    }
}

fn menu_item(entry: &Entry) -> MenuItem<Item> {
    match entry {
        Entry::Item { id, label, enabled } => {
            let id = id.clone();
            StandardItem {
                label: label.clone(),
                enabled: *enabled,
                activate: Box::new(move |item: &mut Item| super::act(&item.app, &id)),
                ..StandardItem::default()
            }
            .into()
        }
        Entry::Submenu { label, items } => SubMenu {
            label: label.clone(),
            submenu: items.iter().map(menu_item).collect(),
            ..SubMenu::default()
        }
        .into(),
        Entry::Separator => MenuItem::Separator,
    }
}

/// An image as the item's pixels: ARGB32 in network byte order, from Tauri's RGBA.
fn pixels(image: &Image<'_>) -> Vec<Icon> {
    let data = image
        .rgba()
        .chunks_exact(4)
        .flat_map(|p| [p[3], p[0], p[1], p[2]])
        .collect();
    vec![Icon {
        width: i32::try_from(image.width()).unwrap_or(i32::MAX),
        height: i32::try_from(image.height()).unwrap_or(i32::MAX),
        data,
    }]
}

/// Puts the item on the session bus, showing `model`.
pub(super) fn start(app: &AppHandle, model: Model) {
    if app.try_state::<Running>().is_some() {
        return;
    }
    let (shown, mut newest) = watch::channel(model.clone());
    app.manage(Running { shown });
    let item = Item {
        app: app.clone(),
        model,
        normal: app.default_window_icon().map(pixels).unwrap_or_default(),
        attention: pixels(&tauri::include_image!("../icons/tray-attention.png")),
    };
    tauri::async_runtime::spawn(async move {
        // Made even without a watcher, so that a panel started later finds it.
        let handle = match item.assume_sni_available(true).spawn().await {
            Ok(handle) => handle,
            Err(error) => {
                tracing::warn!(%error, "could not put the tray icon on the session bus");
                return;
            }
        };
        while newest.changed().await.is_ok() {
            let model = newest.borrow_and_update().clone();
            if handle.update(|item| item.model = model).await.is_none() {
                break;
            }
        }
    });
}

/// Shows `model` if it differs from what the tray shows.
pub(super) fn show(app: &AppHandle, model: Model) {
    if let Some(running) = app.try_state::<Running>() {
        running.shown.send_if_modified(|shown| {
            let changed = *shown != model;
            if changed {
                *shown = model;
            }
            changed
        });
    }
}
