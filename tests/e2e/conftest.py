"""Fixtures of the desktop end-to-end suite: one sandbox per session, a fresh TOKENTRAY_HOME and
app per test, and, when a test fails, its screenshot and logs under artifacts/e2e/."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from harness import (
    APP,
    CLI,
    FAILURES,
    IN_CI,
    SANDBOX,
    App,
    Home,
    OidcProvider,
    Sandbox,
    capture_window,
)


def pytest_sessionstart(session):
    problems = [f"{p} is not built" for p in (APP, CLI, SANDBOX) if not p.is_file()]
    if not os.environ.get("DISPLAY"):
        problems.append("DISPLAY is not set (run through tests/e2e/run.sh)")
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        problems.append("no D-Bus session (run through tests/e2e/run.sh)")
    for tool in ("tauri-driver", "WebKitWebDriver", "xclip", "secret-tool"):
        if shutil.which(tool) is None:
            problems.append(f"{tool} is not installed (tests/scripts/setup.sh --test)")
    if problems:
        raise pytest.UsageError("cannot run the E2E suite:\n  " + "\n  ".join(problems))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# Seconds from starting tauri-driver to a rendered page, per launch (reported at the end).
STARTUPS: list[float] = []


def pytest_terminal_summary(terminalreporter):
    if STARTUPS:
        times = sorted(STARTUPS)
        terminalreporter.write_line(
            f"E2E: driver start to rendered UI over {len(times)} launches: "
            f"min {times[0]:.2f}s, median {times[len(times) // 2]:.2f}s, max {times[-1]:.2f}s"
        )


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    box = Sandbox(tmp_path_factory.mktemp("sandbox") / "sandbox.log")
    yield box
    box.stop()


@pytest.fixture(scope="session")
def oidc(tmp_path_factory):
    """A real OpenID provider (needs `npm ci` in tests/servers/oidc-provider, which
    tests/scripts/setup.sh --test runs)."""
    if not OidcProvider.installed():
        message = "oidc-provider is not installed: run tests/scripts/setup.sh --test"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    provider = OidcProvider(tmp_path_factory.mktemp("oidc") / "oidc.log")
    yield provider
    provider.stop()


@pytest.fixture
def home(tmp_path):
    return Home(tmp_path / "home")


@pytest.fixture
def launch(request):
    """`launch(home, **env)` starts the app in `home` and returns the driven `App`; every app
    started is stopped after the test, and a failing test leaves what it saw behind."""
    apps: list[App] = []

    def start(home: Home, **env) -> App:
        app = App(home, env)
        apps.append(app)
        app.start()
        STARTUPS.append(app.startup_s)
        return app

    yield start

    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed and not hasattr(report, "wasxfail")
    for index, app in enumerate(apps):
        if failed:
            keep(request.node.name, index, app)
        app.stop()


def keep(test: str, index: int, app: App):
    out = FAILURES / f"{test}-{index}"
    out.mkdir(parents=True, exist_ok=True)
    if app.driver is not None:
        try:
            (out / "page.html").write_text(app.driver.page_source)
            capture_window(out / "window.png")
        except Exception as error:  # noqa: BLE001 - best effort, the failure is reported anyway
            (out / "page.html").write_text(f"could not read the page: {error}")
    for name in ("app.log", "browser.jsonl"):
        source = app.home.path / name
        if source.exists():
            shutil.copy(source, out / name)
    print(f"\nE2E: the failing test's window, page and logs are in {out}")
    print("---- app.log (tail) ----\n" + "\n".join(app.log_text().splitlines()[-40:]))


@pytest.fixture
def clipboard():
    """Reads the X clipboard (CLIPBOARD selection) as another program would."""

    def read() -> str:
        done = subprocess.run(
            ["xclip", "-o", "-selection", "clipboard"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return done.stdout if done.returncode == 0 else ""

    return read


def pytest_report_header(config):
    return f"E2E: app {APP}, CI={'yes' if IN_CI else 'no'} (pending steps {'fail' if IN_CI else 'xfail'})"
