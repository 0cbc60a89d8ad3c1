//! A keychain that cannot be used answers at once with a reason, never hangs and never falls
//! back: no session bus, a bus without a Secret Service, a locked keyring. Each case runs in a
//! child process of this binary with its own environment (a test must not change the
//! environment of the threads it shares a process with).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use tokentray_engine::{Paths, Secret, SecretStore, StoreError};
use tokentray_keychain::{KeychainOptions, KeychainStore};

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

/// Inside a private session: create and unlock a keyring, take the Secret Service name, run.
const UNLOCKED_SESSION: &str = r#"
    eval "$(printf %s first-password | gnome-keyring-daemon --unlock --components=secrets)"
    gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1
    exec "$@""#;

/// As `UNLOCKED_SESSION`, then freeze the daemon: it holds the name, accepts calls and never
/// answers. It is thawed and stopped when the command ends.
const FROZEN_SESSION: &str = r#"
    eval "$(printf %s first-password | gnome-keyring-daemon --unlock --components=secrets)"
    gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1
    daemon="$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets |
        awk '/uint32/ { print $2 }')"
    kill -STOP "$daemon"
    status=0
    "$@" || status=$?
    kill -CONT "$daemon"
    kill "$daemon"
    exit "$status""#;

/// The Tokentray home two children share, so the second sees the first one's items.
const SHARED_HOME_ENV: &str = "TOKENTRAY_KEYCHAIN_TEST_HOME";

fn shared_home_store() -> KeychainStore {
    let home = std::env::var_os(SHARED_HOME_ENV).expect("the parent names a shared home");
    KeychainStore::with_options(
        &Paths::under(Path::new(&home)),
        KeychainOptions {
            timeout: TEST_TIMEOUT,
            ..KeychainOptions::default()
        },
    )
}

#[tokio::test]
#[ignore = "a child of a_locked_keyring_is_reported_as_locked"]
async fn child_leaves_an_item() {
    if in_child() {
        let store = shared_home_store();
        store.put("left", &Secret::new("behind")).await.unwrap();
    }
}

#[tokio::test]
#[ignore = "a child of a_locked_keyring_is_reported_as_locked"]
async fn child_with_a_locked_keyring() {
    if !in_child() {
        return;
    }
    let store = shared_home_store();
    let started = Instant::now();
    let read = store.get("left").await.unwrap_err();
    let write = store.put("work", &Secret::new("v")).await.unwrap_err();
    for err in [read, write] {
        assert!(matches!(err, StoreError::Locked), "{err:?}");
        assert!(
            err.to_string().contains("unlock"),
            "the message says what to do: {err}"
        );
    }
    assert!(started.elapsed() < TEST_TIMEOUT, "{:?}", started.elapsed());
}

/// A keyring created with a password in one session is locked in the next, where nobody can
/// answer the unlock prompt (no display): reading its item and writing fail with `Locked`,
/// quickly.
#[test]
fn a_locked_keyring_is_reported_as_locked() {
    if !tools_present(&["dbus-run-session", "gnome-keyring-daemon"]) {
        return;
    }
    let home = Home::new();
    let scratch = home.dir.path();
    let data = private_dir(scratch, "data");
    let (first_run, second_run) = (private_dir(scratch, "run-1"), private_dir(scratch, "run-2"));
    let session = |c: &mut Command, run: &Path| {
        c.env("XDG_DATA_HOME", &data)
            .env("XDG_RUNTIME_DIR", run)
            .env(SHARED_HOME_ENV, scratch.join("tokentray"));
    };

    let name = "unreachable::child_leaves_an_item";
    let wrapper = [
        "dbus-run-session",
        "--",
        "bash",
        "-c",
        UNLOCKED_SESSION,
        "bash",
    ];
    let out = child(name, &wrapper, |c| session(c, &first_run));
    assert_child_passed(name, &out);

    let name = "unreachable::child_with_a_locked_keyring";
    let out = child(name, &["dbus-run-session", "--"], |c| {
        session(c, &second_run);
    });
    assert_child_passed(name, &out);
}

const FROZEN_TIMEOUT: Duration = Duration::from_secs(1);

#[tokio::test]
#[ignore = "a child of a_frozen_keyring_times_out_and_never_holds_up_the_process"]
async fn child_with_a_frozen_keyring() {
    if !in_child() {
        return;
    }
    let home = Home::new();
    let store = KeychainStore::with_options(
        &home.paths,
        KeychainOptions {
            timeout: FROZEN_TIMEOUT,
            ..KeychainOptions::default()
        },
    );
    let started = Instant::now();
    let err = store.put("work", &Secret::new("v")).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Timeout { after } if after == FROZEN_TIMEOUT),
        "{err:?}"
    );
    assert!(
        started.elapsed() < FROZEN_TIMEOUT * 3,
        "{:?}",
        started.elapsed()
    );

    let again = Instant::now();
    let err = store.get("work").await.unwrap_err();
    assert!(matches!(err, StoreError::Timeout { .. }), "{err:?}");
    assert!(
        again.elapsed() < FROZEN_TIMEOUT / 2,
        "the open circuit answers at once: {:?}",
        again.elapsed()
    );
}

/// A Secret Service that accepts calls and never answers (a frozen daemon): calls give up at the
/// store's timeout, the next one fails at once, and the process still exits promptly although
/// a thread is stuck in the call.
#[test]
fn a_frozen_keyring_times_out_and_never_holds_up_the_process() {
    if !tools_present(&["dbus-run-session", "gnome-keyring-daemon", "dbus-send"]) {
        return;
    }
    let home = Home::new();
    let run = private_dir(home.dir.path(), "run");
    let data = private_dir(home.dir.path(), "data");
    let name = "unreachable::child_with_a_frozen_keyring";
    let wrapper = [
        "dbus-run-session",
        "--",
        "bash",
        "-c",
        FROZEN_SESSION,
        "bash",
    ];
    let started = Instant::now();
    let out = child(name, &wrapper, |c| {
        c.env("XDG_DATA_HOME", &data).env("XDG_RUNTIME_DIR", &run);
    });
    assert_child_passed(name, &out);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the child exits without waiting for the stuck call: {:?}",
        started.elapsed()
    );
}
