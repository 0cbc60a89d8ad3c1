#!/usr/bin/env bash
# Screenshots of the desktop app on a virtual X display, with a throw-away TOKENTRAY_HOME.
# Builds nothing: point it at a binary built by `cargo build -p tokentray-desktop`.
#
#   tests/e2e/screenshot.sh [--app PATH] [--out FILE.png] [--fixture sample|empty] [--timeout S]
#
# Defaults: --app $CARGO_TARGET_DIR/debug/tokentray-desktop (target/ when unset),
# --out artifacts/screenshots/main.png, --fixture sample (three connections), --timeout 60.
# Exit codes: 0 saved, 1 the window never appeared or never rendered, 2 bad usage or a
# missing tool. Needs xvfb-run, dbus-run-session, xdotool and ImageMagick's import/identify.
set -euo pipefail

app="${CARGO_TARGET_DIR:-target}/debug/tokentray-desktop"
out="artifacts/screenshots/main.png"
fixture="sample"
timeout=60

while [ $# -gt 0 ]; do
  case "$1" in
    --app) app="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --fixture) fixture="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "screenshot.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

for tool in xvfb-run dbus-run-session xdotool import identify; do
  command -v "$tool" >/dev/null || { echo "screenshot.sh: $tool is not installed" >&2; exit 2; }
done
[ -x "$app" ] || { echo "screenshot.sh: no app binary at $app; build it first" >&2; exit 2; }
case "$fixture" in sample | empty) ;; *) echo "screenshot.sh: unknown fixture $fixture" >&2; exit 2 ;; esac

home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/config" "$home/data" "$(dirname "$out")"

# Three connections, one per kind of situation: a fresh OAuth 2.0 token with a long session,
# a static token about to expire, and a Basic connection that needs a login.
if [ "$fixture" = sample ]; then
  now_ms="$(date +%s%3N)"
  cat >"$home/config/connections.toml" <<TOML
schema_version = 1

[[connection]]
name = "work-api"
kind = "oauth2"
label = "Work API"
client_id = "tokentray-desktop"
token_url = "https://idp.example/token"
grant = "client_credentials"

[[connection]]
name = "build-bot"
kind = "static"
label = "CI build bot"

[[connection]]
name = "legacy-erp"
kind = "basic"
label = "Legacy ERP"
username = "ada"
TOML
  cat >"$home/data/state.json" <<JSON
{"connections": {
  "work-api": {"status": "active", "expires_at": $((now_ms + 45 * 60000)),
    "refresh_expires_at": $((now_ms + 6 * 86400000 + 5 * 3600000)),
    "identity": {"subject": "ada", "name": "Ada Lovelace", "email": "ada@example.com"},
    "last_refresh": $((now_ms - 15 * 60000))},
  "build-bot": {"status": "active", "expires_at": $((now_ms + 185000)),
    "identity": {"subject": "ci-bot"}, "last_refresh": $((now_ms - 60000))},
  "legacy-erp": {"status": "needs_login",
    "last_error": "the server rejected the username or password (HTTP 401)"}
}}
JSON
fi

# Everything that needs the display runs inside xvfb-run, and D-Bus inside that (not the other
# way round: D-Bus-activated services would then start without a display).
export TOKENTRAY_HOME="$home" APP="$app" OUT="$out" TIMEOUT="$timeout" NO_AT_BRIDGE=1
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -euo pipefail -c '
  "$APP" >"$TOKENTRAY_HOME/app.log" 2>&1 &
  pid=$!
  trap "kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true" EXIT
  deadline=$((SECONDS + TIMEOUT))

  # 1. The window is mapped. (--onlyvisible: GTK also creates an unmapped helper window.)
  window=""
  until window="$(xdotool search --onlyvisible --name "^Tokentray\$" 2>/dev/null | head -n1)" && [ -n "$window" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "screenshot.sh: the app exited before showing a window; its log:" >&2
      cat "$TOKENTRAY_HOME/app.log" >&2; exit 1
    fi
    [ "$SECONDS" -lt "$deadline" ] || { echo "screenshot.sh: no window after ${TIMEOUT}s" >&2; exit 1; }
    sleep 0.1
  done
  echo "window $window is mapped after ${SECONDS}s"

  # 2. The page has rendered: below the title strip, a page still loading is one flat colour,
  # while a list, an empty state or an error panel has borders and text. Measure the spread of
  # that area, and take the second busy frame in a row, so that fonts and layout settled.
  busy=0
  while :; do
    if import -window "$window" "$OUT.tmp.png" 2>/dev/null; then
      read -r width height < <(identify -format "%w %h\n" "$OUT.tmp.png")
      spread="$(identify -format "%[fx:round(1000*standard_deviation)]" \
        "$OUT.tmp.png[${width}x$((height - 110))+0+110]" 2>/dev/null || echo 0)"
      if [ "$spread" -ge 10 ]; then busy=$((busy + 1)); else busy=0; fi
      [ "$busy" -lt 2 ] || break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "screenshot.sh: the app exited; its log:" >&2
      cat "$TOKENTRAY_HOME/app.log" >&2; exit 1
    fi
    [ "$SECONDS" -lt "$deadline" ] || { echo "screenshot.sh: the page never rendered" >&2; exit 1; }
    sleep 0.25
  done
  mv "$OUT.tmp.png" "$OUT"
  echo "saved $OUT after ${SECONDS}s"
'
