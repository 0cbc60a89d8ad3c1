//! Whether the desktop has a panel that shows tray icons. Asked by the window (closing hides
//! it only where a tray can bring it back) and by the settings (which say when there is none).

/// Whether the desktop shows tray icons. On Linux the icon is a `StatusNotifierItem`, shown only
/// while a panel has registered as a host with the session's `org.kde.StatusNotifierWatcher`;
/// without one the app runs on, with its window as the only way in. Elsewhere, always.
pub(crate) async fn host_available() -> bool {
    #[cfg(target_os = "linux")]
    {
        match host_registered().await {
            Ok(found) => found,
            Err(error) => {
                tracing::debug!(%error, "no StatusNotifier watcher on the session bus");
                false
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

#[cfg(target_os = "linux")]
/// Whether a panel has registered as a `StatusNotifier` host with the session's watcher.
async fn host_registered() -> zbus::Result<bool> {
    let bus = zbus::Connection::session().await?;
    // One property read: no property cache (whose set-up logs a warning when no watcher runs).
    let watcher: zbus::Proxy<'_> = zbus::proxy::Builder::new(&bus)
        .destination("org.kde.StatusNotifierWatcher")?
        .path("/StatusNotifierWatcher")?
        .interface("org.kde.StatusNotifierWatcher")?
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await?;
    watcher
        .get_property::<bool>("IsStatusNotifierHostRegistered")
        .await
}
