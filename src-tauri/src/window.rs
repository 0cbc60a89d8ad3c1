//! The main window: bring it forward, and hide it instead of closing it so that Tokentray
//! keeps refreshing tokens in the background. Quitting is the tray's job; on a desktop without
//! a tray, closing the window asks whether to quit instead.

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Runtime, Url, Window, WindowEvent};
use tauri_specta::Event as _;

use crate::events::QuitAsked;

/// The label of the one window, as declared in `tauri.conf.json`.
pub(crate) const MAIN: &str = "main";

/// Shows, restores and focuses the main window.
pub(crate) fn show_main(app: &AppHandle) {
    let Some(window) = app.get_webview_window(MAIN) else {
        tracing::warn!("the main window is gone");
        return;
    };
    let shown = window
        .unminimize()
        .and_then(|()| window.show())
        .and_then(|()| window.set_focus());
    if let Err(error) = shown {
        tracing::warn!(%error, "could not bring the main window forward");
    }
}

/// Turns off `WebKit` features the window never uses: WebGL, audio and video, the back-forward
/// page cache (the app never navigates), offline storage, and GPU compositing (the E2E suite
/// therefore takes its screenshots from the X server: `WebKitWebDriver`'s own wait for a
/// composited frame).
pub(crate) fn lighten(app: &AppHandle) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    #[cfg(target_os = "linux")]
    let done = window.with_webview(|webview| {
        use webkit2gtk::{SettingsExt, WebViewExt};
        if let Some(settings) = webview.inner().settings() {
            settings.set_enable_webgl(false);
            settings.set_enable_webaudio(false);
            settings.set_enable_media(false);
            settings.set_enable_page_cache(false);
            settings.set_enable_html5_database(false);
            settings.set_enable_offline_web_application_cache(false);
            // Drawn on the CPU: a list of text needs no GPU compositing, which made the idle
            // web process about 60 MiB larger (the first frame comes about 40 ms later).
            settings
                .set_hardware_acceleration_policy(webkit2gtk::HardwareAccelerationPolicy::Never);
        }
    });
    #[cfg(not(target_os = "linux"))]
    let done: tauri::Result<()> = Ok(());
    if let Err(error) = done {
        tracing::warn!(%error, "could not change the web view's settings");
    }
}

/// Hides the main window; Tokentray runs on.
pub(crate) fn hide_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN)
        && let Err(error) = window.hide()
    {
        tracing::warn!(%error, "could not hide the main window");
    }
}

/// Turns "close" on the main window into "hide" where a tray can bring it back; without a
/// tray, into a question: quit, or keep running hidden (launching Tokentray again shows it).
pub(crate) fn on_event(window: &Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event
        && window.label() == MAIN
    {
        api.prevent_close();
        let app = window.app_handle().clone();
        tauri::async_runtime::spawn(async move {
            if crate::panel::host_available().await {
                hide_main(&app);
                return;
            }
            let asked = QuitAsked {
                reason: "This desktop shows no tray icons, so there is no icon to bring a hidden \
                         window back."
                    .to_owned(),
            };
            if let Err(error) = asked.emit(&app) {
                // The page cannot ask: hiding keeps the tokens fresh, and a second launch
                // brings the window back.
                tracing::warn!(%error, "could not ask the window whether to quit");
                hide_main(&app);
            }
        });
    }
}

/// Keeps every webview on the app's own pages: a navigation anywhere else (a link, a script
/// setting `window.location`, a form) is refused, so nothing the window shows can become a page
/// someone else wrote, with the app's commands at hand. Links meant for a browser go through
/// the opener (`open_url`), never through navigation.
pub(crate) fn navigation_guard<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let own = is_own_page(url);
            if !own {
                // Only where it led: a query or fragment could carry something secret.
                tracing::warn!(
                    scheme = url.scheme(),
                    host = url.host_str().unwrap_or(""),
                    "blocked a navigation away from the app's own pages"
                );
            }
            own
        })
        .build()
}

/// Whether `url` is one of the app's own pages: the embedded UI behind Tauri's custom protocol
/// (`tauri://localhost` on Linux and macOS, `http(s)://tauri.localhost` on Windows).
pub(crate) fn is_own_page(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost") && url.port().is_none(),
        "http" | "https" => url.host_str() == Some("tauri.localhost") && url.port().is_none(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_embedded_ui_is_the_apps_own_page() {
        let own = [
            "tauri://localhost",
            "tauri://localhost/index.html#/detail/api",
            "http://tauri.localhost/",
            "https://tauri.localhost/assets/app.js",
        ];
        for url in own {
            assert!(is_own_page(&Url::parse(url).unwrap()), "{url}");
        }
        let foreign = [
            "https://example.com/",
            "http://localhost:5173/",
            "tauri://localhost.example.com/",
            "tauri://evil/",
            "http://tauri.localhost.example.com/",
            "http://tauri.localhost:8080/",
            "file:///etc/passwd",
            "data:text/html,<script>alert(1)</script>",
            "about:blank",
            "javascript:alert(1)",
        ];
        for url in foreign {
            assert!(!is_own_page(&Url::parse(url).unwrap()), "{url}");
        }
    }
}
