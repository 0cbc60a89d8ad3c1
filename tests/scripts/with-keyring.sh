#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a freshly created, unlocked gnome-keyring,
# so keychain tests use a real Secret Service without ever touching the user's own keyring.
#
#   tests/scripts/with-keyring.sh cargo test -p tokentray-keychain
#
# The keyring lives in a temporary XDG_DATA_HOME (a keyring left by an earlier run with another
# password would be locked), the daemon's control socket in a temporary XDG_RUNTIME_DIR (so it
# never finds and joins the user's running daemon). Both are removed afterwards. The command's
# exit code is passed through. TOKENTRAY_REQUIRE_KEYRING=1 tells the tests that a keyring must
# be reachable: they fail instead of skipping.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 64
fi
for tool in dbus-run-session gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$0: $tool is missing; install gnome-keyring and dbus (Debian: apt-get install gnome-keyring dbus-x11)" >&2
        exit 69
    fi
done

scratch="$(mktemp -d "${TMPDIR:-/tmp}/tokentray-keyring.XXXXXXXX")"
cleanup() { rm -rf -- "$scratch"; }
trap cleanup EXIT
mkdir -m 700 "$scratch/data" "$scratch/runtime"

export XDG_DATA_HOME="$scratch/data"
export XDG_RUNTIME_DIR="$scratch/runtime"
export TOKENTRAY_REQUIRE_KEYRING=1
unset GNOME_KEYRING_CONTROL SSH_AUTH_SOCK DBUS_SESSION_BUS_ADDRESS

# Inside the session: create and unlock a `login` keyring (the password only guards this
# throw-away keyring), make the daemon take the Secret Service name on this bus (`--unlock`
# alone does not), run the command, and stop the daemon even if the bus outlives it.
dbus-run-session -- bash -c '
    set -euo pipefail
    eval "$(printf %s tokentray-test | gnome-keyring-daemon --unlock --components=secrets)"
    eval "$(gnome-keyring-daemon --start --components=secrets 2>/dev/null)"
    export GNOME_KEYRING_CONTROL
    daemon="$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null |
        awk "/uint32/ { print \$2 }")"
    if [[ -z "$daemon" ]]; then
        echo "with-keyring.sh: gnome-keyring did not provide the Secret Service on the private bus" >&2
        exit 70
    fi
    status=0
    "$@" || status=$?
    kill "$daemon" 2>/dev/null || true
    exit "$status"
' with-keyring "$@"
