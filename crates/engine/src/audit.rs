//! The hand-out log: which connection's token went where (an endpoint route or a CLI command),
//! to which client address and, where the OS tells, which process. Never the token. A bounded
//! JSON-lines file in the data directory, trimmed to the newest entries as it grows.

use std::io::Write as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::connection::ConnectionName;
use crate::files::{self, FileLock};
use crate::time::Timestamp;

/// Entries kept; older ones are dropped when the file is trimmed.
pub const AUDIT_KEEP: usize = 2000;

/// One hand-out.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    pub at: Timestamp,
    /// Which connection.
    pub connection: ConnectionName,
    /// How: `GET /v1/connections/{name}/token`, `tokentray token`, `tokentray exec`, `token file`…
    pub via: String,
    /// The client's address, for the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The client's process (pid and name), where the OS tells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
}

/// Appends to and reads the hand-out log.
#[derive(Clone, Debug)]
pub(crate) struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// Appends `entry`; trims the file when it holds twice what is kept. Failures are logged,
    /// never fatal: the token was already handed out.
    pub(crate) fn record(&self, entry: &AuditEntry) {
        if let Err(e) = self.append(entry) {
            tracing::warn!(path = %self.path.display(), error = %e, "could not write the audit log");
        }
    }

    fn append(&self, entry: &AuditEntry) -> std::io::Result<()> {
        let _lock = FileLock::acquire(&self.path.with_extension("jsonl.lock"))?;
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        if let Some(dir) = self.path.parent() {
            files::ensure_private_dir(dir)?;
        }
        let mut file = opts.open(&self.path)?;
        file.write_all(&line)?;
        let len = file.metadata()?.len();
        drop(file);
        // Trim rarely: only when the file is far past what is kept (about 200 bytes a line).
        if len > (AUDIT_KEEP as u64) * 2 * 200 {
            let all = self.read_all();
            let keep = &all[all.len().saturating_sub(AUDIT_KEEP)..];
            let mut out = Vec::new();
            for e in keep {
                out.extend(serde_json::to_vec(e).map_err(std::io::Error::other)?);
                out.push(b'\n');
            }
            files::write_atomic(&self.path, &out)?;
        }
        Ok(())
    }

    fn read_all(&self) -> Vec<AuditEntry> {
        let Ok(Some(bytes)) = files::read_optional(&self.path) else {
            return Vec::new();
        };
        bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect()
    }

    /// The newest `limit` entries, oldest first.
    pub(crate) fn recent(&self, limit: usize) -> Vec<AuditEntry> {
        let all = self.read_all();
        all[all.len().saturating_sub(limit)..].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_append_and_read_back_newest_last() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        for i in 0..5 {
            log.record(&AuditEntry {
                at: Timestamp::from_secs(i),
                connection: ConnectionName::new("api").unwrap(),
                via: "tokentray token".into(),
                client: None,
                process: Some(format!("pid {i}")),
            });
        }
        let recent = log.recent(2);
        assert_eq!(recent.len(), 2);
        assert_eq!(recent[1].at, Timestamp::from_secs(4));
        assert_eq!(log.recent(100).len(), 5);
    }

    #[test]
    fn the_log_is_trimmed_to_the_newest_entries() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        for i in 0..(i64::try_from(AUDIT_KEEP).unwrap() * 3) {
            log.record(&AuditEntry {
                at: Timestamp::from_secs(i),
                connection: ConnectionName::new("api").unwrap(),
                via: format!("GET /v1/connections/api/token {}", "x".repeat(150)),
                client: Some("127.0.0.1:5000".into()),
                process: None,
            });
        }
        let all = log.recent(usize::MAX);
        assert!(all.len() <= AUDIT_KEEP * 2 + 1, "bounded: {}", all.len());
        assert_eq!(
            all.last().unwrap().at,
            Timestamp::from_secs(i64::try_from(AUDIT_KEEP).unwrap() * 3 - 1)
        );
    }
}
