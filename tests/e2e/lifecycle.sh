#!/usr/bin/env bash
# Checks how the desktop app behaves over its life, on a virtual X display with a throw-away
# TOKENTRAY_HOME, with a tray (a StatusNotifier watcher, tests/e2e/watcher.py, run by the E2E
# venv's Python). Builds nothing: point it at a binary built by `cargo build -p tokentray-desktop`.
#
#   tests/e2e/lifecycle.sh [--app PATH] [--out-dir DIR] [--timeout S]
#
# 1. With no connections the empty state shows.
# 2. Connections written to the files by another process (as the CLI does) appear on their own.
# 3. The countdown ticks: the window changes by itself within two seconds.
# 4. On a desktop with a tray, closing the window hides it; the app keeps running. (Without a
#    tray, closing asks whether to quit: tests/e2e/test_tray.py.)
# 5. Launching the app again brings the hidden window back, and the second process exits.
# Screenshots of steps 1 and 2 go to --out-dir (default artifacts/screenshots).
# Exit codes: 0 all passed, 1 a step failed, 2 bad usage or a missing tool.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

app="${CARGO_TARGET_DIR:-target}/debug/tokentray-desktop"
out_dir="artifacts/screenshots"
timeout=60

while [ $# -gt 0 ]; do
  case "$1" in
    --app) app="$2"; shift 2 ;;
    --out-dir) out_dir="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "lifecycle.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

e2e_require xvfb-run dbus-run-session xdotool import identify compare python3
venv_python="$here/.venv/bin/python"
[ -x "$venv_python" ] || { echo "lifecycle.sh: no E2E venv; run tests/scripts/setup.sh --test" >&2; exit 2; }
[ -x "$app" ] || { echo "lifecycle.sh: no app binary at $app; build it first" >&2; exit 2; }

home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
e2e_fixture "$home" empty
mkdir -p "$out_dir"

export TOKENTRAY_HOME="$home" APP="$app" OUT_DIR="$out_dir" TIMEOUT="$timeout" HERE="$here"
export VENV_PYTHON="$venv_python"
export NO_AT_BRIDGE=1 GTK_THEME=Adwaita
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -euo pipefail -c '
  . "$HERE/lib.sh"
  shots="$TOKENTRAY_HOME/shots"; mkdir -p "$shots"
  DEADLINE=$((SECONDS + TIMEOUT))
  pass() { echo "ok   $1 (${SECONDS}s)"; }
  # The panel of this desktop: a StatusNotifier watcher with a host.
  "$VENV_PYTHON" "$HERE/watcher.py" >"$TOKENTRAY_HOME/watcher.out" 2>&1 &
  WATCHER=$!
  until grep -qx ready "$TOKENTRAY_HOME/watcher.out" 2>/dev/null; do
    kill -0 "$WATCHER" 2>/dev/null || { echo "e2e: the tray watcher did not start:" >&2; cat "$TOKENTRAY_HOME/watcher.out" >&2; exit 1; }
    e2e_before_deadline "the tray watcher did not start"
    sleep 0.1
  done
  "$APP" >"$TOKENTRAY_HOME/app.log" 2>&1 &
  PID=$!
  trap "kill $PID $WATCHER 2>/dev/null || true; wait $PID $WATCHER 2>/dev/null || true" EXIT

  window="$(e2e_wait_window)"
  e2e_wait_rendered "$window" "$shots/empty.png"
  cp "$shots/empty.png" "$OUT_DIR/lifecycle-empty.png"
  pass "1. the empty state shows"

  e2e_fixture "$TOKENTRAY_HOME" sample
  e2e_wait_changed "$window" "$shots/empty.png" "$shots/changed.png"
  e2e_wait_rendered "$window" "$shots/added.png"
  cp "$shots/added.png" "$OUT_DIR/lifecycle-added.png"
  pass "2. connections added by another process appear on their own"

  DEADLINE=$((SECONDS + 3))
  e2e_wait_changed "$window" "$shots/added.png" "$shots/ticked.png"
  DEADLINE=$((SECONDS + TIMEOUT))
  pass "3. the countdown ticks"

  python3 "$HERE/close_window.py" "$window"
  while xdotool search --onlyvisible --name "^Tokentray\$" >/dev/null 2>&1; do
    e2e_check_alive
    e2e_before_deadline "closing did not hide the window"
    sleep 0.1
  done
  e2e_check_alive
  pass "4. with a tray, closing hides the window and the app keeps running"

  "$APP" >"$TOKENTRAY_HOME/second.log" 2>&1 &
  second=$!
  again="$(e2e_wait_window)"
  [ "$again" = "$window" ] || { echo "e2e: a second window appeared ($again)" >&2; exit 1; }
  while kill -0 "$second" 2>/dev/null; do
    e2e_before_deadline "the second launch did not exit"
    sleep 0.1
  done
  wait "$second" || { echo "e2e: the second launch failed:" >&2; cat "$TOKENTRAY_HOME/second.log" >&2; exit 1; }
  e2e_check_alive
  pass "5. a second launch brings the window back and exits"
'
