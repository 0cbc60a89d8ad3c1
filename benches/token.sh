#!/usr/bin/env bash
# `tokentray token NAME` while `tokentray serve` runs (one request over the daemon socket),
# beside oidc-agent's `oidc-token` (one request to its agent over its socket) and `/bin/true`
# (the cost of starting a process), in the same hyperfine run, plus `tokentray token` without a
# daemon. Both token holders serve an access token they already hold: the agent's account is
# made non-interactively from a refresh token minted at the sandbox's OAuth provider.
#
# Needs: hyperfine, oidc-agent-cli, jq, curl (Debian: apt-get install hyperfine oidc-agent-cli jq
# curl), and release builds: cargo build --release -p tokentray-cli -p tokentray-sandbox.
# Usage: benches/token.sh [RUNS]   (TOKENTRAY_TARGET: the cargo target dir, default ./target;
# TOKENTRAY_BASELINE: another build of `tokentray`, e.g. of an earlier commit, measured in the
# same run against the same serve)
set -euo pipefail

runs=${1:-300}
target=${TOKENTRAY_TARGET:-${CARGO_TARGET_DIR:-$(dirname "$0")/../target}}
tt=${TOKENTRAY_BIN:-$target/release/tokentray}
sandbox_bin=$target/release/tokentray-sandbox
for tool in hyperfine oidc-agent oidc-gen oidc-token jq curl "$tt" "$sandbox_bin"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The sandbox providers, for oidc-agent's account.
"$sandbox_bin" --ignore-stdin >"$work/sandbox.out" &
pids+=($!)
until grep -q listening "$work/sandbox.out" 2>/dev/null; do sleep 0.05; done
url=$(sed -n 's/.*listening on //p' "$work/sandbox.out")
curl -sf -X POST -H 'content-type: application/json' "${url}_admin/clients" -d \
  '{"provider":"oauth","client_id":"bench","client_secret":"bench-secret","auth_method":"client_secret_basic","scope":"openid profile email offline_access","access_token_secs":86400}'
rt=$(curl -sf -X POST -H 'content-type: application/json' "${url}_admin/refresh-token" \
  -d '{"client_id":"bench","username":"ada"}' | jq -r .refresh_token)

# oidc-agent with the account loaded (kept in the agent only, nothing saved).
export HOME=$work/home
mkdir -p "$HOME"
agent_env=$(oidc-agent --no-autoload)
eval "$(grep -v '^echo' <<<"$agent_env")"
pids+=("$OIDCD_PID")
oidc-gen bench --issuer="${url}oauth" --client-id=bench --client-secret=bench-secret \
  --rt="$rt" --scope="openid profile email offline_access" --no-save --prompt=none \
  --confirm-default >/dev/null
oidc-token bench >/dev/null

# Tokentray with a static token, secrets in the owner-only file store (the daemon holds the
# token in memory either way; no keychain is involved in this path). Its files go where they go
# for a person (XDG directories under this HOME), not under TOKENTRAY_HOME, which also names a
# keychain namespace by hashing its path: work the fast path does not do in real use. D-Bus is
# pointed nowhere, so no real keychain is ever touched.
unset TOKENTRAY_HOME
export XDG_RUNTIME_DIR=$work/xdg DBUS_SESSION_BUS_ADDRESS=unix:path=$work/no-bus
mkdir -m 700 "$XDG_RUNTIME_DIR"
"$tt" doctor --use-file-store >/dev/null 2>&1 || true
TOKENTRAY_TOKEN=tok-bench "$tt" add api --kind static >/dev/null
no_daemon=$work/no-daemon.json
hyperfine -N --warmup 20 --runs "$runs" --export-json "$no_daemon" "$tt token api"
"$tt" serve --port 0 >"$work/serve.out" 2>/dev/null &
pids+=($!)
until grep -q listening "$work/serve.out" 2>/dev/null; do sleep 0.05; done
"$tt" token api >/dev/null

# A baseline build asks the same serve its own way (older builds: over the HTTP endpoint, with
# the key from endpoint.json).
baseline=()
if [ -n "${TOKENTRAY_BASELINE:-}" ]; then
  "$TOKENTRAY_BASELINE" token api >/dev/null
  baseline=(-n "baseline: $TOKENTRAY_BASELINE token api" "$TOKENTRAY_BASELINE token api")
fi

# Short rounds, one after another, so that load from other programs falls on every command
# alike; the figures are over all rounds' runs.
rounds=${ROUNDS:-10}
for round in $(seq "$rounds"); do
  hyperfine -N --style none --warmup 5 --runs $((runs / rounds)) \
    --export-json "$work/round-$round.json" \
    -n "tokentray token (serve running)" "$tt token api" \
    "${baseline[@]}" \
    -n "oidc-token (oidc-agent running)" "oidc-token bench" \
    -n "/bin/true" /bin/true >/dev/null
done

stats='"\(.command): median \(.times | sort | .[length / 2 | floor] * 1000 | . * 100 | round / 100) ms, p90 \(.times | sort | .[length * 0.9 | floor] * 1000 | . * 100 | round / 100) ms, mean \(.times | add / length * 1000 | . * 100 | round / 100) ms (\(.times | length) runs)"'
jq -r ".results[] | $stats" "$no_daemon"
jq -s -r "[.[].results[]] | group_by(.command) | map({command: .[0].command, times: (map(.times) | add)}) | .[] | $stats" \
  "$work"/round-*.json
