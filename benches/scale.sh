#!/usr/bin/env bash
# How the cost of `tokentray` grows with the number of connections (PRODUCT.md §8: linear).
# For each size N: `import` of N connection definitions into an empty home (timed once per
# round), then `token` (no daemon) and `list --json` with N connections, in one hyperfine run.
# The owner-only file store is used so the keychain's own cost stays out of the figures.
#
# Needs: hyperfine (Debian: apt-get install hyperfine) and a release build:
#   cargo build --release -p tokentray-cli
# Usage: benches/scale.sh [SIZES…]   (default: 500 5000 10000; TOKENTRAY_TARGET or
# CARGO_TARGET_DIR: the cargo target dir, default ./target; TOKENTRAY_BIN: another build;
# IMPORT_RUNS: imports timed per size, default 3)
set -euo pipefail

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(500 5000 10000)
target=${TOKENTRAY_TARGET:-${CARGO_TARGET_DIR:-$(dirname "$0")/../target}}
tt=${TOKENTRAY_BIN:-$target/release/tokentray}
for tool in hyperfine "$tt"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

definitions() {
  printf 'schema_version = 1\n'
  for ((i = 0; i < $1; i++)); do
    printf '\n[[connection]]\nname = "api-%05d"\nkind = "oauth2"\nissuer = "https://id.example.org/realms/r%d"\nclient_id = "client-%d"\ngrant = "client_credentials"\n' "$i" "$((i % 7))" "$i"
  done
}

fresh_home() {
  rm -rf "$1" && mkdir -p "$1"
  TOKENTRAY_HOME=$1 "$tt" doctor --use-file-store >/dev/null 2>&1 || true
}

for n in "${sizes[@]}"; do
  definitions "$n" >"$work/defs-$n.toml"
  home=$work/home-$n
  # import: each round into a fresh home (the preparation is not timed).
  hyperfine -N --runs "${IMPORT_RUNS:-3}" --export-json "$work/import-$n.json" \
    --prepare "bash -c 'rm -rf $home && mkdir -p $home && TOKENTRAY_HOME=$home $tt doctor --use-file-store >/dev/null 2>&1; true'" \
    "env TOKENTRAY_HOME=$home $tt import $work/defs-$n.toml" >/dev/null
  TOKENTRAY_TOKEN=bench-token TOKENTRAY_HOME=$home "$tt" add target --kind static >/dev/null
  hyperfine -N --warmup 3 --runs 30 --export-json "$work/use-$n.json" \
    "env TOKENTRAY_HOME=$home $tt token target" \
    "env TOKENTRAY_HOME=$home $tt list --json" >/dev/null
  python3 - "$n" "$work/import-$n.json" "$work/use-$n.json" <<'PY'
import json, sys
n = sys.argv[1]
rows = json.load(open(sys.argv[2]))["results"] + json.load(open(sys.argv[3]))["results"]
names = ["import", "token (no daemon)", "list --json"]
for name, r in zip(names, rows):
    print(f"{n:>6} connections  {name:<18} median {r['median'] * 1000:9.1f} ms")
PY
done
