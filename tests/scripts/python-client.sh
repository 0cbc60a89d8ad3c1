#!/usr/bin/env bash
# The Python client (clients/python, package `tokentray`): ruff and mypy --strict, its wheel
# built into artifacts/python/ and installed into clients/python/.venv (which
# tests/scripts/setup.sh --test makes), and its pytest suite run against that installed wheel,
# the real sandbox and a real `tokentray serve` (both built here), in a private keyring on a
# virtual display as the Rust tests are. Extra arguments go to pytest (e.g. -k adapters).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=clients/python/.venv
if [ ! -x "$venv/bin/pytest" ]; then
  echo "$0: $venv is missing; run tests/scripts/setup.sh --test first" >&2
  exit 1
fi
cargo build --locked --quiet -p tokentray-cli -p tokentray-sandbox

(
  cd clients/python
  .venv/bin/ruff check src tests
  .venv/bin/ruff format --check src tests
  .venv/bin/mypy --strict src
)

rm -rf artifacts/python clients/python/build
mkdir -p artifacts/python
if ! built=$("$venv/bin/python" -m build --wheel --no-isolation --outdir artifacts/python clients/python 2>&1); then
  echo "$built" >&2
  exit 1
fi
wheel=(artifacts/python/tokentray-*.whl)
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "${wheel[0]}"
# The suite must exercise the installed wheel, not the source tree.
python="$PWD/$venv/bin/python"
(cd / && "$python" -c 'import tokentray; assert "site-packages" in tokentray.__file__, tokentray.__file__')

# As root (CI), the tests that play another local user must run, not skip.
if [ "$(id -u)" = 0 ]; then export TOKENTRAY_REQUIRE_NEIGHBOUR=1; fi
cd clients/python
exec xvfb-run -a -s "-screen 0 1280x800x24" ../../tests/scripts/with-keyring.sh \
  .venv/bin/pytest -q "$@"
