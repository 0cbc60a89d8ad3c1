//! Runs tauri-build and declares the app's own commands, so that capabilities must grant
//! each one by name (`allow-list-connections`…) instead of every command being open.

const COMMANDS: &[&str] = &[
    "list_connections",
    "list_kinds",
    "list_presets",
    "check_connection",
    "test_connection",
    "add_connection",
    "connection_form",
    "edit_connection",
    "remove_connection",
    "refresh_connection",
    "refresh_all",
    "logout",
    "copy_token",
    "reveal_token",
    "start_login",
    "paste_login",
    "cancel_login",
    "open_url",
    "acknowledge_identity",
    "connection_detail",
    "app_status",
    "use_file_store",
    "save_settings",
    "start_demo",
    "ui_ready",
    "quit_app",
    "hide_window",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("could not run tauri-build");
}
