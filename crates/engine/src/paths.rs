//! Where Tokentray keeps its files: config, data (non-secret state) and runtime (discovery
//! file, locks). `TOKENTRAY_HOME` moves all three under one directory and namespaces the
//! keychain entries, so tests and portable setups never touch a user's real data.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The discovery file's name in the runtime directory (the wire contract re-exports it).
pub const ENDPOINT_FILE: &str = "endpoint.json";
/// The daemon socket's name in the runtime directory.
pub const DAEMON_SOCKET: &str = "daemon.sock";
/// The lock a running daemon holds, in the runtime directory.
pub const DAEMON_LOCK: &str = "daemon.lock";

/// The environment variable that relocates every Tokentray file.
pub const HOME_ENV: &str = "TOKENTRAY_HOME";

/// The directories Tokentray uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    /// `connections.toml` lives here.
    pub config_dir: PathBuf,
    /// `state.json` and the audit log live here.
    pub data_dir: PathBuf,
    /// `endpoint.json`, the daemon's socket and lock files live here (owner-only).
    pub runtime_dir: PathBuf,
    /// A namespace for keychain entries, set when `TOKENTRAY_HOME` is in use.
    pub namespace: Option<String>,
}

impl Paths {
    /// Every file under one directory, with keychain entries namespaced by its path.
    pub fn under(home: &Path) -> Self {
        let home = std::path::absolute(home).unwrap_or_else(|_| home.to_path_buf());
        let digest = Sha256::digest(home.to_string_lossy().as_bytes());
        let namespace = hex(&digest[..6]);
        Self {
            config_dir: home.join("config"),
            data_dir: home.join("data"),
            runtime_dir: home.join("run"),
            namespace: Some(namespace),
        }
    }

    /// `TOKENTRAY_HOME` when set, else the platform's directories.
    pub fn from_env() -> Option<Self> {
        match std::env::var_os(HOME_ENV) {
            Some(home) if !home.is_empty() => Some(Self::under(Path::new(&home))),
            _ => Self::platform(),
        }
    }

    /// The platform's directories (XDG on Linux).
    pub fn platform() -> Option<Self> {
        let dirs = directories::ProjectDirs::from("", "", "tokentray")?;
        let runtime_dir = dirs
            .runtime_dir()
            .map_or_else(|| dirs.data_local_dir().join("run"), Path::to_path_buf);
        Some(Self {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_local_dir().to_path_buf(),
            runtime_dir,
            namespace: None,
        })
    }

    /// The connection definitions.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("connections.toml")
    }

    /// The non-secret state of every connection.
    pub fn state_file(&self) -> PathBuf {
        self.data_dir.join("state.json")
    }

    /// The log of token hand-outs.
    pub fn audit_file(&self) -> PathBuf {
        self.data_dir.join("audit.jsonl")
    }

    /// The export endpoint's discovery file (url, key, pid), owner-only.
    pub fn endpoint_file(&self) -> PathBuf {
        self.runtime_dir.join(ENDPOINT_FILE)
    }

    /// The Unix socket on which a running app or `tokentray serve` answers this user's CLI
    /// (peer uid checked on both sides; no export key).
    pub fn daemon_socket(&self) -> PathBuf {
        self.runtime_dir.join(DAEMON_SOCKET)
    }

    /// The lock a running app or `tokentray serve` holds for as long as it runs, so that a
    /// second one refuses to start instead of taking over the socket.
    pub fn daemon_lock(&self) -> PathBuf {
        self.runtime_dir.join(DAEMON_LOCK)
    }

    /// The lock file serialising renewals of one connection across processes.
    pub fn connection_lock(&self, name: &str) -> PathBuf {
        self.runtime_dir.join("locks").join(format!("{name}.lock"))
    }

    /// The keychain service name: `tokentray`, or `tokentray.<namespace>` under `TOKENTRAY_HOME`.
    pub fn keychain_service(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("tokentray.{ns}"),
            None => "tokentray".to_owned(),
        }
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_relocates_everything_and_namespaces_the_keychain() {
        let a = Paths::under(Path::new("/tmp/a"));
        let b = Paths::under(Path::new("/tmp/b"));
        assert!(a.config_file().starts_with("/tmp/a"));
        assert!(a.state_file().starts_with("/tmp/a"));
        assert!(a.runtime_dir.starts_with("/tmp/a"));
        assert!(a.daemon_socket().starts_with(&a.runtime_dir));
        assert!(a.endpoint_file().starts_with(&a.runtime_dir));
        assert_ne!(a.keychain_service(), "tokentray");
        assert_ne!(
            a.keychain_service(),
            b.keychain_service(),
            "two homes never share secrets"
        );
    }
}
