//! Token files: for tools that read a bearer token from a file (the WLCG bearer-token
//! discovery convention), a connection can keep one fresh. The file is owner-only (0600),
//! rewritten atomically on every renewal and removed on logout and remove. Only exportable
//! connections may have one.
//!
//! A token file is written only where nobody else can have put something first:
//! - the setting is an absolute path or `wlcg` (`$XDG_RUNTIME_DIR/bt_u<uid>`; without
//!   `XDG_RUNTIME_DIR` there is no default, never a shared `/tmp` one);
//! - a file already at the path is replaced only when Tokentray created it: every file it
//!   creates is recorded (path, device, inode) in an owner-only list in its data directory,
//!   and anything else there — a file of the person's own, a neighbour's file, a symbolic
//!   link — is refused with a message naming it;
//! - the new content goes to a temporary file created exclusively (never through a link) in the
//!   same directory, which is then renamed over the old file (a rename replaces a link rather
//!   than following it), or, when there was no file, linked in only if the name is still free.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::connection::ConnectionSpec;
use crate::files;
use crate::paths::Paths;
use crate::token::TokenSet;

/// Why a token file cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenFileError {
    /// The setting is neither `wlcg` nor an absolute path.
    #[error(
        "token_file {0:?} is not an absolute path; set token_file to the full path or to `wlcg`"
    )]
    NotAbsolute(String),
    /// `wlcg` without a runtime directory.
    #[error(
        "token_file = wlcg means $XDG_RUNTIME_DIR/bt_u<uid>, but XDG_RUNTIME_DIR is not set; set it (normally /run/user/<uid>) or give token_file an absolute path"
    )]
    NoRuntimeDir,
    /// A symbolic link is at the path.
    #[error(
        "{} is a symbolic link; Tokentray never writes through one. Remove the link or choose another token_file",
        .0.display()
    )]
    Symlink(PathBuf),
    /// Something Tokentray did not create is at the path.
    #[error(
        "{} exists and was not created by Tokentray, so Tokentray will not replace it; move it away or choose another token_file",
        .0.display()
    )]
    NotOurs(PathBuf),
    /// The file system refused.
    #[error("could not write the token file {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where the `token_file` setting `raw` points.
pub(crate) fn resolve(raw: &str) -> Result<PathBuf, TokenFileError> {
    if raw == "wlcg" {
        return wlcg_default();
    }
    let path = PathBuf::from(raw);
    if path.is_absolute() {
        Ok(path)
    } else {
        Err(TokenFileError::NotAbsolute(raw.to_owned()))
    }
}

/// The file a connection's `token_file` setting names, if any.
pub(crate) fn path(spec: &ConnectionSpec) -> Option<Result<PathBuf, TokenFileError>> {
    spec.text("token_file").map(|raw| resolve(&raw))
}

/// `$XDG_RUNTIME_DIR/bt_u<uid>`, as WLCG tools look; no fallback to a shared directory.
fn wlcg_default() -> Result<PathBuf, TokenFileError> {
    #[cfg(unix)]
    let uid = nix::unistd::getuid().as_raw();
    #[cfg(not(unix))]
    let uid = 0;
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| Path::new(d).is_absolute())
        .ok_or(TokenFileError::NoRuntimeDir)?;
    Ok(PathBuf::from(dir).join(format!("bt_u{uid}")))
}

/// The files Tokentray created, by path: what was there right after it wrote each.
#[derive(Default, Serialize, Deserialize)]
struct Registry {
    #[serde(default)]
    files: BTreeMap<String, Identity>,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Identity {
    dev: u64,
    ino: u64,
}

impl Identity {
    fn of(meta: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Self {
                dev: meta.dev(),
                ino: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            Self { dev: 0, ino: 0 }
        }
    }
}

fn registry_file(paths: &Paths) -> PathBuf {
    paths.data_dir.join("token-files.json")
}

/// Runs `f` on the registry while holding its lock, saving it when `f` changed it.
fn with_registry<T>(
    paths: &Paths,
    f: impl FnOnce(&mut Registry) -> (T, bool),
) -> std::io::Result<T> {
    let file = registry_file(paths);
    let _lock = files::FileLock::acquire(&paths.data_dir.join("token-files.lock"))?;
    let mut registry: Registry = files::read_optional(&file)?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let (out, changed) = f(&mut registry);
    if changed {
        let json = serde_json::to_vec_pretty(&registry).map_err(std::io::Error::other)?;
        files::write_atomic(&file, &json)?;
    }
    Ok(out)
}

/// What is at `path` now.
#[derive(Clone, Copy)]
enum Found {
    Nothing,
    Ours,
    Symlink,
    Foreign,
}

fn inspect(registry: &Registry, path: &Path) -> Result<Found, TokenFileError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(source) => {
            return Err(TokenFileError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if meta.file_type().is_symlink() {
        return Ok(Found::Symlink);
    }
    #[cfg(unix)]
    let own = {
        use std::os::unix::fs::MetadataExt;
        meta.uid() == nix::unistd::getuid().as_raw()
    };
    #[cfg(not(unix))]
    let own = true;
    let recorded = registry.files.get(&key(path)) == Some(&Identity::of(&meta));
    Ok(if meta.is_file() && own && recorded {
        Found::Ours
    } else {
        Found::Foreign
    })
}

fn key(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn refuse(found: Found, path: &Path) -> Result<bool, TokenFileError> {
    match found {
        Found::Nothing => Ok(false),
        Found::Ours => Ok(true),
        Found::Symlink => Err(TokenFileError::Symlink(path.to_path_buf())),
        Found::Foreign => Err(TokenFileError::NotOurs(path.to_path_buf())),
    }
}

/// Checks that the token file of `spec` can be written: its setting resolves, and whatever is
/// at the path now is a file Tokentray created. Writes nothing.
pub(crate) fn check(paths: &Paths, spec: &ConnectionSpec) -> Result<(), TokenFileError> {
    let Some(path) = path(spec) else {
        return Ok(());
    };
    let path = path?;
    let io = |source| TokenFileError::Io {
        path: path.clone(),
        source,
    };
    let found = with_registry(paths, |r| (inspect(r, &path), false)).map_err(io)??;
    refuse(found, &path).map(|_| ())
}

/// Writes `body` to `path` as described at the top of this file.
fn write_file(paths: &Paths, path: &Path, body: &[u8]) -> Result<(), TokenFileError> {
    let io = |source| TokenFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .ok_or_else(|| TokenFileError::NotAbsolute(key(path)))?;
    let name = path
        .file_name()
        .ok_or_else(|| TokenFileError::NotAbsolute(key(path)))?
        .to_string_lossy()
        .into_owned();
    with_registry(paths, |registry| {
        let result = (|| {
            let replace = refuse(inspect(registry, path)?, path)?;
            let (tmp, mut file) = temp_file(dir, &name).map_err(io)?;
            let written = (|| -> std::io::Result<Identity> {
                file.write_all(body)?;
                file.sync_all()?;
                let id = Identity::of(&file.metadata()?);
                drop(file);
                if replace {
                    std::fs::rename(&tmp, path)?;
                } else {
                    // Only if the name is still free: a file that appeared since is not ours.
                    std::fs::hard_link(&tmp, path)?;
                    std::fs::remove_file(&tmp)?;
                }
                Ok(id)
            })();
            match written {
                Ok(id) => {
                    if let Ok(d) = std::fs::File::open(dir) {
                        let _ = d.sync_all();
                    }
                    Ok(id)
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    if e.kind() == std::io::ErrorKind::AlreadyExists {
                        Err(refuse(inspect(registry, path)?, path)
                            .err()
                            .unwrap_or_else(|| TokenFileError::NotOurs(path.to_path_buf())))
                    } else {
                        Err(io(e))
                    }
                }
            }
        })();
        match result {
            Ok(id) => {
                registry.files.insert(key(path), id);
                (Ok(()), true)
            }
            Err(e) => (Err(e), false),
        }
    })
    .map_err(io)?
}

/// A new owner-only file in `dir`, created exclusively (`O_CREAT | O_EXCL`: never through a
/// link).
fn temp_file(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    use rand::Rng;
    for _ in 0..16 {
        let n: u64 = rand::rng().random();
        let tmp = dir.join(format!(".{name}.tokentray-{n:016x}.tmp"));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        match opts.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("could not create a temporary file"))
}

/// Writes the token of an exportable connection with a token file. A refusal is logged and
/// returned (for the connection's last error) with the file's path and what to do; the token
/// itself is still handed out as usual.
pub(crate) fn write(paths: &Paths, spec: &ConnectionSpec, tokens: &TokenSet) -> Option<String> {
    if !spec.exportable() {
        return None;
    }
    let path = path(spec)?;
    let mut body = tokens.access_token.expose().to_owned();
    body.push('\n');
    let e = path
        .and_then(|p| write_file(paths, &p, body.as_bytes()))
        .err()?;
    tracing::warn!(connection = %spec.name, "the token file was not written: {e}");
    Some(format!("the token file was not written: {e}"))
}

/// Removes the token file of `spec` if Tokentray created it; anything else is left alone.
pub(crate) fn remove(paths: &Paths, spec: &ConnectionSpec) {
    let Some(Ok(path)) = path(spec) else {
        return;
    };
    let removed = with_registry(paths, |registry| match inspect(registry, &path) {
        Ok(Found::Ours) => {
            registry.files.remove(&key(&path));
            (std::fs::remove_file(&path), true)
        }
        Ok(Found::Nothing) => (Ok(()), registry.files.remove(&key(&path)).is_some()),
        _ => (Ok(()), false),
    });
    match removed {
        Ok(Ok(())) => {}
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
        Ok(Err(e)) | Err(e) => {
            tracing::warn!(connection = %spec.name, path = %path.display(), error = %e, "could not remove the token file");
        }
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use crate::connection::{ConnectionName, ProviderKind, Value};
    use crate::secret::Secret;

    fn spec(file: &str) -> ConnectionSpec {
        let mut s = ConnectionSpec::new(ConnectionName::new("k").unwrap(), ProviderKind::Static);
        s.settings.insert("token_file", Value::Text(file.into()));
        s
    }

    fn tokens(t: &str) -> TokenSet {
        TokenSet::bearer(Secret::new(t), crate::time::Timestamp::from_secs(0))
    }

    #[test]
    fn relative_paths_are_refused() {
        assert!(matches!(
            resolve("token"),
            Err(TokenFileError::NotAbsolute(_))
        ));
        assert!(matches!(
            resolve("./x/token"),
            Err(TokenFileError::NotAbsolute(_))
        ));
        assert!(resolve("/abs/token").is_ok());
    }

    #[test]
    fn own_files_are_replaced_others_and_links_never() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(&dir.path().join("home"));
        let file = dir.path().join("tok");
        let s = spec(file.to_str().unwrap());
        assert_eq!(write(&paths, &s, &tokens("one")), None);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "one\n");
        assert_eq!(write(&paths, &s, &tokens("two")), None);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "two\n");

        // The person's own file of the same name, put there after Tokentray's was removed.
        remove(&paths, &s);
        assert!(!file.exists());
        std::fs::write(&file, "mine\n").unwrap();
        assert!(matches!(check(&paths, &s), Err(TokenFileError::NotOurs(_))));
        let problem = write(&paths, &s, &tokens("three")).unwrap();
        assert!(problem.contains(file.to_str().unwrap()), "{problem}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");
        remove(&paths, &s);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");

        // A link at the target: nothing is written through it, the link stays.
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious\n").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let s = spec(link.to_str().unwrap());
        let e = check(&paths, &s).unwrap_err();
        assert!(matches!(e, TokenFileError::Symlink(_)), "{e}");
        assert!(e.to_string().contains(link.to_str().unwrap()), "{e}");
        assert!(write(&paths, &s, &tokens("four")).is_some());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
