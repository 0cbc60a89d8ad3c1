#!/usr/bin/env bash
# Screenshots of the desktop app on a virtual X display, with a throw-away TOKENTRAY_HOME.
# Builds nothing: point it at a binary built by `cargo build -p tokentray-desktop`.
#
#   tests/e2e/screenshot.sh [--app PATH] [--out FILE.png] [--fixture sample|empty|broken]
#                           [--theme light|dark] [--timeout S]
#
# Defaults: --app $CARGO_TARGET_DIR/debug/tokentray-desktop (target/ when unset),
# --out artifacts/screenshots/main.png, --fixture sample (three connections), --theme light,
# --timeout 60. Exit codes: 0 saved, 1 the window never appeared or never rendered, 2 bad
# usage or a missing tool. Needs xvfb-run, dbus-run-session, xdotool and ImageMagick.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

app="${CARGO_TARGET_DIR:-target}/debug/tokentray-desktop"
out="artifacts/screenshots/main.png"
fixture="sample"
theme="light"
timeout=60

while [ $# -gt 0 ]; do
  case "$1" in
    --app) app="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --fixture) fixture="$2"; shift 2 ;;
    --theme) theme="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "screenshot.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

e2e_require xvfb-run dbus-run-session xdotool import identify
[ -x "$app" ] || { echo "screenshot.sh: no app binary at $app; build it first" >&2; exit 2; }
case "$fixture" in sample | empty | broken) ;; *) echo "screenshot.sh: unknown fixture $fixture" >&2; exit 2 ;; esac
case "$theme" in
  light) export GTK_THEME=Adwaita ;;
  # WebKitGTK answers prefers-color-scheme from the GTK theme.
  dark) export GTK_THEME=Adwaita:dark ;;
  *) echo "screenshot.sh: unknown theme $theme" >&2; exit 2 ;;
esac

home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
e2e_fixture "$home" "$fixture"
mkdir -p "$(dirname "$out")"

# Everything that needs the display runs inside xvfb-run, and D-Bus inside that (not the other
# way round: D-Bus-activated services would then start without a display).
export TOKENTRAY_HOME="$home" APP="$app" OUT="$out" TIMEOUT="$timeout" HERE="$here" NO_AT_BRIDGE=1
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -euo pipefail -c '
  . "$HERE/lib.sh"
  # A private, unlocked keyring on this bus: the app reads its export key at start, and a
  # locked or missing keyring would put an unlock prompt over the window.
  if command -v gnome-keyring-daemon >/dev/null; then
    mkdir -m 700 -p "$TOKENTRAY_HOME/xdg-data" "$TOKENTRAY_HOME/xdg-run"
    export XDG_DATA_HOME="$TOKENTRAY_HOME/xdg-data" XDG_RUNTIME_DIR="$TOKENTRAY_HOME/xdg-run"
    eval "$(printf %s e2e | gnome-keyring-daemon --unlock --components=secrets)"
    eval "$(gnome-keyring-daemon --start --components=secrets 2>/dev/null)"
    export GNOME_KEYRING_CONTROL
  fi
  "$APP" >"$TOKENTRAY_HOME/app.log" 2>&1 &
  PID=$!
  trap "kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true" EXIT
  DEADLINE=$((SECONDS + TIMEOUT))
  window="$(e2e_wait_window)"
  echo "window $window is mapped after ${SECONDS}s"
  e2e_wait_rendered "$window" "$OUT.tmp.png"
  mv "$OUT.tmp.png" "$OUT"
  echo "saved $OUT after ${SECONDS}s"
'
