//! How a login reaches the browser without its secrets on a command line (security.md T3).
//!
//! The authorize URL carries the login's `state` and PKCE challenge. Passing it to `xdg-open`
//! (or any opener) puts it in `/proc/<pid>/cmdline`, which every local user can read, so a
//! neighbour could race the loopback listener with a code of their own. Instead the engine
//! writes a small page that forwards to the authorize URL into the owner-only runtime
//! directory (mode 0600, a random name, created exclusively) and hands the opener only that
//! page's `file://` address. The page is removed when the login ends, fails or times out;
//! pages left by a killed process are removed by the next login once they are older than a
//! login may last.

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rand::RngCore as _;

/// Why the page could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The runtime directory belongs to someone else, or others may read or write it.
    #[error(
        "the runtime directory {dir} is not private to you ({why}); Tokentray will not put a login there. Remove it (or run `chmod 700` on it if it is yours) and try again"
    )]
    NotPrivate {
        /// The directory.
        dir: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The file system refused.
    #[error("could not write the login page in {dir}: {source}")]
    Io {
        /// The directory.
        dir: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// The prefix and suffix of page names, so stale ones can be recognised.
const PREFIX: &str = "login-";
const SUFFIX: &str = ".html";

/// Creates `dir` owner-only where it is missing, and checks an existing one: a real directory
/// (not a symlink), owned by this user, with no access for group or others. A neighbour may
/// have made it first when it lives in a shared place; it is refused then, never used.
///
/// # Errors
/// [`PageError::NotPrivate`] when the directory is not ours or not 0700, [`PageError::Io`]
/// when it cannot be created or inspected.
pub fn check_private_dir(dir: &Path) -> Result<(), PageError> {
    let io_err = |source| PageError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    crate::files::ensure_private_dir(dir).map_err(io_err)?;
    let meta = fs::symlink_metadata(dir).map_err(io_err)?;
    let not_private = |why: String| PageError::NotPrivate {
        dir: dir.to_path_buf(),
        why,
    };
    if !meta.file_type().is_dir() {
        return Err(not_private("it is not a directory".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let me = nix::unistd::geteuid().as_raw();
        if meta.uid() != me {
            return Err(not_private(format!(
                "it belongs to uid {}, not to you (uid {me})",
                meta.uid()
            )));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(not_private(format!(
                "its mode is {mode:o}, others may use it; it must be 700"
            )));
        }
    }
    Ok(())
}

/// A forwarding page for one login; removed when dropped.
#[derive(Debug)]
pub(crate) struct LoginPage {
    path: PathBuf,
}

impl LoginPage {
    /// Writes a page forwarding to `target` into `dir` (checked owner-only first), after
    /// removing pages there older than `stale_after`.
    pub(crate) fn write(
        dir: &Path,
        target: &str,
        stale_after: Duration,
    ) -> Result<Self, PageError> {
        check_private_dir(dir)?;
        let io_err = |source| PageError::Io {
            dir: dir.to_path_buf(),
            source,
        };
        let mut random = [0u8; 16];
        rand::rng().fill_bytes(&mut random);
        let path = dir.join(format!("{PREFIX}{}{SUFFIX}", crate::paths::hex(&random)));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        opts.mode(0o600);
        let mut file = opts.open(&path).map_err(io_err)?;
        let page = Self { path };
        file.write_all(html(target).as_bytes()).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        // The new page's time is "now" on the file system's clock, which stale pages carry too.
        if let Ok(now) = file.metadata().and_then(|m| m.modified()) {
            remove_stale(dir, now, stale_after, &page.path);
        }
        Ok(page)
    }

    /// The page's `file://` address, the only thing an opener is given.
    pub(crate) fn url(&self) -> String {
        url::Url::from_file_path(&self.path).map_or_else(
            |()| self.path.to_string_lossy().into_owned(),
            |u| u.to_string(),
        )
    }

    /// Where the page is.
    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LoginPage {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_file(&self.path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, "could not remove a login page");
        }
    }
}

/// Removes login pages in `dir` other than `keep` last written more than `age` before `now`
/// (left by a killed process).
fn remove_stale(dir: &Path, now: SystemTime, age: Duration, keep: &Path) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(PREFIX) && name.ends_with(SUFFIX)) || entry.path() == keep {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|d| d > age);
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Escapes text for an HTML attribute or element.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page: a meta refresh and a script that replace it with `target` (so the back button
/// does not return to it), and a link for browsers that do neither.
fn html(target: &str) -> String {
    let attr = escape(target);
    let js = serde_json::to_string(target)
        .unwrap_or_else(|_| "\"\"".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e");
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<meta http-equiv=\"refresh\" content=\"0;url={attr}\">\
<title>Signing in · Tokentray</title></head>\
<body><p>Opening the sign-in page… <a id=\"continue\" href=\"{attr}\">Continue</a></p>\
<script>location.replace({js});</script></body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_page_forwards_is_owner_only_and_goes_away() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("run");
        let target = "https://id.example/authorize?state=st-canary-42&code_challenge=x\"<y>";
        let page = LoginPage::write(&dir, target, Duration::from_secs(300)).unwrap();
        let path = page.path().to_path_buf();
        #[cfg(unix)]
        {
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        let body = fs::read_to_string(&path).unwrap();
        assert!(
            body.contains(
                "url=https://id.example/authorize?state=st-canary-42&amp;code_challenge=x&quot;&lt;y&gt;\""
            ),
            "{body}"
        );
        assert!(!body.contains("<y>"), "no markup from the URL: {body}");
        assert!(page.url().starts_with("file:///"), "{}", page.url());
        // (A state short enough to turn up by chance in the random names would make this flaky.)
        assert!(
            !page.url().contains("st-canary-42"),
            "the address carries no secret"
        );
        drop(page);
        assert!(!path.exists());
    }

    #[test]
    fn names_are_random() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("run");
        let a = LoginPage::write(&dir, "https://a/", Duration::from_secs(300)).unwrap();
        let b = LoginPage::write(&dir, "https://a/", Duration::from_secs(300)).unwrap();
        assert_ne!(a.path(), b.path());
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_can_use_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("run");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let err = LoginPage::write(&dir, "https://a/", Duration::from_secs(300)).unwrap_err();
        assert!(matches!(err, PageError::NotPrivate { .. }), "{err}");
        assert!(err.to_string().contains("755"), "{err}");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0, "nothing written");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_directory_is_refused() {
        let home = tempfile::tempdir().unwrap();
        let real = home.path().join("real");
        crate::files::ensure_private_dir(&real).unwrap();
        let link = home.path().join("run");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = check_private_dir(&link).unwrap_err();
        assert!(matches!(err, PageError::NotPrivate { .. }), "{err}");
    }

    #[test]
    fn stale_pages_are_removed_and_fresh_ones_kept() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("run");
        crate::files::ensure_private_dir(&dir).unwrap();
        let old = dir.join("login-0000.html");
        fs::write(&old, "x").unwrap();
        let other = dir.join("endpoint.json");
        fs::write(&other, "x").unwrap();
        let past = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(past)
            .unwrap();
        let page = LoginPage::write(&dir, "https://a/", Duration::from_secs(300)).unwrap();
        assert!(!old.exists());
        assert!(other.exists());
        assert!(page.path().exists());
    }
}
