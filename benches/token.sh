#!/usr/bin/env bash
# `tokentray token NAME` while `tokentray serve` runs (one request over the daemon socket),
# beside oidc-agent's `oidc-token` (one request to its agent over its socket) and `/bin/true`
# (the cost of starting a process), in the same hyperfine run, plus `tokentray token` without a
# daemon. Both token holders serve an access token they already hold: the agent's account is
# made non-interactively from a refresh token minted at the sandbox's OAuth provider.
#
# Needs: hyperfine, oidc-agent-cli, jq, curl (Debian: apt-get install hyperfine oidc-agent-cli jq
# curl), and release builds: cargo build --release -p tokentray-cli -p tokentray-sandbox.
# Usage: benches/token.sh [RUNS]   (TOKENTRAY_TARGET: the cargo target dir, default ./target)
set -euo pipefail

runs=${1:-300}
target=${TOKENTRAY_TARGET:-${CARGO_TARGET_DIR:-$(dirname "$0")/../target}}
tt=$target/release/tokentray
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
# token in memory either way; no keychain is involved in this path).
export TOKENTRAY_HOME=$work/tokentray
"$tt" doctor --use-file-store >/dev/null 2>&1 || true
TOKENTRAY_TOKEN=tok-bench "$tt" add api --kind static >/dev/null
no_daemon=$work/no-daemon.json
hyperfine -N --warmup 20 --runs "$runs" --export-json "$no_daemon" "$tt token api"
"$tt" serve --port 0 >"$work/serve.out" 2>/dev/null &
pids+=($!)
until grep -q listening "$work/serve.out" 2>/dev/null; do sleep 0.05; done
"$tt" token api >/dev/null

hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/daemon.json" \
  -n "tokentray token (serve running)" "$tt token api" \
  -n "oidc-token (oidc-agent running)" "oidc-token bench" \
  -n "/bin/true" /bin/true

jq -r '.results[] | "\(.command): median \(.median * 1000 | . * 100 | round / 100) ms, mean \(.mean * 1000 | . * 100 | round / 100) ms, p90 \(.times | sort | .[(length * 0.9 | floor)] * 1000 | . * 100 | round / 100) ms"' \
  "$no_daemon" "$work/daemon.json"
