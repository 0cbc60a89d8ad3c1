"""Fixtures of the Python client's tests: the real sandbox providers (`tokentray-sandbox`), a
throw-away TOKENTRAY_HOME with connections added by the real CLI against them, and a real
`tokentray serve` in it. Every wait is bounded; nothing sleeps a fixed time.

The binaries come from `$TOKENTRAY_BIN_DIR`, else `$CARGO_TARGET_DIR/debug`, else the
workspace's `target/debug`. Run under tests/scripts/with-keyring.sh (a private unlocked
keyring), as tests/scripts/test.sh does.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import pytest

import tokentray

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 20.0


def _bin_dir() -> Path:
    given = os.environ.get("TOKENTRAY_BIN_DIR")
    if given:
        return Path(given)
    target = Path(os.environ.get("CARGO_TARGET_DIR") or "target")
    if not target.is_absolute():
        target = ROOT / target
    return target / "debug"


BIN = _bin_dir()
CLI = BIN / "tokentray"
SANDBOX = BIN / "tokentray-sandbox"
REFERER = "https://maps.example.org/app"
RENEWAL_WINDOW_MS = 30_000


def read_line(proc: subprocess.Popen, what: str) -> str:
    """The first line `proc` prints, waiting at most TIMEOUT seconds."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT)
    if not ready:
        raise AssertionError(f"{what} printed nothing within {TIMEOUT:.0f}s")
    return proc.stdout.readline().decode()


def until(what: str, condition: Callable[[], object]) -> object:
    """Polls `condition()` until it is truthy (and returns it), for at most TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {TIMEOUT:.0f}s waiting for {what}")
        time.sleep(0.05)


class Sandbox:
    """`tokentray-sandbox` on an ephemeral loopback port; it stops when its stdin closes."""

    def __init__(self, log: Path) -> None:
        self.proc = subprocess.Popen(
            [str(SANDBOX)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(log, "wb"),  # noqa: SIM115 - closed with the process
        )
        line = read_line(self.proc, "the sandbox")
        match = re.match(r"tokentray-sandbox listening on (http://127\.0\.0\.1:\d+/)", line)
        if not match:
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {line!r} {log.read_text()}")
        self.url = match.group(1)

    @property
    def oauth(self) -> str:
        return self.url + "oauth"

    @property
    def userinfo(self) -> str:
        """The generic issuer's userinfo: a resource that checks the bearer token (401)."""
        return self.url + "oauth/userinfo"

    @property
    def portal(self) -> str:
        return self.url + "arcgis"

    @property
    def community_self(self) -> str:
        """An ArcGIS REST resource that checks the token and its Referer (HTTP 200 + 498)."""
        return self.portal + "/sharing/rest/community/self?f=json"

    def admin(self, path: str, body: Optional[dict] = None) -> int:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + "_admin/" + path,
            data=data,
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=5) as response:
            return int(response.status)

    def revoke(self, token: str, provider: str = "oauth") -> None:
        """Ends `token` at the service at once, as its administrator would."""
        assert self.admin("revoke", {"token": token, "provider": provider}) == 204

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Home:
    """A fresh TOKENTRAY_HOME and the real CLI in it."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.path.mkdir(parents=True, exist_ok=True)
        self.run = self.path / "run"
        self.serve: Optional[subprocess.Popen] = None

    def env(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        env = dict(os.environ, TOKENTRAY_HOME=str(self.path), NO_COLOR="1")
        env.pop("TOKENTRAY_LOG", None)
        env.update(extra or {})
        return env

    def cli(self, *args: str, env: Optional[Dict[str, str]] = None) -> str:
        done = subprocess.run(
            [str(CLI), *args],
            env=self.env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"tokentray {' '.join(args)} exited with {done.returncode}:\n"
                f"{done.stdout}{done.stderr}"
            )
        return done.stdout

    def client(self) -> tokentray.Client:
        return tokentray.Client(home=self.path, cli=str(CLI), timeout=TIMEOUT)

    # Connections against the sandbox

    def add_static(self, name: str, token: str) -> None:
        self.cli("add", name, "--kind", "static", env={"TOKENTRAY_TOKEN": token})

    def add_cc(self, name: str, sandbox: Sandbox) -> None:
        self.cli(
            "add", name, "--kind", "oauth2", "--issuer", sandbox.oauth,
            "--grant", "client_credentials", "--client-id", "demo-cc",
            env={"TOKENTRAY_CLIENT_SECRET": "demo-cc-secret"},
        )  # fmt: skip

    def add_arcgis(self, name: str, sandbox: Sandbox, password: str = "contours") -> None:
        self.cli(
            "add", name, "--kind", "arcgis-token", "--portal-url", sandbox.portal,
            "--username", "gis-analyst", "--referer", REFERER,
            env={"TOKENTRAY_PASSWORD": password},
        )  # fmt: skip

    def let_the_window_pass(self) -> None:
        """Moves every recorded time in the state file back by Tokentray's renewal window
        (30 s: a refused token is renewed at most once per 30 s, counting the login), as if it
        had passed. Only while no serve runs: serve keeps the state in memory."""
        assert self.serve is None
        path = self.path / "data" / "state.json"
        state = json.loads(path.read_text())
        for connection in state["connections"].values():
            for entry in connection["history"]:
                entry["at"] -= RENEWAL_WINDOW_MS
        path.write_text(json.dumps(state))

    def ready(self, *names: str) -> None:
        """Logs the connections in (through the CLI) and lets the renewal window pass, so that a
        refused token can be renewed at once."""
        for name in names:
            self.cli("token", name)
        self.let_the_window_pass()

    # `tokentray serve`

    def start_serve(self) -> None:
        self.serve = subprocess.Popen(
            [str(CLI), "serve", "--port", "0"],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=open(self.path / "serve.log", "wb"),  # noqa: SIM115 - closed with it
        )
        line = read_line(self.serve, "tokentray serve")
        if not line.startswith("tokentray serve listening on "):
            self.stop_serve()
            log = (self.path / "serve.log").read_text()
            raise RuntimeError(f"tokentray serve did not start: {line!r}\n{log}")

    def stop_serve(self) -> None:
        proc, self.serve = self.serve, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("tokentray serve did not stop on SIGTERM") from None
        assert not (self.run / "endpoint.json").exists(), "serve left endpoint.json behind"


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    for binary in (CLI, SANDBOX):
        if not binary.is_file():
            build = "cargo build -p tokentray-cli -p tokentray-sandbox"
            pytest.fail(f"{binary} is missing: build it first ({build})")
    box = Sandbox(tmp_path_factory.mktemp("sandbox") / "sandbox.log")
    yield box
    box.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Home]:
    """A fresh home, which the module-level functions use too (TOKENTRAY_HOME, TOKENTRAY_CLI)."""
    h = Home(tmp_path / "home")
    monkeypatch.setenv("TOKENTRAY_HOME", str(h.path))
    monkeypatch.setenv("TOKENTRAY_CLI", str(CLI))
    monkeypatch.setattr(tokentray._client, "_default", None)
    yield h
    h.stop_serve()


@pytest.fixture
def served(home: Home) -> Home:
    """The home with `tokentray serve` running in it (stopped after the test)."""
    home.start_serve()
    return home


def secrets_in(text: str, secrets: List[str]) -> List[str]:
    return [s for s in secrets if s and s in text]
