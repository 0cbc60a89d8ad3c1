//! One owner per connection: a task that owns the connection's status, its stored secrets and
//! tokens, its prepared hand-out, its renewal (one at a time: single flight), its failure count
//! and backoff, its waiting browser or device login (`owner/login.rs`), and its place in the
//! background schedule. Everyone else talks to it through a
//! typed [`Msg`] over a channel, with a oneshot reply.
//!
//! Owners are started lazily, on the first message for a connection, so ten thousand idle
//! connections cost nothing; an owner lives as long as the engine (or until the connection is
//! removed, replaced by an import, or added again). Single flight falls out of the task
//! handling one message at a time: callers that wait while a renewal (or a login) runs share
//! its outcome, a failure included, instead of starting their own (see [`Owner`]).
//!
//! Readers that must not wait (a front end's list, the export endpoint's hot path) read what
//! the owner publishes: the state it keeps and its prepared hand-out ([`Published`]). Only the
//! owner writes it.

mod owner;
mod want;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{mpsc, oneshot, watch};

pub(crate) use owner::Ready;
pub(crate) use owner::login::{Desk, LoginRoutes};
pub(crate) use want::{Want, refresh_before};

use super::Inner;
use crate::connection::{ConnectionName, ConnectionSpec};
use crate::error::{Error, Result};
use crate::login::{LoginRequest, LoginStart};
use crate::provider::LoginInput;
use crate::secret::Secret;
use crate::state::ConnectionState;
use crate::time::Timestamp;
use crate::token::{Handout, Identity};
use crate::vault::Stored;

type Reply<T> = oneshot::Sender<Result<T>>;

/// An edit of the stored secrets, worked out from what is stored now (run by the owner, so no
/// renewal can come in between).
pub(crate) type Rebuild = Box<dyn FnOnce(Stored) -> Result<(Stored, Rebuilt)> + Send>;

/// A change to the config file, made by the owner while nothing else runs for the connection.
pub(crate) type Commit = Box<dyn FnOnce() -> Result<()> + Send>;

/// What an edit did to the stored secrets.
#[derive(Debug, Default)]
pub(crate) struct Rebuilt {
    /// Secret fields dropped because the destination moved.
    pub(crate) dropped: Vec<String>,
    /// Whether stored tokens were dropped because the destination moved.
    pub(crate) tokens_dropped: bool,
    /// Secret fields the connection needs and does not have now.
    pub(crate) needed: Vec<String>,
    /// Whether the tokens and the status start over (a change that could make them wrong).
    pub(crate) material: bool,
    /// Whether the stored blob is deleted rather than saved (a move with nothing to keep).
    pub(crate) delete: bool,
}

/// A change to who the tokens belong to.
#[derive(Debug)]
pub(crate) enum IdentityChange {
    /// The service said so just now.
    Now(Option<Identity>),
    /// A change of account after a login was seen: forget the previous one.
    Acknowledged,
}

/// What a connection's owner is asked to do.
pub(crate) enum Msg {
    /// A token as `want` asks, renewed first when needed (once for every caller waiting).
    Token {
        spec: Arc<ConnectionSpec>,
        want: Want,
        reply: Reply<Served>,
    },
    /// What is stored (credentials and tokens), read from the store once.
    Stored {
        spec: Arc<ConnectionSpec>,
        reply: Reply<Stored>,
    },
    /// The connection's HTTP client (built once per definition, kept by the owner).
    Client {
        spec: Arc<ConnectionSpec>,
        reply: Reply<reqwest::Client>,
    },
    /// Log in with the stored credentials and what the person typed.
    Login {
        spec: Arc<ConnectionSpec>,
        input: LoginInput,
        reply: Reply<()>,
    },
    /// Start a browser or device login and hold it while the person signs in; `None` when the
    /// connection has neither (it logs in with its stored credentials).
    BeginLogin {
        spec: Arc<ConnectionSpec>,
        request: LoginRequest,
        reply: Reply<Option<LoginStart>>,
    },
    /// Answer when the waiting login ends (its tokens kept), or how it ended already.
    FinishLogin { reply: Reply<()> },
    /// A pasted code or redirected URL for the waiting login.
    Paste { text: Secret, reply: Reply<()> },
    /// A deep link's query for the waiting deep-link login; answers whether it took it.
    Redirect {
        query: Vec<(String, String)>,
        reply: oneshot::Sender<bool>,
    },
    /// What the waiter of the login `id` saw (from the owner's own sub-task).
    LoginArrived {
        id: u64,
        arrival: owner::login::Arrival,
    },
    /// Forget the tokens (revoking them where the service allows), keep the credentials.
    Logout {
        spec: Arc<ConnectionSpec>,
        reply: Reply<Option<String>>,
    },
    /// The connection is edited: `rebuild` the stored secrets, save them, `commit` the config.
    Edit {
        old: Arc<ConnectionSpec>,
        spec: Arc<ConnectionSpec>,
        rebuild: Rebuild,
        commit: Commit,
        reply: Reply<Rebuilt>,
    },
    /// The connection is removed: delete its secrets, `commit` the config; the owner stops.
    Remove {
        spec: Arc<ConnectionSpec>,
        commit: Commit,
        reply: Reply<()>,
    },
    /// Who the tokens belong to changed.
    Identity {
        spec: Arc<ConnectionSpec>,
        change: IdentityChange,
        reply: Reply<()>,
    },
}

/// A token as served: the shared hand-out, and when the renewal limit held the current token
/// instead of renewing it.
pub(crate) struct Served {
    pub(crate) handout: Arc<Handout>,
    pub(crate) held_since: Option<Timestamp>,
}

/// What an owner publishes for readers that do not wait for it.
#[derive(Default, Clone)]
pub(crate) struct Published {
    /// The state the owner keeps; `None` until it changed it (then the state file knows).
    pub(crate) state: Option<ConnectionState>,
    /// The hand-out of the stored tokens, built once.
    pub(crate) ready: Option<Arc<Ready>>,
    /// The login waiting for the person, if one does.
    pub(crate) login: Option<Arc<Desk>>,
}

/// The way to one connection's owner.
pub(crate) struct Handle {
    tx: mpsc::UnboundedSender<Msg>,
    published: watch::Receiver<Published>,
}

/// Every connection's owner that was started, by name.
pub(crate) struct Runtimes {
    handles: Mutex<HashMap<ConnectionName, Handle>>,
}

impl Runtimes {
    pub(crate) fn new() -> Self {
        Self {
            handles: Mutex::new(HashMap::new()),
        }
    }

    /// `read` of what the owner of `name` published, if one was started (never starts one).
    pub(crate) fn published<T>(
        &self,
        name: &ConnectionName,
        read: impl FnOnce(&Published) -> T,
    ) -> Option<T> {
        let handles = self.handles.lock().expect("runtimes lock");
        Some(read(&handles.get(name)?.published.borrow()))
    }

    /// The state the owner of `name` keeps, if one runs and keeps any.
    pub(crate) fn state(&self, name: &ConnectionName) -> Option<ConnectionState> {
        self.published(name, |p| p.state.clone()).flatten()
    }

    /// How many owners were started and not stopped.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.handles.lock().expect("runtimes lock").len()
    }

    /// Stops the owner of `name` (after what it is doing); the next message starts a new one
    /// that knows nothing yet.
    pub(crate) fn forget(&self, name: &ConnectionName) {
        self.handles.lock().expect("runtimes lock").remove(name);
    }

    /// Sends `msg` to the owner of `name`, starting one when none runs (or the one there
    /// stopped, e.g. with the tokio runtime it ran on).
    fn send(&self, inner: &Weak<Inner>, name: &ConnectionName, msg: Msg) {
        let mut handles = self.handles.lock().expect("runtimes lock");
        let msg = match handles.get(name) {
            Some(handle) => match handle.tx.send(msg) {
                Ok(()) => return,
                Err(mpsc::error::SendError(msg)) => msg,
            },
            None => msg,
        };
        let handle = owner::spawn(name, inner.clone());
        // A new owner's receiver is open: this send cannot fail.
        let _ = handle.tx.send(msg);
        handles.insert(name.clone(), handle);
    }
}

impl Inner {
    /// Asks the owner of `spec`'s connection and waits for its answer.
    async fn ask<T>(&self, spec: &ConnectionSpec, msg: impl FnOnce(Reply<T>) -> Msg) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.runtimes.send(&self.me, &spec.name, msg(tx));
        rx.await.unwrap_or(Err(Error::ShuttingDown))
    }

    /// The waiting login of `name`, as its owner publishes it (never starts an owner).
    pub(crate) fn login_desk(&self, name: &ConnectionName) -> Option<Arc<Desk>> {
        self.runtimes.published(name, |p| p.login.clone()).flatten()
    }

    /// A token for `spec` as `want` asks (see [`Msg::Token`]).
    pub(crate) async fn serve(&self, spec: &Arc<ConnectionSpec>, want: Want) -> Result<Served> {
        self.ask(spec, |reply| Msg::Token {
            spec: spec.clone(),
            want,
            reply,
        })
        .await
    }

    /// What is stored for `spec` (see [`Msg::Stored`]).
    pub(crate) async fn stored(&self, spec: &Arc<ConnectionSpec>) -> Result<Stored> {
        self.ask(spec, |reply| Msg::Stored {
            spec: spec.clone(),
            reply,
        })
        .await
    }

    /// The HTTP client of `spec`'s connection (see [`Msg::Client`]).
    pub(crate) async fn client(&self, spec: &Arc<ConnectionSpec>) -> Result<reqwest::Client> {
        self.ask(spec, |reply| Msg::Client {
            spec: spec.clone(),
            reply,
        })
        .await
    }

    /// Logs `spec` in with its stored credentials (see [`Msg::Login`]).
    pub(crate) async fn log_in(&self, spec: &Arc<ConnectionSpec>, input: LoginInput) -> Result<()> {
        self.ask(spec, |reply| Msg::Login {
            spec: spec.clone(),
            input,
            reply,
        })
        .await
    }

    /// Starts a browser or device login of `spec` (see [`Msg::BeginLogin`]).
    pub(crate) async fn begin_login(
        &self,
        spec: &Arc<ConnectionSpec>,
        request: LoginRequest,
    ) -> Result<Option<LoginStart>> {
        self.ask(spec, |reply| Msg::BeginLogin {
            spec: spec.clone(),
            request,
            reply,
        })
        .await
    }

    /// Waits for the login of `spec` to end (see [`Msg::FinishLogin`]).
    pub(crate) async fn finish_login(&self, spec: &ConnectionSpec) -> Result<()> {
        self.ask(spec, |reply| Msg::FinishLogin { reply }).await
    }

    /// Hands a pasted text to the login of `spec` (see [`Msg::Paste`]).
    pub(crate) async fn paste_login(&self, spec: &ConnectionSpec, text: Secret) -> Result<()> {
        self.ask(spec, |reply| Msg::Paste { text, reply }).await
    }

    /// Hands a deep link's query to the login of `name` (see [`Msg::Redirect`]).
    pub(crate) async fn redirect_login(
        &self,
        name: &ConnectionName,
        query: Vec<(String, String)>,
    ) -> bool {
        let (reply, rx) = oneshot::channel();
        self.runtimes
            .send(&self.me, name, Msg::Redirect { query, reply });
        rx.await.unwrap_or(false)
    }

    /// Forgets the tokens of `spec` (see [`Msg::Logout`]).
    pub(crate) async fn log_out(&self, spec: &Arc<ConnectionSpec>) -> Result<Option<String>> {
        self.ask(spec, |reply| Msg::Logout {
            spec: spec.clone(),
            reply,
        })
        .await
    }

    /// Edits the connection (see [`Msg::Edit`]).
    pub(crate) async fn edit_owned(
        &self,
        old: Arc<ConnectionSpec>,
        spec: &Arc<ConnectionSpec>,
        rebuild: Rebuild,
        commit: Commit,
    ) -> Result<Rebuilt> {
        self.ask(spec, |reply| Msg::Edit {
            old,
            spec: spec.clone(),
            rebuild,
            commit,
            reply,
        })
        .await
    }

    /// Removes the connection (see [`Msg::Remove`]); its owner stops.
    pub(crate) async fn remove_owned(
        &self,
        spec: &Arc<ConnectionSpec>,
        commit: Commit,
    ) -> Result<()> {
        let done = self
            .ask(spec, |reply| Msg::Remove {
                spec: spec.clone(),
                commit,
                reply,
            })
            .await;
        self.runtimes.forget(&spec.name);
        done
    }

    /// Changes who the tokens belong to (see [`Msg::Identity`]).
    pub(crate) async fn change_identity(
        &self,
        spec: &Arc<ConnectionSpec>,
        change: IdentityChange,
    ) -> Result<()> {
        self.ask(spec, |reply| Msg::Identity {
            spec: spec.clone(),
            change,
            reply,
        })
        .await
    }
}
