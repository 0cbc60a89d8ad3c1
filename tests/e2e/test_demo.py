""""Try the sandbox" from the empty state: the app starts its own demo providers and adds one
connection per kind of login, the unattended ones already active; a newcomer logs in to the
others from the window (a browser login, and a password login with a one-time code)."""

import screens
from harness import require, until
from screens import tid
from test_flows import logged_in


def test_try_the_sandbox_then_log_in_to_every_demo_connection(home, launch):
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
