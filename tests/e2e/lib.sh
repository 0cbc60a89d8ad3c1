# Shared by the desktop end-to-end scripts: fixtures and bounded waits on a virtual display.
# Source it; every wait polls with a deadline, never a fixed sleep.

e2e_require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "e2e: $tool is not installed" >&2; exit 2; }
  done
}

# e2e_fixture HOME sample|empty|broken: a TOKENTRAY_HOME holding three connections, one per
# kind of situation (a fresh OAuth 2.0 token with a long session, a static token about to
# expire, a Basic connection that needs a login), none, or a config file with a syntax error.
e2e_fixture() {
  local home="$1" fixture="$2" now_ms
  mkdir -p "$home/config" "$home/data"
  if [ "$fixture" = broken ]; then
    printf 'schema_version = 1\n\n[[connection]\nname = "work-api"\n' >"$home/config/connections.toml"
  fi
  [ "$fixture" = sample ] || return 0
  now_ms="$(date +%s%3N)"
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
  # Written to a temporary name and moved, so a running app never reads half a file.
  cat >"$home/config/connections.toml.tmp" <<TOML
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
  mv "$home/config/connections.toml.tmp" "$home/config/connections.toml"
}

# The following run inside the virtual display. They expect DEADLINE (in $SECONDS) and PID
# (the app) to be set.

e2e_check_alive() {
  kill -0 "$PID" 2>/dev/null && return 0
  echo "e2e: the app exited; its log:" >&2
  cat "$TOKENTRAY_HOME/app.log" >&2
  exit 1
}

e2e_before_deadline() {
  [ "$SECONDS" -lt "$DEADLINE" ] || { echo "e2e: timed out: $1" >&2; exit 1; }
}

# Prints the id of the visible main window once it is mapped. (--onlyvisible: GTK also
# creates an unmapped helper window with the same name.)
e2e_wait_window() {
  local window=""
  until window="$(xdotool search --onlyvisible --name '^Tokentray$' 2>/dev/null | head -n1)" &&
    [ -n "$window" ]; do
    e2e_check_alive
    e2e_before_deadline "the window never appeared"
    sleep 0.1
  done
  echo "$window"
}

# e2e_wait_rendered WINDOW FILE: saves the first settled, rendered frame to FILE. Below the
# title strip a page still loading is one flat colour, while a list, an empty state or an error
# panel has borders and text: measure the spread of that area and take the second busy frame
# in a row, so that fonts and layout have settled.
e2e_wait_rendered() {
  local window="$1" file="$2" busy=0 width height spread
  while :; do
    if import -window "$window" "$file" 2>/dev/null; then
      read -r width height < <(identify -format "%w %h\n" "$file")
      spread="$(identify -format "%[fx:round(1000*standard_deviation)]" \
        "$file[${width}x$((height - 110))+0+110]" 2>/dev/null || echo 0)"
      if [ "$spread" -ge 10 ]; then busy=$((busy + 1)); else busy=0; fi
      [ "$busy" -lt 2 ] || return 0
    fi
    e2e_check_alive
    e2e_before_deadline "the page never rendered"
    sleep 0.25
  done
}

# e2e_wait_changed WINDOW REFERENCE FILE: saves to FILE the first frame that differs from the
# image REFERENCE.
e2e_wait_changed() {
  local window="$1" reference="$2" file="$3"
  while :; do
    if import -window "$window" "$file" 2>/dev/null &&
      ! compare -metric AE "$reference" "$file" null: >/dev/null 2>&1; then
      return 0
    fi
    e2e_check_alive
    e2e_before_deadline "the window never changed"
    sleep 0.2
  done
}
