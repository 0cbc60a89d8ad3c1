#!/usr/bin/env bash
# Checks the Linux packages for real, on this machine: builds them (tests/scripts/package.sh,
# debug profile unless --release), compares the .rpm's file list with the .deb's, installs the
# .deb with apt-get, and then checks what a user meets:
#
#  1. the files: app, sidecar and CLI in /usr/bin, completions, man page, systemd user unit;
#  2. the desktop entry passes desktop-file-validate and tokentray:// is registered to it
#     (mimeinfo.cache, and xdg-mime's answer);
#  3. the installed CLI runs (--version, `list` in a private TOKENTRAY_HOME), its man page
#     renders, its bash completion loads;
#  4. the installed app starts on a virtual display with a private keyring, starts its demo
#     providers from the installed sidecar, receives a tokentray:// link that xdg-open
#     delivers (through the desktop entry and the single instance), and leaves no sidecar
#     behind when it ends;
#  5. `apt-get purge` leaves none of the package's files and no tokentray:// registration.
#
#   tests/scripts/package-check.sh [--release] [--no-build]
#
# Needs root (or sudo) for apt-get, and tests/scripts/setup.sh --test. It refuses to run when a
# `tokentray` package is already installed (it would replace and then purge it).
# Exit codes: 0 all passed, 1 a check failed, 2 bad usage or a missing tool.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/tests/e2e/lib.sh"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { echo "package-check: FAILED: $*" >&2; exit 1; }
pass() { echo "ok   $*"; }

# ---------------------------------------------------------------------------------------------
# Step 4, inside the virtual display and the private D-Bus session (re-run of this script).
if [ "${1:-}" = --in-session ]; then
  timeout="${PACKAGE_CHECK_TIMEOUT:-30}"
  export TOKENTRAY_HOME NO_AT_BRIDGE=1
  # The engine logs at info what it does with a tokentray:// link.
  export TOKENTRAY_LOG="warn,tokentray_engine=info,tokentray_desktop=info"
  TOKENTRAY_HOME="$(mktemp -d)"
  app=/usr/bin/tokentray-desktop
  # A connection against the demo providers: the app starts them (the sidecar) with itself.
  mkdir -p "$TOKENTRAY_HOME/config"
  cat >"$TOKENTRAY_HOME/config/connections.toml" <<'TOML'
schema_version = 1

[[connection]]
name = "demo-api"
kind = "oauth2"
label = "Demo API"
token_url = "http://127.0.0.1:47211/oauth/token"
grant = "client_credentials"
client_id = "demo-cc"
TOML
  /usr/bin/tokentray list | grep -q demo-api || fail "tokentray list does not show the connection"
  pass "tokentray list reads a private TOKENTRAY_HOME"

  "$app" >"$TOKENTRAY_HOME/app.log" 2>&1 &
  PID=$!
  trap 'kill "$PID" 2>/dev/null || true; rm -rf "$TOKENTRAY_HOME"' EXIT
  DEADLINE=$((SECONDS + timeout))
  e2e_wait_window >/dev/null
  pass "the installed app shows its window"

  # The demo providers: the installed sidecar, a child of the app, answering on their port.
  sidecar=""
  until [ -n "$sidecar" ]; do
    for child in $(pgrep -P "$PID" || true); do
      [ "$(readlink "/proc/$child/exe" 2>/dev/null)" = /usr/bin/tokentray-sandbox ] && sidecar="$child"
    done
    e2e_check_alive
    e2e_before_deadline "the app never started /usr/bin/tokentray-sandbox"
    sleep 0.1
  done
  until curl -sf --noproxy '*' -o /dev/null http://127.0.0.1:47211/oauth/.well-known/openid-configuration; do
    e2e_check_alive
    e2e_before_deadline "the demo providers never answered on port 47211"
    sleep 0.1
  done
  pass "the app started the demo providers from the installed sidecar (pid $sidecar)"

  # A tokentray:// link, opened the way a browser hands it over: xdg-open finds the desktop
  # entry, runs `tokentray-desktop %u`, which passes the link to the running app and exits.
  link="tokentray://oauth/callback?code=package-check&state=package-check"
  XDG_DATA_HOME="$TOKENTRAY_HOME/xdg-data" XDG_CONFIG_HOME="$TOKENTRAY_HOME/xdg-config" \
    XDG_DATA_DIRS=/usr/share BROWSER=false timeout "$timeout" xdg-open "$link" ||
    fail "xdg-open $link failed"
  until grep -q "ignored a login callback that matches no waiting login" "$TOKENTRAY_HOME/app.log"; do
    e2e_check_alive
    e2e_before_deadline "the running app never received $link"
    sleep 0.1
  done
  running=0
  for exe in /proc/[0-9]*/exe; do
    [ "$(readlink "$exe" 2>/dev/null)" != "$app" ] || running=$((running + 1))
  done
  [ "$running" = 1 ] || fail "$running processes of $app after the link (expected the one)"
  pass "xdg-open delivered a tokentray:// link to the running app (its log says so)"

  # Ending the app ends the sidecar: SIGTERM, as a session logout sends.
  kill -TERM "$PID"
  DEADLINE=$((SECONDS + timeout))
  while kill -0 "$PID" 2>/dev/null || kill -0 "$sidecar" 2>/dev/null; do
    e2e_before_deadline "the app ($PID) or its sidecar ($sidecar) still runs after SIGTERM"
    sleep 0.1
  done
  pass "the sidecar ended with the app"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
build=1
build_args=(--debug)
while [ $# -gt 0 ]; do
  case "$1" in
    --release) build_args=(); shift ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package-check: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
e2e_require apt-get dpkg-deb rpm desktop-file-validate update-desktop-database xdg-mime xdg-open \
  xvfb-run xdotool curl man gzip
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
if dpkg -s tokentray >/dev/null 2>&1; then
  echo "package-check: a tokentray package is installed already; remove it first (apt-get purge tokentray)" >&2
  exit 2
fi

cd "$root"
[ "$build" = 0 ] || "$here/package.sh" "${build_args[@]}"
debs=(artifacts/packages/*.deb)
rpms=(artifacts/packages/*.rpm)
[ -f "${debs[0]}" ] && [ -f "${rpms[0]}" ] || fail "no .deb and .rpm in artifacts/packages/"
deb="$root/${debs[0]}"
rpm="$root/${rpms[0]}"
scratch="$(mktemp -d)"
installed=0
cleanup() {
  [ "$installed" = 0 ] || $sudo env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq tokentray >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT

say "the packages' file lists"
# Files only (not directories), with the .rpm's zsh directory (Fedora's) mapped to Debian's.
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print "/" $6 }' | sed 's|^//|/|' | sort >"$scratch/deb.files"
rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" 2>/dev/null | awk '$1 !~ /^d/ { print $2 }' |
  sed 's|/usr/share/zsh/site-functions/|/usr/share/zsh/vendor-completions/|' | sort >"$scratch/rpm.files"
expected=(
  /usr/bin/tokentray-desktop /usr/bin/tokentray-sandbox /usr/bin/tokentray
  /usr/share/applications/Tokentray.desktop
  /usr/share/icons/hicolor/128x128/apps/tokentray-desktop.png
  /usr/share/bash-completion/completions/tokentray
  /usr/share/zsh/vendor-completions/_tokentray
  /usr/share/fish/vendor_completions.d/tokentray.fish
  /usr/share/man/man1/tokentray.1.gz
  /usr/lib/systemd/user/tokentray.service
)
for f in "${expected[@]}"; do
  grep -qx "$f" "$scratch/deb.files" || fail "the .deb lacks $f"
  grep -qx "$f" "$scratch/rpm.files" || fail "the .rpm lacks $f"
done
diff -u "$scratch/deb.files" "$scratch/rpm.files" || fail "the .deb and the .rpm hold different files"
pass "the .deb and the .rpm hold the same $(wc -l <"$scratch/deb.files") files, the expected ones among them"

say "installing $(basename "$deb")"
installed=1
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$scratch/apt.log" 2>&1 ||
  { cat "$scratch/apt.log" >&2; fail "apt-get install"; }
dpkg -L tokentray | while read -r f; do [ -d "$f" ] || echo "$f"; done | sort >"$scratch/installed"
for f in "${expected[@]}"; do
  grep -qx "$f" "$scratch/installed" || fail "dpkg -L does not list $f"
  [ -s "$f" ] || fail "$f is missing or empty"
done
pass "installed: $(wc -l <"$scratch/installed") files"

desktop=/usr/share/applications/Tokentray.desktop
desktop-file-validate "$desktop" || fail "desktop-file-validate $desktop"
grep -qx 'Exec=tokentray-desktop %u' "$desktop" || fail "the desktop entry does not pass the link (%u)"
grep -q '^MimeType=.*x-scheme-handler/tokentray;' "$desktop" || fail "the desktop entry lacks x-scheme-handler/tokentray"
pass "the desktop entry is valid and takes tokentray:// links"
# desktop-file-utils' dpkg trigger ran update-desktop-database on install.
grep -q '^x-scheme-handler/tokentray=.*Tokentray\.desktop' /usr/share/applications/mimeinfo.cache ||
  fail "mimeinfo.cache does not map x-scheme-handler/tokentray to Tokentray.desktop"
handler="$(env XDG_DATA_HOME="$scratch/xdg-data" XDG_CONFIG_HOME="$scratch/xdg-config" XDG_DATA_DIRS=/usr/share \
  xdg-mime query default x-scheme-handler/tokentray)"
[ "$handler" = Tokentray.desktop ] || fail "xdg-mime says the tokentray:// handler is '$handler'"
pass "tokentray:// is registered to Tokentray.desktop (mimeinfo.cache, xdg-mime)"

version="$(/usr/bin/tokentray --version 2>&1)" || fail "tokentray --version"
[[ "$version" == *"$(dpkg-query -W -f '${Version}' tokentray)"* ]] || fail "tokentray --version says '$version'"
man -l /usr/share/man/man1/tokentray.1.gz 2>"$scratch/man.err" | grep -q tokentray || fail "the man page does not render"
[ ! -s "$scratch/man.err" ] || { cat "$scratch/man.err" >&2; fail "the man page renders with warnings"; }
bash -c '. /usr/share/bash-completion/completions/tokentray && complete -p tokentray' >/dev/null ||
  fail "the bash completion does not register for tokentray"
grep -qx 'ExecStart=/usr/bin/tokentray serve' /usr/lib/systemd/user/tokentray.service ||
  fail "the user unit does not run tokentray serve"
pass "the CLI runs ($version), its man page renders, its bash completion loads, the user unit runs serve"

say "the installed app on a virtual display"
xvfb-run -a -s "-screen 0 1280x800x24" "$here/with-keyring.sh" "$0" --in-session ||
  fail "the installed app (see above)"

say "purging"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq tokentray >"$scratch/apt.log" 2>&1 ||
  { cat "$scratch/apt.log" >&2; fail "apt-get purge"; }
installed=0
! dpkg -s tokentray >/dev/null 2>&1 || fail "dpkg still knows the package"
left=0
while read -r f; do
  if [ -e "$f" ] || [ -L "$f" ]; then echo "left behind: $f" >&2; left=1; fi
done <"$scratch/installed"
[ "$left" = 0 ] || fail "files of the package are left after purge"
! grep -q 'tokentray' /usr/share/applications/mimeinfo.cache 2>/dev/null ||
  fail "mimeinfo.cache still names tokentray after purge"
handler="$(env XDG_DATA_HOME="$scratch/xdg-data" XDG_CONFIG_HOME="$scratch/xdg-config" XDG_DATA_DIRS=/usr/share \
  xdg-mime query default x-scheme-handler/tokentray)"
[ -z "$handler" ] || fail "xdg-mime still has a tokentray:// handler after purge: $handler"
pass "purged: none of the $(wc -l <"$scratch/installed") files and no tokentray:// registration left"
say "the packages passed"
