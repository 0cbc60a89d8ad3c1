//! Which connections may be handed out, remembered for a moment. Asking the engine means a
//! `stat` of the config file and a look-up on every request; a positive answer is kept for
//! [`REMEMBER`], and forgotten at once when the engine announces a change to the connection
//! (an edit, a removal, a logout in this process). A change made by another process (the CLI
//! setting `export = false`) takes effect within [`REMEMBER`].

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use tokentray_engine::{ConnectionName, Engine, EngineEvent};
use tokio::sync::broadcast::{self, error::TryRecvError};
use tokio::time::Instant;

/// How long a positive answer is trusted without asking the engine again.
pub(crate) const REMEMBER: Duration = Duration::from_secs(1);

/// Remembered positive answers, and the engine's announcements that invalidate them.
pub(crate) struct Exportables {
    // Read-mostly: requests only read unless the engine announced a change.
    state: RwLock<State>,
}

struct State {
    checked: HashMap<String, Instant>,
    changes: broadcast::Receiver<EngineEvent>,
}

impl Exportables {
    pub(crate) fn new(engine: &Engine) -> Self {
        Self {
            state: RwLock::new(State {
                checked: HashMap::new(),
                changes: engine.subscribe(),
            }),
        }
    }

    /// Whether `name` exists and may be exported.
    pub(crate) fn check(
        &self,
        engine: &Engine,
        name: &ConnectionName,
    ) -> Result<bool, tokentray_engine::Error> {
        {
            let state = self.state.read().expect("exportables lock");
            if state.changes.is_empty() && state.remembers(name) {
                return Ok(true);
            }
        }
        {
            let mut state = self.state.write().expect("exportables lock");
            state.forget_changed();
            if state.remembers(name) {
                return Ok(true);
            }
        }
        let exportable = engine
            .config()?
            .get(name)
            .is_some_and(tokentray_engine::ConnectionSpec::exportable);
        if exportable {
            let mut state = self.state.write().expect("exportables lock");
            state
                .checked
                .insert(name.as_str().to_owned(), Instant::now());
        }
        Ok(exportable)
    }
}

impl State {
    fn remembers(&self, name: &ConnectionName) -> bool {
        self.checked
            .get(name.as_str())
            .is_some_and(|at| at.elapsed() < REMEMBER)
    }

    fn forget_changed(&mut self) {
        loop {
            match self.changes.try_recv() {
                Ok(EngineEvent::Changed { connection }) => {
                    self.checked.remove(connection.name.as_str());
                }
                Ok(EngineEvent::Removed { name }) => {
                    self.checked.remove(name.as_str());
                }
                Err(TryRecvError::Lagged(_)) => self.checked.clear(),
                Err(TryRecvError::Empty | TryRecvError::Closed) => return,
            }
        }
    }
}
