"""The edit form when a change moves where a connection's secrets are sent: it says why the stored
secret goes, asks for it in the same step, saves nothing without it, and the old secret never
reaches the new address (a recording server on loopback, which fails the test if it does)."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import screens
from harness import require, until
from screens import tid

OLD_SECRET = "demo-cc-secret"  # the sandbox client's secret, stored by cc_connection
NEW_SECRET = "e2e-new-secret-5d1c0b7e"


class Recorder:
    """A real HTTP listener on 127.0.0.1 that keeps every request (line, headers, body). It
    answers discovery with endpoints on itself, so a client that would send a secret after
    discovery sends it here, and refuses everything else."""

    def __init__(self):
        self.requests: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode(errors="replace") if length else ""
                recorder.requests.append(f"{self.requestline}\n{self.headers}\n{body}")
                if "/.well-known/" in self.path:
                    base = recorder.url
                    doc = {
                        "issuer": base.rstrip("/"),
                        "token_endpoint": f"{base}token",
                        "authorization_endpoint": f"{base}authorize",
                        "grant_types_supported": ["client_credentials"],
                    }
                    self._reply(200, doc)
                else:
                    self._reply(400, {"error": "invalid_client"})

            def _reply(self, status, doc):
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _record
            do_POST = _record

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def saw(self, secret: str, client_id: str = "demo-cc") -> bool:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return any(secret in r or basic in r for r in self.requests)

    def stop(self):
        self.server.shutdown()


def test_changing_where_the_secret_goes_asks_for_it_again_and_says_why(sandbox, home, launch):
    home.cli(
        "add", "api", "--kind", "oauth2", "--label", "Work API",
        "--issuer", sandbox.oauth, "--grant", "client_credentials", "--client-id", "demo-cc",
        env={"TOKENTRAY_CLIENT_SECRET": OLD_SECRET},
    )  # fmt: skip
    assert home.token("api")
    elsewhere = Recorder()
    try:
        app = launch(home)
        require(
            app,
            commands=["connection_form", "edit_connection"],
            testids=["wizard", "destination-notice"],
        )
        screens.row_action(app, "api", "edit")
        app.visible(tid("connection-form"), "the edit form")
        secret_input = app.visible(tid("field-client_secret"), "the client secret input")
        assert "stored" in (secret_input.get_attribute("placeholder") or "")
        assert not app.find(tid("destination-notice"))

        screens.fill(app, "issuer", elsewhere.url)
        notice = app.visible(tid("destination-notice"), "why the secret is asked for again")
        text = notice.text
        assert "You changed Issuer" in text, text
        assert "client secret" in text and "Enter the client secret again" in text, text
        assert "stored" not in (secret_input.get_attribute("placeholder") or "")

        # Saving without the secret is refused next to its field, and nothing changes.
        screens.click(app, "save-connection")
        problem = app.visible(tid("problem-client_secret"), "the client secret's problem")
        assert problem.text, "says what is missing"
        config = (home.path / "config" / "connections.toml").read_text()
        assert sandbox.oauth in config and elsewhere.url not in config, config
        assert home.has_keychain_item("api")

        # With a new secret in the same step, the edit is saved.
        screens.fill(app, "client_secret", NEW_SECRET)
        screens.click(app, "save-connection")
        until(
            "the edit to be saved",
            lambda: elsewhere.url in (home.path / "config" / "connections.toml").read_text(),
            timeout=8,
        )
        app.gone(tid("connection-form"), "the edit form to close")
        assert not home.cli("token", "api", check=False).returncode == 0
        assert elsewhere.saw(NEW_SECRET), "the new secret is used at the new address"
        assert not elsewhere.saw(OLD_SECRET), "the old secret reached the new address"
        page = app.driver.page_source
        assert OLD_SECRET not in page and NEW_SECRET not in page
    finally:
        elsewhere.stop()
    assert not elsewhere.saw(OLD_SECRET)
