#!/usr/bin/env bash
# The desktop app's launch time and idle memory next to a minimal Tauri 2 app
# (benches/minimal-tauri), both release builds with the embedded page, measured the same way
# in the same run on a virtual display, Tokentray with a private keychain and three connections.
#
#   benches/desktop.sh [--runs N] [--idle-runs N] [--idle SECONDS]
#
# Needs tests/scripts/setup.sh --test (Xvfb, gnome-keyring). Prints a Markdown table for the
# README and writes artifacts/bench/desktop.json.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
export CARGO_TARGET_DIR="$target"

printf '\033[1m==> %s\033[0m\n' "building both apps (release, embedded page) and the CLI"
npm run --prefix ui build --silent
cargo build --locked --release -p tokentray-cli
cargo build --locked --release -p tokentray-desktop --features custom-protocol
cargo build --locked --release -p tokentray-bench-minimal-tauri --features custom-protocol

cli="$target/release/tokentray"
prepare="for n in api-one api-two api-three; do TOKENTRAY_TOKEN=tok-\$n '$cli' add \$n --kind static >/dev/null; done"

printf '\033[1m==> %s\033[0m\n' "measuring"
xvfb-run -a -s "-screen 0 1280x800x24" "$root/tests/scripts/with-keyring.sh" \
  python3 "$root/benches/desktop_bench.py" \
  --app "tokentray=$target/release/tokentray-desktop" \
  --app "minimal=$target/release/tokentray-bench-minimal-tauri" \
  --prepare "tokentray=$prepare" \
  --json "$root/artifacts/bench/desktop.json" "$@"
