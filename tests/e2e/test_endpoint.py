"""The app's export endpoint when another program holds the default port: the settings show
the address the endpoint really listens on and say that the default was taken; the CLI reaches
the running app over its socket, and nothing reaches the program on the default port."""

import json
import socket

import screens
from harness import until
from screens import tid


def test_the_settings_show_the_real_address_when_the_default_port_is_taken(home, launch):
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen(8)
    squatter.settimeout(0)
    default = squatter.getsockname()[1]
    try:
        home.cli("add", "key", "--kind", "static", env={"TOKENTRAY_TOKEN": "tok-e2e-endpoint"})
        # The default port moved to the squatted one (TOKENTRAY_TEST_DEFAULT_PORT is for tests).
        app = launch(home, TOKENTRAY_TEST_DEFAULT_PORT=str(default))

        def listening():
            status = app.invoke("app_status").get("ok") or {}
            return status if status.get("endpoint_url") else None

        status = until("the endpoint to listen", listening)
        url = status["endpoint_url"]
        assert url != f"http://127.0.0.1:{default}", url
        assert status["endpoint_default_taken"] == default, status
        found = json.loads((home.path / "run" / "endpoint.json").read_text())
        assert found["url"] == url

        screens.click(app, "open-settings")
        app.visible(tid("settings-dialog"), "the settings")
        assert app.text(tid("settings-endpoint")) == url
        text = app.text(tid("settings-dialog"))
        assert f"the default port {default} is taken by another program" in text, text

        # The CLI asks the running app (over its socket), never the default port.
        done = home.cli("refresh", "key")
        assert "by the running Tokentray" in done.stdout, done.stdout + done.stderr
        assert home.token("key") == "tok-e2e-endpoint"
        try:
            squatter.accept()
            raise AssertionError("something connected to the program on the default port")
        except BlockingIOError:
            pass
    finally:
        squatter.close()
