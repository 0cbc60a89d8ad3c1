""""Try the sandbox" from the empty state: the app starts its own demo providers and adds one
connection per kind of login, the unattended ones already active; a newcomer logs in to the
others from the window (a browser login, and a password login with a one-time code), copies
tokens from the rows and removes connections again."""

import screens
from harness import require, until
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
