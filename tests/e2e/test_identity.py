"""A login as another account is noticed: the connection was signed in as one ArcGIS user (by
the CLI), the person logs in again in the window as another; the window says so in a notice,
in the login dialog and in the list (until the person says OK), and the CLI shows it too.

The browser is opened through an owner-only page in the runtime directory, never with the
sign-in URL on a command line: the test browser is handed the page's file:// address."""

import json
import os
import stat
from pathlib import Path

import screens
from harness import BROWSER, require, until
from screens import tid


def add_portal(home, sandbox):
    home.cli(
        "add", "portal", "--kind", "arcgis-oauth", "--label", "Portal",
        "--portal-url", sandbox.portal, "--client-id", "tt-arcgis-app", "--redirect", "loopback",
    )  # fmt: skip


def test_a_login_as_another_account_is_announced_until_acknowledged(sandbox, home, launch):
    add_portal(home, sandbox)
    cli_log = home.path / "cli-browser.jsonl"
    # The first login, by the CLI, as Gerda Mercator; its "browser" is the same headless one.
    home.cli(
        "login", "portal",
        env={
            "TOKENTRAY_BROWSER": str(BROWSER),
            "E2E_BROWSER_LOG": str(cli_log),
            "E2E_LOGIN_USER": "gis-analyst",
            "E2E_LOGIN_PASSWORD": "contours",
        },
    )  # fmt: skip
    assert home.status("portal")["identity"]["subject"] == "gis-analyst"

    app = launch(home, E2E_LOGIN_USER="gis-viewer", E2E_LOGIN_PASSWORD="basemap")
    require(
        app,
        commands=["start_login", "acknowledge_identity"],
        testids=["identity-changed-", "login-identity-changed", "detail-identity-changed"],
    )
    assert not app.find(tid("identity-changed-portal"))
    screens.row_action(app, "portal", "login")
    until(
        "the login dialog to say the login is done",
        lambda: app.text(tid("login-status")).startswith("Logged in"),
    )
    status = app.text(tid("login-status"))
    assert "Abraham Ortelius" in status, status
    assert "another account than before (was Gerda Mercator)" in status, status
    until(
        "a notice naming both accounts",
        lambda: any(
            "Portal: now signed in as gis-viewer (Abraham Ortelius), was gis-analyst (Gerda Mercator)"
            in toast
            for toast in screens.toasts(app)
        ),
    )
    app.screenshot("identity-changed-dialog")
    screens.dismiss_toasts(app)
    screens.click(app, "login-close")
    app.gone(tid("login-dialog"), "the login dialog to close")

    changed = app.visible(tid("identity-changed-portal"), "the change in the list")
    assert "Now Abraham Ortelius, was Gerda Mercator" in changed.text, changed.text
    cli_list = home.cli("list").stdout
    assert "(changed, was gis-analyst (Gerda Mercator))" in cli_list, cli_list
    app.screenshot("identity-changed-list")
    screens.click(app, "open-portal")
    detail = app.visible(tid("detail-identity-changed"), "the change in the detail view")
    assert "Now Abraham Ortelius, was Gerda Mercator" in detail.text, detail.text
    screens.click(app, "detail-back")

    screens.click(app, "identity-ack-portal")
    app.gone(tid("identity-changed-portal"), "the change to be acknowledged")
    until("the CLI to show no change any more", lambda: "was" not in home.cli("list").stdout)

    # Both logins went through an owner-only page that is gone afterwards.
    runs = [*_runs(cli_log), *app.browser_runs()]
    assert len(runs) == 2, runs
    for run in runs:
        assert run["error"] is None, run
        assert run["page"].startswith("file://"), run
        assert "state=" not in run["page"] and "code_challenge" not in run["page"], run
        assert "code_challenge=" in run["url"], run
        assert run["page_mode"] == "0o600" and run["dir_mode"] == "0o700", run
        page = Path(run["page"].removeprefix("file://"))
        assert page.parent == home.path / "run", run
        assert not page.exists(), f"{page} is left behind"
    runtime = home.path / "run"
    assert stat.S_IMODE(os.stat(runtime).st_mode) == 0o700


def _runs(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
