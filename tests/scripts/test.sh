#!/usr/bin/env bash
# Sets up and runs every test of Tokentray, as CI does: formatting and lints (Rust and UI), the
# dependency rules (cargo-deny, cargo-machete) and the module-cycle check,
# the UI's unit tests, every Rust test (engine, keychain against a real gnome-keyring on a
# private D-Bus session, CLI, sandbox, acceptance against two real OpenID providers, desktop),
# the Python client (tests/scripts/python-client.sh: its wheel, tested installed against the
# real sandbox and `tokentray serve`), the check that the generated IPC bindings are committed,
# and the desktop app's end-to-end suite in a real WebView on a virtual display
# (tests/e2e/run.sh), which saves screenshots of the main screens under artifacts/screenshots/;
# last, the Linux packages are built, installed, used and purged again
# (tests/scripts/package-check.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

tests/scripts/setup.sh --test

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

say "format"
cargo fmt --all --check
npm run --prefix ui format:check --silent

say "lint"
npm run --prefix ui lint --silent
cargo clippy --workspace --all-targets --locked -- -D warnings

say "boundaries: crate rules and licences (deny.toml), unused dependencies, no module import cycles"
cargo deny --locked check bans licenses
cargo machete
cargo test -p tokentray-acceptance --test structure --locked

say "UI unit tests"
npm test --prefix ui --silent

say "Rust tests, with a real keychain and a real OpenID provider"
export TOKENTRAY_REQUIRE_OIDC=1 TOKENTRAY_REQUIRE_DOT=1 NO_AT_BRIDGE=1
# As root (CI), the tests that play a second local user must run, not skip.
if [ "$(id -u)" = 0 ]; then export TOKENTRAY_REQUIRE_NEIGHBOUR=1; fi
# The real TLS server (nginx) and proxy (tinyproxy) that setup.sh installs must run, not skip.
export TOKENTRAY_REQUIRE_TLS=1
# The shells, groff and git that setup.sh installs for the completion, man page and git tests.
export TOKENTRAY_REQUIRE_TOOLS=1
xvfb-run -a -s "-screen 0 1280x800x24" tests/scripts/with-keyring.sh \
  cargo test --workspace --locked --no-fail-fast

say "Python client: lint, types, its wheel (artifacts/python/), tested installed against tokentray serve and the sandbox"
tests/scripts/python-client.sh

say "generated IPC bindings are committed"
git diff --exit-code -- ui/src/ipc/bindings.ts

say "desktop app end to end, in a real WebView (screenshots in artifacts/screenshots/)"
tests/e2e/run.sh

say "desktop app over its life: live updates, close to tray, a second launch shows the window"
xvfb-run -a -s "-screen 0 1280x800x24" tests/scripts/with-keyring.sh \
  tests/e2e/lifecycle.sh --app "${CARGO_TARGET_DIR:-target}/debug/tokentray-desktop" --out-dir artifacts/lifecycle

say "the .deb and .rpm packages: built, installed, used and purged (tests/scripts/package-check.sh)"
tests/scripts/package-check.sh

say "all tests passed"
