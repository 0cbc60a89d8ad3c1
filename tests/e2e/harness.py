"""What the desktop end-to-end tests stand on: the built binaries, the sandbox providers as a
separate process, a throw-away TOKENTRAY_HOME with the CLI and the keychain items it owns, and
the app itself driven through tauri-driver and WebKitWebDriver.

Every wait polls with a deadline (WebDriverWait); nothing sleeps a fixed time. Run through
tests/e2e/run.sh, which provides the virtual display and the private D-Bus session with an
unlocked keyring.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import WebDriverWait

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"
# How long any one wait may take: generous for a loaded 2-core machine, short enough that a
# broken step fails the run in seconds rather than minutes.
TIMEOUT = float(os.environ.get("E2E_TIMEOUT", "20"))
POLL = 0.1


def _bin_dir() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR") or "target")
    if not target.is_absolute():
        target = ROOT / target
    return target / "debug"


BIN = _bin_dir()
APP = BIN / "tokentray-desktop"
CLI = BIN / "tokentray"
SANDBOX = BIN / "tokentray-sandbox"
BROWSER = HERE / "headless_browser.py"
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS") or ROOT / "artifacts" / "screenshots")
FAILURES = Path(os.environ.get("E2E_FAILURES") or ROOT / "artifacts" / "e2e")


def until(what: str, condition, timeout: float = TIMEOUT):
    """Polls `condition()` until it returns something truthy, and returns that; fails the
    test with `what` after `timeout` seconds."""
    return WebDriverWait(
        None, timeout, poll_frequency=POLL, ignored_exceptions=(StaleElementReferenceException,)
    ).until(
        lambda _: condition(), message=f"timed out after {timeout:.0f}s waiting for {what}"
    )


def pending(reason: str):
    """A step the product does not offer yet: an expected failure while developing, a failure
    in CI (CI=true), so that nothing is ever skipped silently there."""
    if IN_CI:
        pytest.fail(f"not implemented yet: {reason}")
    pytest.xfail(reason)


def known_bug(reason: str):
    """Marks a test that finds a bug someone is fixing: an expected failure while developing
    (strict: once it passes, the mark must go), a failure in CI (CI=true)."""
    return pytest.mark.xfail(not IN_CI, reason=reason, strict=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, what: str):
    def up():
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            return False

    until(f"{what} to listen on port {port}", up)


# ---------------------------------------------------------------------------------------------
# The sandbox providers


class Sandbox:
    """`tokentray-sandbox` on an ephemeral loopback port; it stops when its stdin closes."""

    def __init__(self, log: Path):
        self.log = log
        self.proc = subprocess.Popen(
            [str(SANDBOX)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(log, "wb"),  # noqa: SIM115 - closed with the process
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        line = self.proc.stdout.readline().decode() if ready else ""
        match = re.match(r"tokentray-sandbox listening on (http://127\.0\.0\.1:\d+/)", line)
        if not match:
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {line!r} {log.read_text()}")
        self.url = match.group(1)

    @property
    def oauth(self) -> str:
        """The generic OAuth 2.0 issuer."""
        return self.url + "oauth"

    @property
    def portal(self) -> str:
        """The ArcGIS portal URL."""
        return self.url + "arcgis"

    def admin(self, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + "_admin/" + path,
            data=data,
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=5) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def counters(self) -> dict:
        return self.admin("counters")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class OidcProvider:
    """The real OpenID provider of tests/servers/oidc-provider (panva/oidc-provider) on an
    ephemeral loopback port: authorization code with login and consent pages, user alice /
    wonderland, public client tt-public."""

    DIR = ROOT / "tests" / "servers" / "oidc-provider"

    def __init__(self, log: Path):
        self.proc = subprocess.Popen(
            ["node", "server.mjs"],
            cwd=self.DIR,
            env=dict(os.environ, OP_PORT="0"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=open(log, "wb"),  # noqa: SIM115 - closed with the process
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        line = self.proc.stdout.readline().decode() if ready else ""
        match = re.match(r"oidc-provider listening on (http://127\.0\.0\.1:\d+)", line)
        if not match:
            self.stop()
            raise RuntimeError(f"oidc-provider did not start: {line!r} {log.read_text()}")
        self.issuer = match.group(1)

    @classmethod
    def installed(cls) -> bool:
        return (cls.DIR / "node_modules" / "oidc-provider").is_dir()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------------------------------------
# A throw-away home, the CLI in it, and its keychain items


class Home:
    """A fresh TOKENTRAY_HOME: config, data and runtime files under one directory, keychain
    items under the service `tokentray.<namespace>` (see crates/engine/src/paths.rs)."""

    def __init__(self, path: Path):
        self.path = path.resolve()
        self.path.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(str(self.path).encode()).digest()
        self.service = "tokentray." + digest[:6].hex()

    def env(self, extra: dict | None = None) -> dict:
        env = dict(os.environ, TOKENTRAY_HOME=str(self.path), NO_COLOR="1")
        env.pop("TOKENTRAY_LOG", None)
        env.update(extra or {})
        return env

    def cli(self, *args: str, env: dict | None = None, check: bool = True, timeout=30):
        """Runs `tokentray ARGS` in this home; fails the test on a non-zero exit when `check`."""
        done = subprocess.run(
            [str(CLI), *args],
            env=self.env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"tokentray {' '.join(args)} exited with {done.returncode}:\n"
                f"{done.stdout}{done.stderr}"
            )
        return done

    def token(self, name: str) -> str:
        return self.cli("token", name).stdout.strip()

    def status(self, name: str) -> dict:
        """The connection as `tokentray list --json` shows it."""
        listed = json.loads(self.cli("list", "--json").stdout)
        rows = listed if isinstance(listed, list) else listed.get("connections", [])
        for row in rows:
            if row.get("name") == name:
                return row
        raise AssertionError(f"no connection {name} in {listed}")

    def keychain_users(self) -> list[str]:
        """The `username` attribute (a connection's name, or `_export-key`) of every Secret
        Service item this home owns. (secret-tool prints the attributes on stderr, one
        `attribute.username` line per item.)"""
        done = subprocess.run(
            ["secret-tool", "search", "--all", "--unlock", "service", self.service],
            capture_output=True,
            text=True,
            timeout=15,
        )
        prefix = "attribute.username = "
        return [
            line[len(prefix) :]
            for line in (done.stdout + done.stderr).splitlines()
            if line.startswith(prefix)
        ]

    def has_keychain_item(self, name: str) -> bool:
        """Whether the keychain holds the item of connection `name` (its value is not read
        into the test's output)."""
        done = subprocess.run(
            ["secret-tool", "lookup", "service", self.service, "username", name],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=15,
        )
        return done.returncode == 0 and bool(done.stdout.strip())


# ---------------------------------------------------------------------------------------------
# The app, driven through tauri-driver


SINGLE_INSTANCE_NAME = "dev.tokentray.app.SingleInstance"


def single_instance_owned() -> bool:
    """Whether an app holds the single-instance name on this test session's D-Bus."""
    answer = subprocess.run(
        [
            "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
            f"string:{SINGLE_INSTANCE_NAME}",
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return "boolean true" in answer.stdout


def capture_window(path: Path) -> None:
    """The app's window as the X server shows it, taken with ImageMagick's `import`. (Not
    WebKitWebDriver's screenshot: it waits for a GPU-composited frame, and the app draws without
    GPU compositing, see src-tauri/src/window.rs.)"""
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", "^Tokentray$"],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    windows = found.stdout.split()
    if not windows:
        raise AssertionError("no visible Tokentray window to capture")
    subprocess.run(["import", "-window", windows[0], str(path)], check=True, timeout=20)


class App:
    """One run of the desktop app with its own tauri-driver, in `home`.

    The app's stderr (TOKENTRAY_LOG) goes to `<home>/app.log`, through tauri-driver and
    WebKitWebDriver, which pass their output on. Login URLs go to headless_browser.py, which
    appends what it did to `<home>/browser.jsonl`.
    """

    def __init__(self, home: Home, env: dict | None = None):
        self.home = home
        self.log = home.path / "app.log"
        self.browser_log = home.path / "browser.jsonl"
        self.port, self.native_port = free_port(), free_port()
        self.env = home.env(
            {
                "TOKENTRAY_BROWSER": str(BROWSER),
                "E2E_BROWSER_LOG": str(self.browser_log),
                "TOKENTRAY_LOG": "warn,tokentray_engine=info,tokentray_desktop=info",
                "NO_AT_BRIDGE": "1",
                "GTK_THEME": "Adwaita",
                **(env or {}),
            }
        )
        self.driver_proc = None
        self.driver = None

    def start(self):
        started = time.monotonic()
        self.driver_proc = subprocess.Popen(
            [
                "tauri-driver",
                "--port",
                str(self.port),
                "--native-port",
                str(self.native_port),
            ],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=open(self.log, "ab"),  # noqa: SIM115 - closed with the process
            stderr=subprocess.STDOUT,
        )
        # tauri-driver listens at once but starts WebKitWebDriver beside it: wait for both.
        wait_port(self.port, self.driver_proc, "tauri-driver")
        wait_port(self.native_port, self.driver_proc, "WebKitWebDriver")
        options = ArgOptions()
        options.set_capability("tauri:options", {"application": str(self._launcher())})
        url = f"http://127.0.0.1:{self.port}"
        # A bounded wait for every driver call: an app that dies at launch leaves
        # WebKitWebDriver waiting for a window forever, and the test must fail instead.
        config = ClientConfig(remote_server_addr=url, timeout=int(TIMEOUT * 3))
        self.driver = webdriver.Remote(url, options=options, client_config=config)
        until(
            "the UI to render",
            lambda: self.driver.execute_script(
                "const app = document.getElementById('app');"
                "return app !== null && app.children.length > 0 && document.readyState === 'complete';"
            ),
        )
        self.startup_s = time.monotonic() - started
        return self

    def _launcher(self) -> Path:
        """A script that execs the app with its stderr in app.log (WebKitWebDriver drops the
        output of the browser it starts)."""
        launcher = self.home.path / "launch-app.sh"
        launcher.write_text(
            "#!/bin/sh\n"
            f"exec '{APP}' \"$@\" >>'{self.log}' 2>&1\n"
        )
        launcher.chmod(0o755)
        return launcher

    # -- processes

    def pids(self) -> list[int]:
        """The app processes (this binary) running in this home."""
        marker = f"TOKENTRAY_HOME={self.home.path}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.readlink(entry / "exe") != str(APP):
                    continue
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
        return found

    def launch_again(self, *args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
        """Runs the app binary a second time, in the same home and D-Bus session, and waits for
        it to hand over to the running one and exit."""
        return subprocess.run(
            [str(APP), *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def browser_runs(self) -> list[dict]:
        try:
            lines = self.browser_log.read_text().splitlines()
        except OSError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    def stop(self):
        if self.driver is not None:
            try:
                self.driver.quit()
            except WebDriverException:
                pass
            self.driver = None
        if self.driver_proc is not None and self.driver_proc.poll() is None:
            self.driver_proc.send_signal(signal.SIGTERM)
            try:
                self.driver_proc.wait(5)
            except subprocess.TimeoutExpired:
                self.driver_proc.kill()
                self.driver_proc.wait()
        # Closing the window only hides it (the app keeps refreshing), and the next test's app
        # would hand over to a leftover one (single instance): end this one, by its pid.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in self.pids():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            try:
                until("the app to exit", lambda: not self.pids(), timeout=5)
            except Exception:  # noqa: BLE001 - then the stronger signal
                continue
            # The bus drops a dead app's single-instance name a moment later; a next app
            # started before that would try to hand over to it, and fail.
            until("the single-instance name to be free", lambda: not single_instance_owned())
            return
        raise AssertionError(f"the app did not exit: {self.pids()}")

    # -- the page

    def wait(self, timeout: float = TIMEOUT) -> WebDriverWait:
        return WebDriverWait(self.driver, timeout, poll_frequency=POLL)

    def find(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def visible(self, css: str, what: str | None = None, timeout: float = TIMEOUT):
        """Waits for the first displayed element matching `css` and returns it."""

        def shown():
            for element in self.find(css):
                try:
                    if element.is_displayed():
                        return element
                except WebDriverException:
                    continue
            return None

        return until(what or f"{css} to show", shown, timeout)

    def gone(self, css: str, what: str | None = None, timeout: float = TIMEOUT):
        def hidden():
            try:
                return not any(e.is_displayed() for e in self.find(css))
            except WebDriverException:
                return False

        until(what or f"{css} to go away", hidden, timeout)

    def text(self, css: str) -> str:
        """The text of the first displayed element matching `css`, read again if the element
        was re-rendered meanwhile."""
        return until(f"{css} to show", lambda: (self.visible(css).text, True))[0]

    def screenshot(self, name: str):
        SHOTS.mkdir(parents=True, exist_ok=True)
        capture_window(SHOTS / f"{name}.png")

    def invoke(self, command: str, args: dict | None = None, timeout: float = TIMEOUT):
        """Calls a backend command from the page, as the UI does; returns {"ok": value} or
        {"error": what it rejected with}."""
        self.driver.set_script_timeout(timeout)
        return self.driver.execute_async_script(
            "const [command, args, done] = arguments;"
            "window.__TAURI_INTERNALS__.invoke(command, args).then("
            "  (value) => done({ok: value === undefined ? null : value}),"
            "  (error) => done({error: typeof error === 'string' ? error : JSON.stringify(error)}));",
            command,
            args or {},
        )

    def has_command(self, command: str) -> bool:
        """Whether the backend registers `command`. Probed with no arguments, so only ask about
        commands that take some (they then fail on the missing argument and do nothing)."""
        answer = self.invoke(command, {"__probe": True})
        return not ("error" in answer and "not found" in answer["error"])


def ui_source() -> str:
    """The UI's source text, to tell which data-testid hooks exist yet."""
    parts = []
    for path in sorted((ROOT / "ui" / "src").rglob("*.tsx")):
        if ".test." not in path.name:
            parts.append(path.read_text(errors="replace"))
    return "\n".join(parts)


def require(app: App | None = None, commands=(), testids=(), why: str = ""):
    """Marks the test pending (see `pending`) while a backend command or a UI hook it needs
    is missing, naming exactly which."""
    missing = []
    if commands:
        absent = [c for c in commands if not app.has_command(c)]
        if absent:
            missing.append("backend command(s) " + ", ".join(absent))
    if testids:
        source = ui_source()
        absent = [t for t in testids if f'"{t}' not in source and f"`{t}" not in source]
        if absent:
            missing.append("UI data-testid(s) " + ", ".join(absent))
    if missing:
        pending(f"waits on {' and '.join(missing)}" + (f": {why}" if why else ""))


def eprint(*args):
    print(*args, file=sys.stderr)
