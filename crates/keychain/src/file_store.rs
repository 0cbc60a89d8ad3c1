//! `FileStore`: the owner-only file the user chooses explicitly when no keychain is reachable
//! (never a silent fallback). One JSON file, `<data_dir>/secrets.json`, created 0600 in a 0700
//! directory, replaced atomically, and changed only under `<file>.lock` after a fresh read, so
//! two processes never lose each other's writes.
//!
//! The values are plain text protected by file permissions only; the UI marks every connection
//! that uses this store. A file that others can read, a symlink, or a file that does not parse
//! is refused with a message saying what to do, and is never overwritten.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokentray_engine::files::{self, FileLock};
use tokentray_engine::{Paths, Secret, SecretStore, StoreError, StoreInfo, StoreKind};

const FORMAT_VERSION: u32 = 1;

/// Secrets in one owner-only JSON file.
#[derive(Clone, Debug)]
pub struct FileStore {
    file: Arc<SecretsFile>,
}

#[derive(Debug)]
struct SecretsFile {
    path: PathBuf,
    lock_path: PathBuf,
}

/// The file's contents. Values are plain strings; the file's mode is their protection.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Contents {
    version: u32,
    secrets: BTreeMap<String, String>,
}

impl FileStore {
    /// The file store of `paths`: `<data_dir>/secrets.json`.
    pub fn new(paths: &Paths) -> Self {
        Self::at(paths.data_dir.join("secrets.json"))
    }

    /// A file store in the file at `path`.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let mut lock_name = path.file_name().unwrap_or_default().to_os_string();
        lock_name.push(".lock");
        Self {
            file: Arc::new(SecretsFile {
                lock_path: path.with_file_name(lock_name),
                path,
            }),
        }
    }

    /// The file that holds the secrets.
    pub fn path(&self) -> &Path {
        &self.file.path
    }

    async fn call<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&SecretsFile) -> Result<T, StoreError> + Send + 'static,
    {
        let file = Arc::clone(&self.file);
        tokio::task::spawn_blocking(move || op(&file))
            .await
            .map_err(|_| StoreError::Platform {
                message: "a file store call panicked".into(),
            })?
    }
}

#[async_trait]
impl SecretStore for FileStore {
    fn info(&self) -> StoreInfo {
        StoreInfo {
            kind: StoreKind::File,
            location: self.file.path.display().to_string(),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Secret>, StoreError> {
        let key = key.to_owned();
        self.call(move |file| Ok(file.read()?.secrets.remove(&key).map(Secret::new)))
            .await
    }

    async fn put(&self, key: &str, value: &Secret) -> Result<(), StoreError> {
        let key = key.to_owned();
        let value = value.clone();
        self.call(move |file| {
            file.update(|contents| {
                contents.secrets.insert(key, value.expose().to_owned());
                true
            })
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.call(move |file| {
            let mut existed = false;
            file.update(|contents| {
                existed = contents.secrets.remove(&key).is_some();
                existed
            })?;
            Ok(existed)
        })
        .await
    }
}

impl SecretsFile {
    /// Applies `change` to a fresh read under the lock, and writes the result if `change` says
    /// something changed.
    fn update(&self, change: impl FnOnce(&mut Contents) -> bool) -> Result<(), StoreError> {
        let _lock = FileLock::acquire(&self.lock_path).map_err(|e| self.io("lock", e))?;
        files::remove_stale_temps(&self.path);
        let mut contents = self.read()?;
        if !change(&mut contents) {
            return Ok(());
        }
        contents.version = FORMAT_VERSION;
        let bytes = serde_json::to_vec_pretty(&contents).map_err(|e| StoreError::Platform {
            message: format!("could not encode the secrets file: {e}"),
        })?;
        files::write_atomic(&self.path, &bytes).map_err(|e| self.io("write", e))
    }

    /// The current contents; a missing file is an empty store.
    fn read(&self) -> Result<Contents, StoreError> {
        let Some(mut file) = self.open()? else {
            return Ok(Contents::default());
        };
        check_private(&file, &self.path).map_err(|e| self.io("use", e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| self.io("read", e))?;
        let contents: Contents = serde_json::from_slice(&bytes).map_err(|e| {
            // serde's messages can quote values; say where the damage is, never what it is.
            self.io(
                "parse",
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "it is not a Tokentray secrets file (line {}, column {}); move it aside and log in again",
                        e.line(),
                        e.column()
                    ),
                ),
            )
        })?;
        if contents.version > FORMAT_VERSION {
            return Err(self.io(
                "use",
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "it was written by a newer Tokentray (format {})",
                        contents.version
                    ),
                ),
            ));
        }
        Ok(contents)
    }

    /// Opens the file without following a symlink; `None` when it does not exist.
    fn open(&self) -> Result<Option<File>, StoreError> {
        let mut options = OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW);
        }
        match options.open(&self.path) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) if is_symlink(&self.path) => Err(self.io(
                "use",
                io::Error::new(
                    e.kind(),
                    "it is a symbolic link; the secrets file must be a regular file owned by you",
                ),
            )),
            Err(e) => Err(self.io("open", e)),
        }
    }

    fn io(&self, action: &'static str, source: io::Error) -> StoreError {
        StoreError::Io {
            action,
            path: self.path.display().to_string(),
            source,
        }
    }
}

fn is_symlink(path: &Path) -> bool {
    path.symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
}

/// Refuses a file that is not a regular file or that others may read or write.
#[cfg(unix)]
fn check_private(file: &File, path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file",
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "other users may access it (mode {mode:03o}); run `chmod 600 {}` and try again",
                path.display()
            ),
        ));
    }
    Ok(())
}

/// On Windows the file lives in the user's profile, whose ACL admits only the user.
#[cfg(not(unix))]
fn check_private(file: &File, _path: &Path) -> io::Result<()> {
    if file.metadata()?.is_file() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file",
        ))
    }
}
