//! The typed IPC surface: every command and event the webview may use. `export_bindings`
//! writes them to `ui/src/ipc/bindings.ts`; CI reruns it and fails on a diff.

use tauri_specta::{collect_commands, collect_events};

use crate::commands::connections;
use crate::events::ConnectionsChanged;

/// The commands and events, for both the invoke handler and the TypeScript export.
pub(crate) fn builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        // Every type here only travels from Rust to the UI, so one shape per type is right;
        // per-direction types would make every optional field `T | null | undefined`.
        .disable_serde_phases()
        .commands(collect_commands![connections::list_connections])
        .events(collect_events![ConnectionsChanged])
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
