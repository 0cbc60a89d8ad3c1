//! Token files: for tools that read a bearer token from a file (the WLCG bearer-token
//! discovery convention), a connection can keep one fresh. The file is owner-only (0600),
//! rewritten atomically on every renewal and removed on logout and remove. Only exportable
//! connections may have one.

use std::path::PathBuf;

use crate::connection::ConnectionSpec;
use crate::files;
use crate::token::TokenSet;

/// The file a connection's `token_file` setting names, if any.
pub(crate) fn path(spec: &ConnectionSpec) -> Option<PathBuf> {
    let setting = spec.text("token_file")?;
    if setting == "wlcg" {
        return Some(wlcg_default());
    }
    Some(PathBuf::from(setting))
}

/// `$XDG_RUNTIME_DIR/bt_u<uid>` (or `/tmp/bt_u<uid>` without a runtime dir), as WLCG tools look.
fn wlcg_default() -> PathBuf {
    #[cfg(unix)]
    let uid = nix::unistd::getuid().as_raw();
    #[cfg(not(unix))]
    let uid = 0;
    let dir =
        std::env::var_os("XDG_RUNTIME_DIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    dir.join(format!("bt_u{uid}"))
}

/// Writes the token for an exportable connection with a token file.
pub(crate) fn write(spec: &ConnectionSpec, tokens: &TokenSet) {
    let Some(path) = path(spec).filter(|_| spec.exportable()) else {
        return;
    };
    let mut body = tokens.access_token.expose().to_owned();
    body.push('\n');
    if let Err(e) = files::write_atomic(&path, body.as_bytes()) {
        tracing::warn!(connection = %spec.name, path = %path.display(), error = %e, "could not write the token file");
    }
}

/// Removes the token file, if the connection has one.
pub(crate) fn remove(spec: &ConnectionSpec) {
    if let Some(path) = path(spec) {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(connection = %spec.name, path = %path.display(), error = %e, "could not remove the token file");
            }
        }
    }
}
