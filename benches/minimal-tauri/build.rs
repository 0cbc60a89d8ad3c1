//! Runs tauri-build with the app's one command.

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(&["ui_ready"]));
    tauri_build::try_build(attributes).expect("could not run tauri-build");
}
