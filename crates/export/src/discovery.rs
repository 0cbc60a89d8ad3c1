//! The discovery file `endpoint.json` (the contract's `EndpointFile`: `{"url", "key", "pid"}`) that tells scripts where the
//! HTTP endpoint listens and with which key (new at every start): owner-only (0600) in the
//! owner-only (0700) runtime directory, written atomically after the bind, and removed on
//! shutdown only while it is still ours. Tokentray's own CLI does not read it: it uses the
//! daemon socket (`local`), which needs no key.

use std::io;
use std::path::Path;

use tokentray_engine::Secret;
use tokentray_engine::contract::endpoint::EndpointFile;
use tokentray_engine::contract::token::wipe_bytes;
use tokentray_engine::files::{ensure_private_dir, write_atomic};

/// Writes the discovery file at `path`, making its directory private first.
pub(crate) fn write(path: &Path, url: &str, key: &Secret) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        ensure_private_dir(dir)?;
        make_private(dir)?;
    }
    let file = EndpointFile {
        url: url.to_owned(),
        key: key.expose().to_owned(),
        pid: std::process::id(),
    };
    let mut body = serde_json::to_vec(&file).map_err(io::Error::other)?;
    let written = write_atomic(path, &body);
    wipe_bytes(&mut body);
    written
}

/// A runtime directory made earlier with a wider mode is narrowed to 0700; one that is not ours
/// is refused, since its owner could read or replace the key and the socket there.
#[cfg(unix)]
pub(crate) fn make_private(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let meta = std::fs::metadata(dir)?;
    // Someone else's directory (made before us, or a link to one) stays theirs whatever its
    // mode: they could replace the socket or read the key there.
    if meta.uid() != nix::unistd::getuid().as_raw() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} belongs to another user; remove it (or set TOKENTRAY_HOME) and start again",
                dir.display()
            ),
        ));
    }
    let others = meta.permissions().mode() & 0o077;
    if others == 0 {
        return Ok(());
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
pub(crate) fn make_private(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Removes the discovery file if it still names this process and `url`: a newer endpoint
/// (another process, or this one restarted) may have replaced it.
pub(crate) fn remove_if_ours(path: &Path, url: &str) {
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    let Ok(found) = serde_json::from_slice::<EndpointFile>(&bytes) else {
        return;
    };
    let ours = found.pid == std::process::id() && found.url == url;
    if ours && let Err(error) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), %error, "could not remove the discovery file");
    }
}
