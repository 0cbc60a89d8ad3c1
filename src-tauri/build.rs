//! Runs tauri-build and declares the app's own commands, so that capabilities must grant
//! each one by name (`allow-list-connections`…) instead of every command being open.

const COMMANDS: &[&str] = &["list_connections"];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("could not run tauri-build");
}
