//! A keychain that cannot be used answers at once with a reason, never hangs and never falls
//! back: no session bus, a bus without a Secret Service, a locked keyring. Each case runs in a
//! child process of this binary with its own environment (a test must not change the
//! environment of the threads it shares a process with).

use std::fs;
use std::path::Path;
use std::time::Instant;

use tokentray_engine::{Secret, SecretStore, StoreError};

use crate::support::{
    Home, TEST_TIMEOUT, assert_child_passed, child, in_child, private_dir, tools_present,
};

/// A session bus configuration that offers no services at all: D-Bus answers, nobody provides
/// `org.freedesktop.secrets`.
const EMPTY_BUS: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// In a child: every call fails with `Unavailable` whose reason contains `expected`, inside the
/// timeout, and nothing is written anywhere else.
async fn expect_unavailable(expected: &str) {
    let home = Home::new();
    let store = home.keychain();
    let started = Instant::now();
    for err in [
        store.put("work", &Secret::new("v")).await.unwrap_err(),
        store.get("work").await.unwrap_err(),
        store.delete("work").await.unwrap_err(),
        store.probe().await.unwrap_err(),
    ] {
        let StoreError::Unavailable { reason } = &err else {
            panic!("expected unavailable, got {err:?}");
        };
        assert!(reason.contains(expected), "reason: {reason}");
        assert!(
            err.to_string().contains("file store"),
            "the message names the explicit way out: {err}"
        );
    }
    assert!(started.elapsed() < TEST_TIMEOUT, "{:?}", started.elapsed());
    assert!(
        !home.paths.data_dir.join("secrets.json").exists(),
        "never a silent fallback to a file"
    );
}

#[tokio::test]
#[ignore = "a child of a_keychain_without_a_session_bus_is_unavailable"]
async fn child_without_a_bus() {
    if in_child() {
        expect_unavailable("no D-Bus session bus").await;
    }
}

#[test]
fn a_keychain_without_a_session_bus_is_unavailable() {
    let home = Home::new();
    let socket = home.dir.path().join("no-such-bus");
    let name = "unreachable::child_without_a_bus";
    let out = child(name, &[], |c| {
        c.env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", socket.display()),
        );
    });
    assert_child_passed(name, &out);
}

#[tokio::test]
#[ignore = "a child of a_session_bus_without_a_secret_service_is_unavailable"]
async fn child_without_a_secret_service() {
    if in_child() {
        expect_unavailable("no Secret Service on the session bus").await;
    }
}

#[test]
fn a_session_bus_without_a_secret_service_is_unavailable() {
    if !tools_present(&["dbus-run-session"]) {
        return;
    }
    let home = Home::new();
    let config = home.dir.path().join("empty-bus.conf");
    fs::write(&config, EMPTY_BUS).unwrap();
    let config_arg = format!("--config-file={}", config.display());
    let name = "unreachable::child_without_a_secret_service";
    let out = child(name, &["dbus-run-session", &config_arg, "--"], |_| {});
    assert_child_passed(name, &out);
}

#[tokio::test]
#[ignore = "a child of a_locked_keyring_is_reported_as_locked"]
async fn child_leaves_an_item() {
    if in_child() {
        let store = Home::new().keychain();
        store.put("left", &Secret::new("behind")).await.unwrap();
    }
}

#[tokio::test]
#[ignore = "a child of a_locked_keyring_is_reported_as_locked"]
async fn child_with_a_locked_keyring() {
    if !in_child() {
        return;
    }
    let store = Home::new().keychain();
    let started = Instant::now();
    let err = store.put("work", &Secret::new("v")).await.unwrap_err();
    assert!(matches!(err, StoreError::Locked), "{err:?}");
    assert!(
        err.to_string().contains("unlock"),
        "the message says what to do: {err}"
    );
    assert!(started.elapsed() < TEST_TIMEOUT, "{:?}", started.elapsed());
}

/// A keyring created with a password in one session is locked in the next, where nobody can
/// answer the unlock prompt (no display): writes fail with `Locked`, quickly.
#[test]
fn a_locked_keyring_is_reported_as_locked() {
    if !tools_present(&["dbus-run-session", "gnome-keyring-daemon"]) {
        return;
    }
    let home = Home::new();
    let scratch = home.dir.path();
    let data = private_dir(scratch, "data");
    let first_run = private_dir(scratch, "run-1");
    let second_run = private_dir(scratch, "run-2");
    let keyring_env = |c: &mut std::process::Command, run: &Path| {
        c.env("XDG_DATA_HOME", &data).env("XDG_RUNTIME_DIR", run);
    };

    let unlock_then_run = r#"eval "$(printf %s first-password | gnome-keyring-daemon --unlock --components=secrets)"
        gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1
        exec "$@""#;
    let name = "unreachable::child_leaves_an_item";
    let out = child(
        name,
        &[
            "dbus-run-session",
            "--",
            "bash",
            "-c",
            unlock_then_run,
            "bash",
        ],
        |c| keyring_env(c, &first_run),
    );
    assert_child_passed(name, &out);

    let name = "unreachable::child_with_a_locked_keyring";
    let out = child(name, &["dbus-run-session", "--"], |c| {
        keyring_env(c, &second_run);
    });
    assert_child_passed(name, &out);
}
