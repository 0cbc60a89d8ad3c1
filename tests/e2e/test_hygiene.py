"""Hygiene of the window (issue 9, point 9): a copied token is marked as a secret for
clipboard managers, and the window never leaves the app's own pages."""

import subprocess

import screens
from harness import require, until

TOKEN = "tok-hygiene-5c1e"


def static_connection(home, name="key"):
    home.cli("add", name, "--kind", "static", env={"TOKENTRAY_TOKEN": TOKEN})
    assert home.token(name) == TOKEN


def clipboard_targets() -> list[str]:
    """The formats the clipboard's owner offers, as a clipboard manager sees them."""
    done = subprocess.run(
        ["xclip", "-selection", "clipboard", "-t", "TARGETS", "-o"],
        capture_output=True,
        text=True,
        timeout=5,
    )
    return done.stdout.split() if done.returncode == 0 else []


def test_a_copied_token_is_marked_as_a_secret_for_clipboard_managers(home, launch, clipboard):
    static_connection(home)
    app = launch(home)
    require(app, commands=["copy_token"])
    screens.wait_status(app, "key", "Active")
    screens.click(app, "copy-token-key")
    until("the clipboard to hold the token", lambda: clipboard().strip() == TOKEN)
    targets = clipboard_targets()
    assert "x-kde-passwordManagerHint" in targets, targets
    hint = subprocess.run(
        ["xclip", "-selection", "clipboard", "-t", "x-kde-passwordManagerHint", "-o"],
        capture_output=True,
        text=True,
        timeout=5,
    )
    assert hint.stdout.strip() == "secret", hint


def blocked(app) -> int:
    return app.log_text().count("blocked a navigation away from the app's own pages")


def still_home(app, start: str):
    """The app's own page is still the one shown: same address, not reloaded (the marker set
    on it is still there), the UI still rendered."""
    state = app.driver.execute_script(
        "return [window.location.href, window.__hygieneMarker === 'kept',"
        " document.getElementById('app') !== null"
        "   && document.getElementById('app').children.length > 0];"
    )
    assert state == [start, True, True], state


def test_the_window_never_leaves_the_apps_own_pages(home, launch):
    static_connection(home)
    app = launch(home)
    start = app.driver.execute_script("return window.location.href;")
    assert start.startswith(("tauri://localhost", "http://tauri.localhost")), start
    app.driver.execute_script("window.__hygieneMarker = 'kept';")

    # A script sets the address.
    app.driver.execute_script("window.location = 'https://example.com/';")
    until("the navigation to be refused", lambda: blocked(app) >= 1)
    still_home(app, start)

    # A link is clicked.
    app.driver.execute_script(
        "const a = document.createElement('a');"
        "a.href = 'https://example.com/elsewhere'; a.id = 'hygiene-link'; a.textContent = 'away';"
        "a.style = 'position:fixed;top:0;left:0;z-index:99999;padding:8px;background:#fff';"
        "document.body.prepend(a);"
    )
    app.driver.find_element("id", "hygiene-link").click()
    until("the link to be refused", lambda: blocked(app) >= 2)
    still_home(app, start)

    # The app still works: the list shows the connection.
    screens.wait_status(app, "key", "Active")
