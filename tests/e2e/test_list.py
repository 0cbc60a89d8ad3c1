"""The connection list: connections set up through the CLI against the sandbox show with live
countdowns, connections added while the app runs appear on their own, and an empty home shows
the empty state."""

import re
from datetime import datetime, timedelta, timezone

import screens
from harness import until


def seed(home, sandbox):
    """Three connections of different kinds, each holding a real token from the sandbox."""
    home.cli(
        "add", "api", "--kind", "oauth2", "--label", "Work API",
        "--issuer", sandbox.oauth, "--grant", "client_credentials", "--client-id", "demo-cc",
        env={"TOKENTRAY_CLIENT_SECRET": "demo-cc-secret"},
    )  # fmt: skip
    home.cli(
        "add", "gis", "--kind", "arcgis-token", "--label", "GIS portal",
        "--portal-url", sandbox.portal, "--username", "gis-analyst",
        env={"TOKENTRAY_PASSWORD": "contours"},
    )  # fmt: skip
    expires = (datetime.now(timezone.utc) + timedelta(days=2, hours=3)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    home.cli(
        "add", "key", "--kind", "static", "--label", "Build bot key", "--expires-at", expires,
        env={"TOKENTRAY_TOKEN": "static-e2e-token"},
    )  # fmt: skip
    for name in ("api", "gis", "key"):
        assert home.token(name), f"{name} has a token"


def test_connections_from_the_cli_show_with_a_ticking_countdown(sandbox, home, launch):
    seed(home, sandbox)
    app = launch(home)

    until(
        "the three connections to show",
        lambda: {"api", "gis", "key"} <= set(screens.rows(app)),
    )
    assert {"Work API", "GIS portal", "Build bot key"} <= screens.labels(app)
    first = screens.countdown(app, "api")
    # Seconds round up, so within the token's first second it still reads "1h 00m".
    assert re.fullmatch(r"\d+m \d\ds|1h 00m", first), f"an hour-long token counts down: {first!r}"
    changed = until(
        "the countdown to move",
        lambda: (now := screens.countdown(app, "api")) != first and now,
        timeout=5,
    )
    assert re.fullmatch(r"\d+m \d\ds", changed), changed
    assert re.fullmatch(r"2d 0[23]h", screens.countdown(app, "key"))
    assert screens.status(app, "api") == "Active"
    assert screens.status(app, "gis") == "Active"

    # Added by another process while the app runs: it shows without a reload.
    home.cli(
        "add", "cc-post", "--kind", "oauth2", "--label", "Reports service",
        "--issuer", sandbox.oauth, "--grant", "client_credentials", "--client-id", "demo-post",
        "--client-auth", "post", env={"TOKENTRAY_CLIENT_SECRET": "demo-post-secret"},
    )  # fmt: skip
    screens.row(app, "cc-post")
    home.token("cc-post")
    until(
        "the new connection's countdown",
        lambda: re.fullmatch(r"\d+m \d\ds", screens.countdown(app, "cc-post")),
    )
    app.screenshot("main")


def test_an_empty_home_shows_the_empty_state(home, launch):
    app = launch(home)
    empty = app.visible(screens.EMPTY, "the empty state")
    assert "No connections yet" in empty.text
    assert not screens.rows(app), "no rows without connections"
    app.screenshot("empty")
