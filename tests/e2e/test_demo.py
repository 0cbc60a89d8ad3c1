""""Try the sandbox" from the empty state: the app starts its own demo providers and adds one
connection per kind of login, the unattended ones already active; a newcomer logs in to the
others from the window (a browser login, and a password login with a one-time code), copies
tokens from the rows and removes connections again."""

import os
import signal
import socket
from pathlib import Path

import pytest
import screens
from harness import SANDBOX, require, until
from screens import tid
from test_flows import logged_in


def test_try_the_sandbox_then_log_in_to_every_demo_connection(home, launch, clipboard):
    app = launch(home)
    require(app, commands=["start_login"], testids=["empty-demo", "login-totp"])
    screens.click(app, "empty-demo")
    until(
        "the demo connections",
        lambda: {"demo-api", "demo-itk", "demo-arcgis", "demo-copernicus"} <= set(screens.rows(app)),
    )
    screens.wait_status(app, "demo-api", "Active")
    screens.wait_status(app, "demo-itk", "Active")
    assert home.status("demo-itk")["identity"], "whoami of the ITk demo"

    # The ArcGIS demo: a browser login (the headless browser types gis-analyst / contours).
    screens.click(app, "row-login-demo-arcgis")
    assert "Gerda Mercator" in logged_in(app)
    screens.wait_status(app, "demo-arcgis", "Active")

    # The Copernicus demo: the password is stored, the one-time code is asked at login.
    screens.click(app, "row-login-demo-copernicus")
    app.visible(tid("login-totp"), "the one-time code prompt").send_keys("424242")
    screens.click(app, "login-start")
    status = logged_in(app)
    assert "Grace" in status or "grace" in status, status
    screens.wait_status(app, "demo-copernicus", "Active")
    for name in ("demo-api", "demo-itk", "demo-arcgis", "demo-copernicus"):
        assert home.token(name), name

    # Copy from the rows, as a newcomer would: each is the token `tokentray token` hands out.
    screens.dismiss_toasts(app)
    for name in ("demo-itk", "demo-copernicus"):
        screens.click(app, f"copy-token-{name}")
        until(f"the clipboard to hold {name}'s token", lambda: clipboard().strip() == home.token(name))

    # And remove them again: nothing stays behind in the keychain.
    for name in ("demo-itk", "demo-copernicus"):
        screens.dismiss_toasts(app)  # "Copied…" and "Removed…" cover the lowest rows
        screens.row_action(app, name, "remove")
        app.visible(tid("remove-dialog"), "the confirmation")
        screens.click(app, "confirm-remove")
        until(f"{name} to leave the list", lambda: name not in screens.rows(app))
        until(f"no keychain item of {name}", lambda: not home.has_keychain_item(name))


DEMO_PORT = 47211


def sidecars(app_pid: int) -> list[int]:
    """The app's `tokentray-sandbox` children (the demo providers' sidecar)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == app_pid and os.readlink(entry / "exe") == str(SANDBOX):
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start_demo(app) -> int:
    """Clicks "Try the sandbox" and returns the sidecar's pid once the demo connections show."""
    require(app, testids=["empty-demo"])
    screens.click(app, "empty-demo")
    until("the demo connections", lambda: {"demo-api", "demo-itk"} <= set(screens.rows(app)))
    (app_pid,) = app.pids()
    (sidecar,) = until("the sandbox sidecar, a child of the app", lambda: sidecars(app_pid))
    return sidecar


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["terminated", "killed"])
def test_the_sandbox_sidecar_ends_with_the_app(home, launch, how):
    app = launch(home)
    sidecar = start_demo(app)
    screens.wait_status(app, "demo-api", "Active")
    (app_pid,) = app.pids()
    os.kill(app_pid, how)
    until("the app to exit", lambda: not app.pids())
    until(f"the sidecar {sidecar} to exit with the app", lambda: not alive(sidecar))
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", DEMO_PORT)) != 0, "nothing listens on the demo port"


def test_the_demo_starts_its_sidecar_again_with_the_app(home, launch):
    app = launch(home)
    first = start_demo(app)
    app.stop()
    until(f"the first sidecar {first} to exit", lambda: not alive(first))

    again = launch(home)
    screens.row(again, "demo-api")
    (app_pid,) = again.pids()
    (second,) = until("the sidecar to start again with the app", lambda: sidecars(app_pid))
    assert second != first
    screens.wait_status(again, "demo-api", "Active")


def test_a_sandbox_that_cannot_start_is_a_plain_message(home, launch):
    app = launch(home)
    require(app, testids=["empty-demo"])
    with socket.socket() as squatter:
        # Another program holds the port (SO_REUSEADDR: connections of an earlier test may
        # linger in TIME_WAIT; a listener still there would be refused all the same).
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", DEMO_PORT))
        squatter.listen()
        screens.click(app, "empty-demo")
        message = until(
            "a message saying why the sandbox did not start",
            lambda: [t for t in screens.toasts(app) if "Could not start the sandbox" in t],
        )[0]
    assert f"port {DEMO_PORT}" in message and "close whatever uses that port" in message, message
    assert not screens.rows(app), "no demo connections without their providers"
    (app_pid,) = app.pids()
    assert not sidecars(app_pid), "no sidecar left running"
