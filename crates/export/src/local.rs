//! The daemon socket: how this user's CLI reaches a running app or `tokentray serve`. A Unix
//! domain socket in the owner-only runtime directory, whose peers are let in only when the
//! kernel says they run as this user (`SO_PEERCRED`); the CLI checks the server the same way
//! before it sends anything. No export key is used on it: the uid check is the authentication,
//! and a socket nobody answers (a crash left the file) is simply no daemon.
//!
//! One app or `serve` per runtime directory: the first holds `daemon.lock` for as long as it
//! runs, and a second one refuses to start, as it does when something answers on the socket.
//! A socket file left by a crash is replaced.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use tokentray_engine::Paths;
use tokentray_engine::files::ensure_private_dir;
use tokio::net::{UnixListener, UnixStream};

use crate::error::ExportError;
use crate::listen::Listen;
use crate::peer::Peer;

/// The daemon socket, letting in only processes of one uid.
pub(crate) struct LocalListener {
    listener: UnixListener,
    uid: u32,
}

impl LocalListener {
    /// `listener`, serving processes of this process's uid only.
    pub(crate) fn new(listener: UnixListener) -> Self {
        Self {
            listener,
            uid: nix::unistd::getuid().as_raw(),
        }
    }
}

impl Listen for LocalListener {
    type Stream = UnixStream;

    async fn next(&self) -> io::Result<Option<(UnixStream, Peer)>> {
        let (stream, _) = self.listener.accept().await?;
        match stream.peer_cred() {
            Ok(peer) if peer.uid() == self.uid => {
                Ok(Some((stream, Peer::Local { pid: peer.pid() })))
            }
            Ok(peer) => {
                tracing::warn!(
                    uid = peer.uid(),
                    "refused a process of another user on the daemon socket"
                );
                Ok(None)
            }
            Err(error) => {
                tracing::warn!(%error, "refused a client on the daemon socket whose user is unknown");
                Ok(None)
            }
        }
    }
}

/// What a running daemon holds: the lock, and the socket file it made (removed when this is
/// dropped, if it is still that file).
pub(crate) struct Claim {
    path: PathBuf,
    /// The socket file's device and inode, to recognise it.
    id: Option<(u64, u64)>,
    _lock: File,
}

impl Claim {
    /// Removes the socket file if it is still the one made here.
    pub(crate) fn remove_socket(&self) {
        if self.id.is_some() && file_id(&self.path) == self.id {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.remove_socket();
    }
}

/// Takes the daemon lock of `paths` and listens on its daemon socket (owner-only, in the
/// owner-only runtime directory), replacing a socket file nobody answers on. Another daemon
/// over the same files (the lock is held, or something answers) is
/// [`ExportError::AlreadyRunning`]. A socket that cannot be made (a path too long for one) is
/// only a warning: the CLI then works by itself, as with no daemon.
pub(crate) fn claim(paths: &Paths) -> Result<(Claim, Option<LocalListener>), ExportError> {
    let dir = &paths.runtime_dir;
    let path = paths.daemon_socket();
    let failed = |source| ExportError::Socket {
        path: path.display().to_string(),
        source,
    };
    let running = || ExportError::AlreadyRunning {
        dir: dir.display().to_string(),
    };
    ensure_private_dir(dir)
        .and_then(|()| crate::discovery::make_private(dir))
        .map_err(failed)?;
    let lock = lock(&paths.daemon_lock())
        .map_err(failed)?
        .ok_or_else(running)?;
    match std::os::unix::net::UnixStream::connect(&path) {
        Ok(_) => return Err(running()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        // Refused: a file a crash left behind (or not a socket at all). Ours to replace: no one
        // else can write in this directory.
        Err(_) => match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(failed(e)),
            _ => tracing::info!(path = %path.display(), "replaced a stale daemon socket"),
        },
    }
    let mut claim = Claim {
        id: None,
        path,
        _lock: lock,
    };
    match listen(&claim.path) {
        Ok(listener) => {
            claim.id = file_id(&claim.path);
            Ok((claim, Some(LocalListener::new(listener))))
        }
        Err(error) => {
            tracing::warn!(
                path = %claim.path.display(),
                %error,
                "could not make the daemon socket; the CLI will renew tokens by itself while this runs"
            );
            Ok((claim, None))
        }
    }
}

fn listen(path: &Path) -> io::Result<UnixListener> {
    use std::os::unix::fs::PermissionsExt as _;
    let listener = UnixListener::bind(path)?;
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(listener)
}

/// The daemon lock, held; `None` when another process holds it.
fn lock(path: &Path) -> io::Result<Option<File>> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::symlink_metadata(path).ok()?;
    Some((meta.dev(), meta.ino()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt as _;
    use std::sync::Arc;

    use tokentray_engine::testing::MemorySecretStore;
    use tokentray_engine::testing::neighbour::Neighbour;
    use tokentray_engine::{Credentials, Engine, EngineOptions, ProviderKind, Secret};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio_util::sync::CancellationToken;

    use super::*;

    const REQUEST: &str =
        "GET /v1/connections/api/token HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

    /// Connects to the socket at argv[1], asks for the token and prints what came back.
    const ASK: &str = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
got = b""
try:
    s.sendall(b"GET /v1/connections/api/token HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
except OSError:
    pass
print(repr(got))
"#;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_process_of_another_user_is_refused_and_this_users_is_served() {
        let Some(neighbour) = Neighbour::get() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(&dir.path().join("home"));
        let engine = Engine::new(EngineOptions::new(
            paths,
            Arc::new(MemorySecretStore::new()),
        ));
        let token = format!("tok-canary-{}", std::process::id());
        let mut creds = Credentials::new();
        creds.set("token", Secret::new(token.clone()));
        engine
            .manage()
            .add(
                &tokentray_engine::testing::conn("api"),
                ProviderKind::Static,
                &[],
                creds,
            )
            .await
            .unwrap();
        // The daemon's own socket sits in a 0700 directory the neighbour cannot enter; to play
        // the peer check alone, this one is where the neighbour can reach it (test only).
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        chmod(dir.path(), 0o711);
        chmod(&open, 0o777);
        let path = open.join("daemon.sock");
        let listener = LocalListener::new(UnixListener::bind(&path).unwrap());
        chmod(&path, 0o777);
        let audit = Arc::new(crate::audit::Audit::new(engine.clone(), 0));
        let info = crate::app::DaemonInfo {
            pid: std::process::id(),
            url: "http://127.0.0.1:1".into(),
            port: 1,
            requested_port: 1,
            default_taken: false,
        };
        let app = crate::endpoint::local(engine, audit, info);
        let stop = CancellationToken::new();
        let served = tokio::spawn(crate::serve::serve_service(
            listener,
            app,
            stop.clone().cancelled_owned(),
        ));

        let target = path.to_str().unwrap().to_owned();
        let asked = tokio::task::spawn_blocking(move || {
            neighbour.python(ASK, &[&target]).output().unwrap()
        })
        .await
        .unwrap();
        assert!(asked.status.success(), "{asked:?}");
        let got = String::from_utf8(asked.stdout).unwrap();
        assert_eq!(got.trim(), "b''", "the neighbour got an answer: {got}");
        assert!(!got.contains(&token));

        // The same request from this user is answered: the check is what refused the other.
        let mut mine = UnixStream::connect(&path).await.unwrap();
        mine.write_all(REQUEST.as_bytes()).await.unwrap();
        let mut answer = String::new();
        mine.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains(&token));

        stop.cancel();
        served.await.unwrap();
    }
}
