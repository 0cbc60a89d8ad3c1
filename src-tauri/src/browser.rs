//! How the app opens pages: the command in `TOKENTRAY_BROWSER` when set (scripts, tests, a
//! browser of the person's choice; it gets the address as its only argument), else the
//! desktop's default browser through the opener plugin. The engine calls it when a login
//! starts, with the `file://` address of an owner-only page in the runtime directory that
//! forwards to the sign-in: the sign-in URL itself (its `state` and PKCE challenge) never goes
//! on a command line, where every local user could read it.

use std::path::PathBuf;

use tauri::AppHandle;
use tauri_plugin_opener::OpenerExt;
use tokentray_engine::Browser;

/// The variable naming a browser command; it gets the URL as its only argument.
pub(crate) const BROWSER_ENV: &str = "TOKENTRAY_BROWSER";

/// Opens URLs for logins and links.
pub(crate) struct DesktopBrowser {
    app: AppHandle,
    command: Option<String>,
    /// The only directory whose pages may be opened by `file://` address.
    runtime_dir: PathBuf,
}

impl DesktopBrowser {
    pub(crate) fn new(app: AppHandle, runtime_dir: PathBuf) -> Self {
        Self {
            app,
            command: std::env::var(BROWSER_ENV)
                .ok()
                .filter(|c| !c.trim().is_empty()),
            runtime_dir,
        }
    }

    /// A login page of the engine: a `file://` address inside the runtime directory.
    fn login_page(&self, url: &str) -> Option<PathBuf> {
        let path = url::Url::parse(url).ok()?.to_file_path().ok()?;
        (path.parent() == Some(self.runtime_dir.as_path())).then_some(path)
    }
}

impl Browser for DesktopBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        let page = self.login_page(url);
        if page.is_none() && !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err("only http and https URLs are opened".into());
        }
        match (&self.command, page) {
            (Some(command), _) => std::process::Command::new(command)
                .arg(url)
                .stdin(std::process::Stdio::null())
                .spawn()
                .map(drop)
                .map_err(|e| format!("could not run {BROWSER_ENV} ({e})")),
            (None, Some(path)) => self
                .app
                .opener()
                .open_path(path.to_string_lossy(), None::<&str>)
                .map_err(|e| e.to_string()),
            (None, None) => self
                .app
                .opener()
                .open_url(url, None::<&str>)
                .map_err(|e| e.to_string()),
        }
    }
}
