"""Deep links and the single instance: a second launch with a `tokentray://` URL hands it to the
running app over D-Bus and exits; the running app completes only the pending login whose
`state` matches, and ignores anything else."""

import urllib.parse

import screens
from harness import TIMEOUT, require, until


def test_a_second_launch_hands_over_and_exits(home, launch):
    app = launch(home)
    first = app.pids()
    assert len(first) == 1, f"one app process: {first}"

    second = app.launch_again("tokentray://oauth/callback?code=nothing&state=nobody")
    assert second.returncode == 0, second.stderr
    assert app.pids() == first, "the second launch exited and the first one is still running"
    # The first instance still answers, and kept its page.
    app.visible(screens.EMPTY, "the first instance's page")


def add_deep_link_portal(home, sandbox, name="portal"):
    home.cli(
        "add", name, "--kind", "arcgis-oauth", "--label", "Portal (deep link)",
        "--portal-url", sandbox.portal, "--client-id", "tt-arcgis-app", "--redirect", "deep-link",
    )  # fmt: skip


def test_a_deep_link_completes_the_pending_login_and_a_wrong_state_is_ignored(
    sandbox, home, launch
):
    add_deep_link_portal(home, sandbox)
    app = launch(home)
    screens.row(app, "portal")
    require(
        app,
        commands=["start_login"],
        testids=["login-dialog"],
        why="a login started in the app, waiting for its tokentray:// callback",
    )

    screens.click(app, "row-login-portal")
    app.visible(screens.tid("login-dialog"), "the login dialog")
    # TOKENTRAY_BROWSER signed in; it cannot open tokentray:// and recorded where it landed.
    run = until("the headless browser to sign in", lambda: app.browser_runs() and app.browser_runs()[-1])
    assert run["error"] is None, run
    landed = run["landed"]
    assert landed.startswith("tokentray://oauth/callback?"), run
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(landed).query))
    assert query.get("state") and query.get("code"), landed
    assert "Waiting" in app.text(screens.tid("login-status"))

    # A callback with another state is ignored: the login keeps waiting.
    wrong = landed.replace("state=" + urllib.parse.quote(query["state"], safe=""), "state=forged")
    assert wrong != landed
    assert app.launch_again(wrong).returncode == 0
    until(
        "the app to log that it ignored the forged callback",
        lambda: "ignored a login callback that matches no waiting login" in app.log_text(),
    )
    assert home.status("portal")["status"] != "active", "a forged state must not log in"
    assert "Waiting" in app.text(screens.tid("login-status")), "the dialog still waits"

    # The real callback, through a second launch, completes the login in the first instance.
    assert app.launch_again(landed).returncode == 0
    until("the login to complete", lambda: home.status("portal")["status"] == "active")
    until("the dialog to say so", lambda: "Logged in" in app.text(screens.tid("login-status")))
    screens.click(app, "login-close")
    screens.wait_status(app, "portal", "Active")
    assert home.token("portal")
    assert home.status("portal")["identity"], "whoami ran after the login"
    assert len(app.pids()) == 1, "still one app"


def test_a_deep_link_with_no_pending_login_changes_nothing(sandbox, home, launch):
    add_deep_link_portal(home, sandbox)
    app = launch(home)
    screens.row(app, "portal")
    assert app.launch_again("tokentray://oauth/callback?code=abc&state=def").returncode == 0
    require(app, commands=["start_login"], why="the app routes tokentray:// links to its logins")
    until(
        "the app to log that it ignored the callback",
        lambda: "ignored a login callback that matches no waiting login" in app.log_text(),
        timeout=TIMEOUT,
    )
    assert home.status("portal")["status"] != "active"
