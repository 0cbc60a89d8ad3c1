//! What the tray shows, as plain data: one submenu per connection (copy token, refresh, log
//! in), Refresh all, Open and Quit; whether it asks for attention (a connection needs a login),
//! and the tooltip naming what does. A pure function of the connections, so that every tray
//! backend shows the same thing for the same connections, from its first second on.

use tokentray_engine::{ConnectionView, Status};

pub(crate) const OPEN: &str = "open";
pub(crate) const QUIT: &str = "quit";
pub(crate) const REFRESH_ALL: &str = "refresh-all";
/// Per-connection items are `<action>:<name>`.
pub(crate) const COPY: &str = "copy";
pub(crate) const REFRESH: &str = "refresh";
pub(crate) const LOGIN: &str = "login";

/// Whether any connection needs a person.
fn needs_attention(views: &[ConnectionView]) -> bool {
    views.iter().any(|v| v.status == Status::NeedsLogin)
}

/// The tooltip's text (its title is the app's name): what needs a person first, then what
/// fails, else how many connections are kept fresh.
fn tooltip(views: &[ConnectionView]) -> String {
    let labels = |status: Status| -> Vec<&str> {
        views
            .iter()
            .filter(|v| v.status == status)
            .map(|v| v.label.as_str())
            .collect()
    };
    let (waiting, failing) = (labels(Status::NeedsLogin), labels(Status::Error));
    if !waiting.is_empty() {
        format!("Log in needed for {}", waiting.join(", "))
    } else if !failing.is_empty() {
        format!("Renewal failing for {}", failing.join(", "))
    } else if views.is_empty() {
        "No connections yet".to_owned()
    } else {
        format!("{} connection(s) kept fresh", views.len())
    }
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

/// The tray for these connections.
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
        assert_eq!(
            tooltip(&[a.clone(), b.clone()]),
            "Renewal failing for Work API"
        );
        assert_eq!(tooltip(&[a.clone()]), "1 connection(s) kept fresh");
        assert_eq!(tooltip(&[]), "No connections yet");
        b.status = Status::NeedsLogin;
        b.label = "Copernicus".into();
        assert!(needs_attention(&[a.clone(), b.clone()]));
        assert_eq!(
            tooltip(&[a.clone(), b.clone()]),
            "Log in needed for Copernicus"
        );
        let before = model(&[a.clone()]);
        a.status = Status::NeedsLogin;
        assert_ne!(
            before,
            model(&[a]),
            "a status change changes what the tray shows"
        );
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
