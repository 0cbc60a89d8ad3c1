//! How the app opens login pages: the command in `TOKENTRAY_BROWSER` when set (scripts,
//! tests, a browser of the person's choice), else the desktop's default browser through the
//! opener plugin. The engine calls it when a login starts.

use std::sync::Mutex;

use tauri::AppHandle;
use tauri_plugin_opener::OpenerExt;
use tokentray_engine::Browser;

/// The variable naming a browser command; it gets the URL as its only argument.
pub(crate) const BROWSER_ENV: &str = "TOKENTRAY_BROWSER";

/// Opens URLs for logins and remembers whether the last one opened.
pub(crate) struct DesktopBrowser {
    app: AppHandle,
    command: Option<String>,
    last: Mutex<Option<(String, bool)>>,
}

impl DesktopBrowser {
    pub(crate) fn new(app: AppHandle) -> Self {
        Self {
            app,
            command: std::env::var(BROWSER_ENV)
                .ok()
                .filter(|c| !c.trim().is_empty()),
            last: Mutex::new(None),
        }
    }

    /// Whether `url` was the last URL asked for and it opened.
    pub(crate) fn opened(&self, url: &str) -> bool {
        self.last
            .lock()
            .expect("browser lock")
            .as_ref()
            .is_some_and(|(last, ok)| last == url && *ok)
    }

    fn launch(&self, url: &str) -> Result<(), String> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err("only http and https URLs are opened".into());
        }
        match &self.command {
            Some(command) => std::process::Command::new(command)
                .arg(url)
                .stdin(std::process::Stdio::null())
                .spawn()
                .map(drop)
                .map_err(|e| format!("could not run {BROWSER_ENV} ({e})")),
            None => self
                .app
                .opener()
                .open_url(url, None::<&str>)
                .map_err(|e| e.to_string()),
        }
    }
}

impl Browser for DesktopBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        let result = self.launch(url);
        *self.last.lock().expect("browser lock") = Some((url.to_owned(), result.is_ok()));
        result
    }
}
