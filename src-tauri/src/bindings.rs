//! The typed IPC surface: every command and event the webview may use. `export_bindings`
//! writes them to `ui/src/ipc/bindings.ts`; CI reruns it and fails on a diff.

use tauri_specta::{collect_commands, collect_events};

use crate::commands::{app, connections, detail, login, tokens};
use crate::events::{ConnectionsChanged, LoginUpdate, Navigate, Notice, QuitAsked};

/// The commands and events, for both the invoke handler and the TypeScript export.
pub(crate) fn builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        // Every type here only travels from Rust to the UI, so one shape per type is right;
        // per-direction types would make every optional field `T | null | undefined`.
        .disable_serde_phases()
        .commands(collect_commands![
            connections::list_connections,
            connections::list_kinds,
            connections::list_presets,
            connections::check_connection,
            connections::test_connection,
            connections::add_connection,
            connections::connection_form,
            connections::edit_connection,
            connections::remove_connection,
            connections::refresh_connection,
            connections::refresh_all,
            connections::logout,
            tokens::copy_token,
            tokens::reveal_token,
            login::start_login,
            login::paste_login,
            login::cancel_login,
            login::open_url,
            login::acknowledge_identity,
            detail::connection_detail,
            app::app_status,
            app::use_file_store,
            app::save_settings,
            app::start_demo,
            app::ui_ready,
            app::quit_app,
            app::hide_window,
        ])
        .events(collect_events![
            ConnectionsChanged,
            LoginUpdate,
            Notice,
            Navigate,
            QuitAsked
        ])
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use specta_typescript::Typescript;

    #[test]
    fn export_bindings() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/ipc/bindings.ts");
        super::builder()
            .export(Typescript::default(), &path)
            .expect("could not write ui/src/ipc/bindings.ts");
    }
}
