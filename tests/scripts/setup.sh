#!/usr/bin/env bash
# Sets up a Debian 12 machine to build and run Tokentray: system packages (WebKitGTK for the
# app, gnome-keyring, Xvfb and friends for the tests), the UI's npm packages and its build,
# and the test OpenID providers (oidc-provider's npm packages, django-oauth-toolkit's
# venv). Safe to run again: it only does what is missing.
#
#   tests/scripts/setup.sh            # what the app needs
#   tests/scripts/setup.sh --test     # plus what the tests need
set -euo pipefail
cd "$(dirname "$0")/../.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

packages=(build-essential pkg-config curl file libssl-dev libxdo-dev libwebkit2gtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev gnome-keyring libsecret-1-dev dbus-x11)
if [ "$want_test" = 1 ]; then
  packages+=(xvfb xauth xdotool imagemagick webkit2gtk-driver)
  # The desktop end-to-end suite: the clipboard and keychain read back, its Python venv.
  packages+=(xclip libsecret-tools python3-venv)
  # Real TLS and proxy servers for the ca_file/proxy tests: nginx in front of the sandbox with
  # a private CA made by openssl, and tinyproxy as the HTTP proxy.
  packages+=(nginx-light openssl tinyproxy)
  # The package check (tests/scripts/package-check.sh): validating the desktop entry and its
  # tokentray:// registration, opening a link as a browser would, reading the .rpm, the man page.
  packages+=(desktop-file-utils xdg-utils rpm)
  # The shells whose completion scripts are checked, groff for the man page, and git (with
  # git-http-backend) for the credential helper's clone and fetch against a local git server.
  packages+=(bash zsh fish groff-base man-db git)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "Rust is missing: install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "Node.js 20 or newer is needed for the UI build (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "Install it from your distribution's backports or nodejs.org, then run this again." >&2
  exit 1
fi

# npm ci only when the lock file changed since the last install.
npm_ci() {
  local dir="$1"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing npm packages in $dir"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}
npm_ci ui
say "building the UI"
npm run --prefix ui build --silent
# "Try the sandbox" starts the demo providers, tokentray-sandbox, from beside the app's binary:
# build them into the same target directory that `cargo run -p tokentray-desktop` uses.
say "building the demo providers (tokentray-sandbox)"
cargo build --locked --quiet -p tokentray-sandbox
if [ "$want_test" = 1 ]; then
  npm_ci tests/servers/oidc-provider
  # A second local account for the tests that play a hostile neighbour on the same machine
  # (another user squatting ports, reading command lines, pre-creating files). Only as root.
  if [ "$(id -u)" = 0 ] && ! id tokentray-neighbour >/dev/null 2>&1; then
    say "creating the test account tokentray-neighbour"
    useradd --system --no-create-home --shell /usr/sbin/nologin tokentray-neighbour
  fi
  # WebDriver for the app's webview. Pin major 2: the registry also lists 3.x alphas.
  if ! cargo install --list | grep -q '^tauri-driver v2\.'; then
    say "installing tauri-driver 2"
    cargo install tauri-driver --version '^2' --locked --quiet
  fi
  # The lint step's dependency checks, pinned: cargo-deny (the crate rules and licences of
  # deny.toml) and cargo-machete (unused dependencies); built once, minutes each on two cores.
  for tool in cargo-deny@0.20.2 cargo-machete@0.9.2; do
    if ! cargo install --list | grep -q "^${tool%@*} v${tool#*@}:"; then
      say "installing ${tool%@*} ${tool#*@}"
      cargo install "${tool%@*}" --version "=${tool#*@}" --locked --quiet
    fi
  done
  # The E2E suite's venv, reinstalled only when its pinned requirements change.
  venv=tests/e2e/.venv
  if [ ! -x "$venv/bin/pytest" ] || [ tests/e2e/requirements.txt -nt "$venv/.installed" ]; then
    say "installing the E2E suite's Python packages"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/e2e/requirements.txt
    touch "$venv/.installed"
  fi
  # The Python client's venv: pytest, requests, httpx, aiohttp, build, mypy, ruff (test.sh
  # builds the client's wheel and tests it installed there); reinstalled when its pins change.
  venv=clients/python/.venv
  if [ ! -f "$venv/.installed" ] || [ clients/python/requirements-test.txt -nt "$venv/.installed" ]; then
    say "installing the Python client's test packages"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r clients/python/requirements-test.txt
    touch "$venv/.installed"
  fi
  # The strict OpenID server (django-oauth-toolkit) the acceptance tests start beside
  # oidc-provider; its venv, reinstalled only when its pinned requirements change.
  venv=tests/servers/dot/.venv
  if [ ! -f "$venv/.installed" ] || [ tests/servers/dot/requirements.txt -nt "$venv/.installed" ]; then
    say "installing the django-oauth-toolkit test server's Python packages"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/servers/dot/requirements.txt
    touch "$venv/.installed"
  fi
fi
say "setup done"
