//! Shared pieces of the keychain tests: a throw-away Tokentray home, the gate that decides
//! whether the real Secret Service may be used, and child processes of this test binary for the
//! cases that need their own environment (no bus, a private bus, a locked keyring).

// The child-process scenarios are Unix (umask) and Linux (D-Bus) only.
#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use tempfile::TempDir;
use tokentray_engine::{Paths, SecretStore};
use tokentray_keychain::{KeychainOptions, KeychainStore};

/// Set by `tests/scripts/with-keyring.sh`: a private, unlocked keyring is running, and the
/// keychain tests must fail rather than skip when it cannot be reached.
pub(crate) const REQUIRE_ENV: &str = "TOKENTRAY_REQUIRE_KEYRING";

/// Set on child processes, so their `#[ignore]`d tests run only when a parent prepared them.
pub(crate) const CHILD_ENV: &str = "TOKENTRAY_KEYCHAIN_CHILD";

/// A timeout short enough that a test never waits long, long enough for a cold D-Bus start.
pub(crate) const TEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A Tokentray home in a temporary directory; its keychain service is namespaced by its path,
/// so no two tests (and never the user's own entries) share items.
pub(crate) struct Home {
    pub(crate) dir: TempDir,
    pub(crate) paths: Paths,
}

impl Home {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let paths = Paths::under(dir.path());
        Self { dir, paths }
    }

    pub(crate) fn keychain(&self) -> KeychainStore {
        self.keychain_sealing_above(tokentray_keychain::DEFAULT_SEAL_ABOVE)
    }

    pub(crate) fn keychain_sealing_above(&self, seal_above: usize) -> KeychainStore {
        KeychainStore::with_options(
            &self.paths,
            KeychainOptions {
                timeout: TEST_TIMEOUT,
                seal_above,
            },
        )
    }
}

fn keyring_required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

/// Whether the real-keychain tests may run: only against the private keyring that
/// `tests/scripts/with-keyring.sh` starts, never against the user's own. With that keyring
/// promised, an unreachable keychain fails the test; without it, the test says why it skips.
pub(crate) async fn private_keyring(store: &KeychainStore) -> bool {
    if !keyring_required() {
        eprintln!(
            "skipped: the real-keychain tests run only against a private keyring; \
             run `tests/scripts/with-keyring.sh cargo test -p tokentray-keychain`"
        );
        return false;
    }
    if let Err(err) = store.probe().await {
        panic!("{REQUIRE_ENV}=1 promises a reachable keychain, but: {err}");
    }
    true
}

/// Whether the programs a child scenario needs are installed; a missing one skips the test,
/// unless a keyring was promised.
pub(crate) fn tools_present(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|tool| !on_path(tool))
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        !keyring_required(),
        "{REQUIRE_ENV}=1 but {missing:?} are not installed"
    );
    eprintln!("skipped: {missing:?} are not installed (Debian: gnome-keyring, dbus-x11)");
    false
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

/// Whether this process is a child started by `child`.
pub(crate) fn in_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// Runs the ignored test `name` of this binary in a child process, behind `wrapper` (a program
/// and its arguments, such as `dbus-run-session --`), with an environment cleaned of every
/// session variable and then changed by `configure`.
pub(crate) fn child(name: &str, wrapper: &[&str], configure: impl FnOnce(&mut Command)) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    command
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        // No way back to the user's session: no bus, no keyring daemon, no display to prompt on.
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("GNOME_KEYRING_CONTROL")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    configure(&mut command);
    command.output().expect("the child test runs")
}

/// Fails with the child's output unless exactly the one test ran and passed.
pub(crate) fn assert_child_passed(name: &str, out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "child test {name} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
}

/// A private directory (0700), as `XDG_RUNTIME_DIR` must be.
pub(crate) fn private_dir(parent: &Path, name: &str) -> std::path::PathBuf {
    let dir = parent.join(name);
    tokentray_engine::files::ensure_private_dir(&dir).expect("a private directory");
    dir
}
