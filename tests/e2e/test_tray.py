"""The tray, driven over D-Bus exactly as a panel drives it: the app's StatusNotifierItem and
its `com.canonical.dbusmenu` menu on the private session bus. The menu is read with
`GetLayout` and items are clicked with `Event(id, "clicked")`."""

import json
import socket
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException

import screens
from harness import HERE, until
from screens import tid
from tray import Tray, Watcher


def add_api(home, sandbox, name="api", label="Work API"):
    home.cli(
        "add", name, "--kind", "oauth2", "--label", label,
        "--issuer", sandbox.oauth, "--grant", "client_credentials", "--client-id", "demo-cc",
        env={"TOKENTRAY_CLIENT_SECRET": "demo-cc-secret"},
    )  # fmt: skip


@pytest.fixture
def tray_of():
    def find(app) -> Tray:
        (pid,) = until("one app process", lambda: app.pids())[:1]
        tray = Tray(pid)
        until("the app's StatusNotifierItem on the session bus", tray.find)
        return tray

    return find


def connection_menu(tray: Tray, label: str):
    return until(
        f"the tray menu to list {label!r} with its submenu",
        lambda: (entry := tray.menu().find(label)) and len(entry.children) >= 3 and entry,
    )


def test_the_menu_lists_each_connection_from_the_start(sandbox, home, launch, tray_of):
    add_api(home, sandbox)
    home.cli("add", "key", "--kind", "static", "--label", "Build bot key",
             env={"TOKENTRAY_TOKEN": "tok-tray-static-1"})  # fmt: skip
    app = launch(home)
    tray = tray_of(app)

    # The first menu the tray shows is complete: no timer tick needed.
    menu = until("the tray's menu", tray.menu)
    labels = menu.labels()
    assert any(label.startswith("Work API") for label in labels), labels
    assert any(label.startswith("Build bot key") for label in labels), labels
    for action in ("Refresh all", "Open Tokentray", "Quit"):
        assert action in labels, labels
    sub = menu.find("Work API")
    assert sub.labels() == ["Copy token", "Refresh", "Log in…"], sub.labels()
    assert tray.prop("Status") == "Active"

    # Added by another process while the app runs: the tray follows without a restart.
    add_api(home, sandbox, name="reports", label="Reports service")
    connection_menu(tray, "Reports service")
    # Renamed and removed elsewhere: the tray follows too.
    home.cli("edit", "reports", "--label", "Nightly reports")
    connection_menu(tray, "Nightly reports")
    assert tray.menu().find("Reports service") is None
    home.cli("remove", "reports")
    until("the tray to drop the removed connection", lambda: tray.menu().find("Nightly reports") is None)
    assert tray.menu().find("Work API"), "the others stay"


def test_copy_token_from_the_tray_and_it_is_cleared(home, launch, tray_of, clipboard):
    home.cli("add", "key", "--kind", "static", "--label", "Build bot key",
             env={"TOKENTRAY_TOKEN": "tok-tray-copy-7f1e"})  # fmt: skip
    settings = home.path / "config" / "desktop.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"clipboard_clear_secs": 3}))
    app = launch(home)
    tray = tray_of(app)

    sub = connection_menu(tray, "Build bot key")
    tray.click(sub.find("Copy token"))
    until("the clipboard to hold the token", lambda: clipboard().strip() == "tok-tray-copy-7f1e")
    until("the clipboard to be cleared", lambda: clipboard().strip() == "", timeout=15)


def test_refresh_and_refresh_all_from_the_tray_renew(sandbox, home, launch, tray_of):
    add_api(home, sandbox)
    first = home.token("api")
    app = launch(home)
    tray = tray_of(app)

    def grants():
        return sandbox.counters()["grants"].get("client_credentials", 0)

    sub = connection_menu(tray, "Work API")
    before = grants()
    tray.click(sub.find("Refresh"))
    until("the sandbox to count a renewal", lambda: grants() > before)
    second = until("a new token", lambda: (t := home.token("api")) != first and t)

    before = grants()
    tray.click(tray.menu().find("Refresh all"))
    until("the sandbox to count another renewal", lambda: grants() > before)
    until("another new token", lambda: home.token("api") not in (first, second))


def shown_windows() -> list[str]:
    """The ids of the app's visible windows (the X server of this run)."""
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", "^Tokentray$"],
        capture_output=True, text=True, timeout=5,
    )  # fmt: skip
    return found.stdout.split()


def endpoint_answers(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()
        return True
    except OSError:
        return False


def close_window(window: str) -> None:
    """Closes the window as a window manager's close button does."""
    subprocess.run([sys.executable, str(HERE / "close_window.py"), window], check=True, timeout=5)


def endpoint_url(home) -> str:
    found = home.path / "run" / "endpoint.json"
    return until("the endpoint to listen", lambda: found.exists() and json.loads(found.read_text())["url"])


def test_open_shows_a_hidden_window_and_quit_ends_the_app(home, launch, tray_of):
    with Watcher():  # a panel shows the tray: closing the window hides it
        app = launch(home)
        tray = tray_of(app)
        url = endpoint_url(home)
        assert endpoint_answers(url), url
        (window, *_) = until("the window to be shown", shown_windows)

        close_window(window)
        until("the window to be hidden", lambda: not shown_windows())
        assert app.pids(), "closing the window keeps the app running"
        assert app.driver.find_elements("css selector", tid("quit-dialog")) == [], "no question"
        tray.click(tray.menu().find("Open Tokentray"))
        until("the tray to show the window again", shown_windows)

        tray.click(tray.menu().find("Quit"))
        until("the app to exit", lambda: not app.pids())
        until("the endpoint to stop", lambda: not endpoint_answers(url))


def click_after_return(app, element) -> None:
    """Clicks `element` from the page once the driver's call has returned: for a click after
    which the page no longer renders (the window is hidden), where a WebDriver click would
    wait for it."""
    app.driver.execute_script("const b = arguments[0]; setTimeout(() => b.click(), 0);", element)


def test_without_a_tray_closing_the_window_asks_whether_to_quit(home, launch):
    # This run's session bus has no StatusNotifier watcher: a hidden window could not come back
    # from a tray, so closing it asks.
    app = launch(home)
    url = endpoint_url(home)
    (window, *_) = until("the window to be shown", shown_windows)

    close_window(window)
    dialog = app.visible(tid("quit-dialog"), "the question whether to quit")
    assert "no tray" in dialog.text, dialog.text
    screens.click(app, "quit-cancel")
    until("the question to go", lambda: not app.driver.find_elements("css selector", tid("quit-dialog")))
    assert shown_windows() == [window], "Cancel keeps the window"

    close_window(window)
    keep = app.visible(tid("quit-keep-running"), "the question, again")
    click_after_return(app, keep)  # a WebDriver click would wait for a hidden page to render
    until("the window to be hidden", lambda: not shown_windows())
    assert app.pids() and endpoint_answers(url), "kept running: renewal and the endpoint go on"

    # The way back without a tray: launching Tokentray again shows the running one's window.
    second = app.launch_again()
    assert second.returncode == 0, second.stderr
    until("the window to be shown again", shown_windows)
    close_window(window)
    quit_button = app.visible(tid("quit-confirm"), "the question, a third time")
    try:
        quit_button.click()
    except WebDriverException:
        pass  # the app ends with the click, and may take the driver's reply with it
    until("the app to exit", lambda: not app.pids())
    until("the endpoint to stop", lambda: not endpoint_answers(url))


def test_log_in_from_the_tray_opens_the_login(sandbox, home, launch, tray_of):
    home.cli(
        "add", "portal", "--kind", "arcgis-oauth", "--label", "Portal",
        "--portal-url", sandbox.portal, "--client-id", "tt-arcgis-app", "--redirect", "deep-link",
    )  # fmt: skip
    app = launch(home)
    tray = tray_of(app)
    sub = connection_menu(tray, "Portal")
    assert app.driver.find_elements("css selector", tid("login-dialog")) == []
    tray.click(sub.find("Log in…"))
    app.visible(tid("login-dialog"), "the login dialog, opened from the tray")


def test_the_icon_asks_for_attention_while_a_login_is_needed(sandbox, home, launch, tray_of):
    add_api(home, sandbox)
    assert home.token("api")
    app = launch(home)
    tray = tray_of(app)
    sub = connection_menu(tray, "Work API")
    assert sub.label == "Work API", sub.label
    assert tray.prop("Status") == "Active"
    assert tray.tooltip() == "Tokentray 1 connection(s) kept fresh", tray.tooltip()
    normal = until("the tray's icon", tray.icon)

    # The provider rejects the client: only a person can fix that.
    sandbox.admin("fault", {
        "endpoint": "token", "times": 1,
        "fault": {"oauth_error": {"status": 401, "error": "invalid_client",
                                  "description": "client authentication failed"}},
    })  # fmt: skip
    tray.click(sub.find("Refresh"))
    until("the menu to mark the connection", lambda: tray.menu().find("Work API (log in needed)"))
    until("the item's status to ask for attention", lambda: tray.prop("Status") == "NeedsAttention")
    assert tray.tooltip() == "Tokentray Log in needed for Work API", tray.tooltip()
    attention = tray.icon()
    assert attention and attention != normal, "the icon carries the mark"
    assert b"".join(bytes(d) for _w, _h, d in tray.prop("AttentionIconPixmap")) == attention

    # Fixed (the fault was for one call): the next refresh brings the normal state back.
    tray.click(tray.menu().find("Work API").find("Refresh"))
    until("the mark to go", lambda: tray.menu().find("Work API").label == "Work API")
    until("the status to be active again", lambda: tray.prop("Status") == "Active")
    assert tray.icon() == normal
    assert tray.tooltip() == "Tokentray 1 connection(s) kept fresh", tray.tooltip()


def test_without_a_tray_host_the_settings_say_so(home, launch):
    # This run's session bus has no StatusNotifier watcher: no panel shows tray icons.
    app = launch(home)
    screens.click(app, "open-settings")
    app.visible(tid("settings-dialog"), "the settings")
    note = app.visible(tid("settings-no-tray"), "the note that no tray is available")
    assert "No tray is available" in note.text, note.text


def test_with_a_tray_host_the_item_registers_and_the_settings_say_nothing(home, launch, tray_of):
    with Watcher() as watcher:
        app = launch(home)
        tray = tray_of(app)
        until("the item to register with the watcher", lambda: watcher.items)
        assert tray.menu().find("Quit")
        screens.click(app, "open-settings")
        app.visible(tid("settings-dialog"), "the settings")
        assert app.driver.find_elements("css selector", tid("settings-no-tray")) == []
