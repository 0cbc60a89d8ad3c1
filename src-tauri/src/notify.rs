//! Desktop notifications, and keeping the tray in step: a connection that needs a login, a
//! session that will end soon (the lead time is a preference), and renewals that keep
//! failing. Each is said once per occurrence, not on every event.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;
use tokentray_engine::{
    Clock, ConnectionView, Engine, EngineEvent, Status, SystemClock, Timestamp,
};
use tokio::sync::broadcast::error::RecvError;

use crate::settings::UiSettings;

/// How many failed renewals in a row deserve a notification.
const FAILURES_TO_REPORT: usize = 3;
/// How often session ends are checked.
const TICK: Duration = Duration::from_secs(30);

/// Something to tell the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Note {
    pub(crate) title: String,
    pub(crate) body: String,
}

/// What has been said already, per connection.
#[derive(Debug, Default)]
pub(crate) struct Notifier {
    status: HashMap<String, Status>,
    warned_end: HashMap<String, Timestamp>,
    failing_reported: HashMap<String, bool>,
}

impl Notifier {
    /// A connection changed; `failures_in_a_row` counts its latest failed renewals.
    pub(crate) fn on_change(
        &mut self,
        view: &ConnectionView,
        failures_in_a_row: usize,
    ) -> Option<Note> {
        let name = view.name.to_string();
        let before = self.status.insert(name.clone(), view.status);
        if view.status == Status::NeedsLogin && before.is_some_and(|s| s != Status::NeedsLogin) {
            return Some(Note {
                title: format!("{} needs you to log in", view.label),
                body: view.last_error.clone().unwrap_or_else(|| {
                    "Its session ended. Open Tokentray and choose Log in.".into()
                }),
            });
        }
        let reported = self.failing_reported.entry(name).or_default();
        if failures_in_a_row < FAILURES_TO_REPORT {
            *reported = false;
            return None;
        }
        if *reported || view.status != Status::Error {
            return None;
        }
        *reported = true;
        Some(Note {
            title: format!("{} keeps failing to renew", view.label),
            body: format!(
                "{failures_in_a_row} attempts in a row failed; Tokentray keeps retrying. Last error: {}",
                view.last_error.as_deref().unwrap_or("unknown")
            ),
        })
    }

    /// Warns, once per session, about sessions that end within `lead`.
    pub(crate) fn on_tick(
        &mut self,
        now: Timestamp,
        views: &[ConnectionView],
        lead: Duration,
    ) -> Vec<Note> {
        if lead.is_zero() {
            return Vec::new();
        }
        let mut notes = Vec::new();
        for view in views {
            let Some(end) = view.needs_login_at else {
                continue;
            };
            if end <= now || now.plus(lead) < end {
                continue;
            }
            let name = view.name.to_string();
            if self.warned_end.get(&name) == Some(&end) {
                continue;
            }
            self.warned_end.insert(name, end);
            let minutes = end.as_millis().saturating_sub(now.as_millis()) / 60_000;
            notes.push(Note {
                title: format!("{}: session ends soon", view.label),
                body: format!(
                    "The session ends in about {} min. Log in again in Tokentray to keep the token coming.",
                    minutes.max(1)
                ),
            });
        }
        notes
    }
}

fn failures_in_a_row(engine: &Engine, name: &str) -> usize {
    engine.history(name).map_or(0, |history| {
        history
            .iter()
            .rev()
            .take_while(|h| h.outcome == tokentray_engine::HistoryOutcome::Failed)
            .count()
    })
}

fn show(app: &AppHandle, note: &Note) {
    let shown = app
        .notification()
        .builder()
        .title(&note.title)
        .body(&note.body)
        .show();
    if let Err(error) = shown {
        tracing::info!(%error, title = %note.title, "could not show a notification");
    }
}

/// Watches the engine for things to notify (the tray follows the engine through the event
/// bridge).
pub(crate) fn spawn(
    app: AppHandle,
    engine: Engine,
    settings: Arc<Mutex<UiSettings>>,
) -> tauri::async_runtime::JoinHandle<()> {
    tauri::async_runtime::spawn(async move {
        let mut events = engine.subscribe();
        let mut notifier = Notifier::default();
        if let Ok(views) = engine.list() {
            for view in &views {
                notifier.on_change(view, 0);
            }
        }
        let mut tick = tokio::time::interval(TICK);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(EngineEvent::Changed { connection }) => {
                        let failures = failures_in_a_row(&engine, connection.name.as_str());
                        if let Some(note) = notifier.on_change(&connection, failures) {
                            show(&app, &note);
                        }
                    }
                    Ok(EngineEvent::Removed { .. }) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                },
                _ = tick.tick() => {
                    let lead = settings.lock().map_or(0, |s| s.notify_session_end_mins);
                    let views = engine.list().unwrap_or_default();
                    for note in notifier.on_tick(SystemClock.now(), &views, Duration::from_secs(u64::from(lead) * 60)) {
                        show(&app, &note);
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use tokentray_engine::ProviderKind;

    use super::*;
    use crate::dto::tests::active_view;

    fn view(status: Status) -> ConnectionView {
        ConnectionView {
            kind: ProviderKind::Cdse,
            label: "Work".into(),
            status,
            expires_at: None,
            identity: None,
            last_refresh: None,
            last_error: Some("the refresh token was revoked".into()),
            store: None,
            ..active_view("work")
        }
    }

    #[test]
    fn needing_a_login_is_said_once_when_it_starts() {
        let mut n = Notifier::default();
        assert_eq!(n.on_change(&view(Status::Active), 0), None);
        let note = n.on_change(&view(Status::NeedsLogin), 0).unwrap();
        assert!(note.title.contains("Work needs you to log in"));
        assert!(note.body.contains("revoked"));
        assert_eq!(
            n.on_change(&view(Status::NeedsLogin), 0),
            None,
            "said already"
        );
        n.on_change(&view(Status::Active), 0);
        assert!(
            n.on_change(&view(Status::NeedsLogin), 0).is_some(),
            "a new occurrence"
        );
    }

    #[test]
    fn a_connection_that_starts_needing_login_is_not_announced() {
        let mut n = Notifier::default();
        assert_eq!(n.on_change(&view(Status::NeedsLogin), 0), None);
    }

    #[test]
    fn repeated_failures_are_said_once_per_streak() {
        let mut n = Notifier::default();
        assert_eq!(n.on_change(&view(Status::Error), 2), None);
        assert!(n.on_change(&view(Status::Error), 3).is_some());
        assert_eq!(n.on_change(&view(Status::Error), 4), None);
        n.on_change(&view(Status::Active), 0);
        assert!(n.on_change(&view(Status::Error), 3).is_some());
    }

    #[test]
    fn a_session_end_is_announced_once_within_the_lead_time() {
        let mut n = Notifier::default();
        let now = Timestamp::from_millis(1_800_000_000_000);
        let mut v = view(Status::Active);
        v.needs_login_at = Some(now.plus(Duration::from_secs(20 * 60)));
        let lead = Duration::from_secs(15 * 60);
        assert!(n.on_tick(now, &[v.clone()], lead).is_empty(), "not yet");
        let later = now.plus(Duration::from_secs(6 * 60));
        let notes = n.on_tick(later, &[v.clone()], lead);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].body.contains("14 min"), "{}", notes[0].body);
        assert!(n.on_tick(later, &[v.clone()], lead).is_empty(), "once");
        assert!(n.on_tick(later, &[v], Duration::ZERO).is_empty());
    }
}
