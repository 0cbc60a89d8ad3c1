"""The client trusts only this user's Tokentray: an `endpoint.json` that others may read or that
belongs to another user, and a daemon socket that is another user's (or answered by a process of
another user), are not used; the client goes on to the CLI instead.

The tests with another user need root and the `tokentray-neighbour` account that
tests/scripts/setup.sh --test creates; they skip without them unless
TOKENTRAY_REQUIRE_NEIGHBOUR=1 (set by tests/scripts/test.sh as root).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pwd
import select
import shutil
import socket
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Iterator, List

import pytest
from conftest import TIMEOUT, Home

import tokentray

STATIC = "tok-ownership-static"
FAKE = "tok-from-someone-else"
NEIGHBOUR = "tokentray-neighbour"


def fake_json() -> bytes:
    return json.dumps(
        {
            "connection": "key",
            "kind": "static",
            "token_type": "Bearer",
            "access_token": FAKE,
            "expires_at": None,
            "expires_in": None,
            "header": {"name": "Authorization", "value": f"Bearer {FAKE}"},
            "identity": None,
            "referer": None,
        }
    ).encode()


class FakeEndpoint:
    """An HTTP server on 127.0.0.1 that answers every request with a forged token."""

    def __init__(self) -> None:
        self.requests: List[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                outer.requests.append(self.path)
                body = fake_json()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeEndpoint]:
    server = FakeEndpoint()
    yield server
    server.close()


def write_endpoint(home: Home, url: str, mode: int) -> Path:
    home.run.mkdir(mode=0o700, exist_ok=True)
    os.chmod(home.run, 0o700)
    path = home.run / "endpoint.json"
    path.write_text(json.dumps({"url": url, "key": "forged-key", "pid": 1}))
    os.chmod(path, mode)
    return path


def test_an_endpoint_file_others_may_read_is_not_used(
    home: Home, fake: FakeEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    home.add_static("key", STATIC)
    path = write_endpoint(home, fake.url, 0o644)
    assert home.client().token("key") == STATIC, "the CLI answered"
    assert fake.requests == []
    assert "others may read or replace it" in caplog.text
    # The same file closed to others is used: the mode is what kept the client away.
    os.chmod(path, 0o600)
    assert home.client().token("key") == FAKE
    assert fake.requests == ["/v1/connections/key/token"]


def neighbour() -> pwd.struct_passwd:
    required = os.environ.get("TOKENTRAY_REQUIRE_NEIGHBOUR") == "1"
    why = None
    if os.getuid() != 0:
        why = "not root"
    else:
        try:
            return pwd.getpwnam(NEIGHBOUR)
        except KeyError:
            why = f"no {NEIGHBOUR} account (tests/scripts/setup.sh --test creates it)"
    if required:
        pytest.fail(f"TOKENTRAY_REQUIRE_NEIGHBOUR=1 but {why}")
    pytest.skip(f"needs another local user: {why}")


def test_an_endpoint_file_of_another_user_is_not_used(
    home: Home, fake: FakeEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    other = neighbour()
    home.add_static("key", STATIC)
    path = write_endpoint(home, fake.url, 0o600)
    os.chown(path, other.pw_uid, other.pw_gid)
    assert home.client().token("key") == STATIC
    assert fake.requests == []
    assert "belongs to another user" in caplog.text


# Run by the neighbour: listens on argv[1], says "ready", takes one connection and answers a
# forged token if a request comes; prints what it received.
SERVE_AS_NEIGHBOUR = r"""
import os, socket, sys, json
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o777)
s.listen(1)
print("ready", flush=True)
s.settimeout(float(sys.argv[2]))
got = b""
try:
    c, _ = s.accept()
    c.settimeout(float(sys.argv[2]))
    while b"\r\n\r\n" not in got:
        b = c.recv(65536)
        if not b:
            break
        got += b
    if got:
        body = sys.argv[3].encode()
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                  + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    c.close()
except OSError:
    pass
print(repr(got), flush=True)
"""


@pytest.mark.parametrize("socket_file", ["theirs", "ours"])
def test_a_daemon_socket_of_another_user_is_not_used(
    socket_file: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The neighbour listens where the daemon socket would be. Its socket file is refused; and
    with the file made ours (as a hostile rename could not, but a test can), the kernel's word
    on who answers (SO_PEERCRED) still keeps the client from sending a byte."""
    other = neighbour()
    python = shutil.which("python3", path="/usr/bin:/bin") or "/usr/bin/python3"
    # The neighbour must reach the directory: a traversable private temp dir, an open one in it.
    top = Path(tempfile.mkdtemp(prefix="tokentray-py-"))
    try:
        os.chmod(top, 0o711)
        home = top / "home"
        run = home / "run"
        run.mkdir(parents=True)
        os.chmod(home, 0o711)
        os.chmod(run, 0o777)
        sock = run / "daemon.sock"
        proc = subprocess.Popen(
            ["runuser", "-u", NEIGHBOUR, "--", python, "-u", "-c", SERVE_AS_NEIGHBOUR,
             str(sock), str(TIMEOUT), fake_json().decode()],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, cwd="/",
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT)
            assert ready and proc.stdout.readline().strip() == b"ready"
            assert os.lstat(sock).st_uid == other.pw_uid
            if socket_file == "ours":
                os.chown(sock, os.getuid(), os.getgid())
            client = tokentray.Client(home=home, cli=str(tmp_path / "no-cli"), timeout=TIMEOUT)
            with pytest.raises(tokentray.CliNotFound):
                client.token("key")
            # Lets the neighbour's accept return when the client did not connect at all.
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as poke:
                poke.connect(str(sock))
            out, _ = proc.communicate(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert out.decode().strip() == "b''", f"the neighbour was sent: {out!r}"
        expected = "belongs to another user" if socket_file == "theirs" else "runs as another user"
        assert expected in caplog.text
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_logging_says_which_way_was_taken_without_tokens(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "tokentray")
    home.add_static("key", STATIC)
    assert tokentray.token("key") == STATIC
    assert "tokentray command" in caplog.text and STATIC not in caplog.text
