"""token / header / token_info through each way to Tokentray (the daemon socket of a running
`tokentray serve`, its HTTP endpoint, the CLI), and the exceptions for what can go wrong."""

from __future__ import annotations

import logging
import os

import pytest
from conftest import CLI, REFERER, Home, Sandbox

import tokentray

STATIC = "tok-static-client-canary"


def routes(caplog: pytest.LogCaptureFixture) -> list[str]:
    found = []
    for record in caplog.records:
        text = record.getMessage()
        if "daemon socket" in text:
            found.append("socket")
        elif "through its endpoint" in text:
            found.append("endpoint")
        elif "tokentray command" in text:
            found.append("cli")
    return found


def test_a_running_serve_answers_over_its_socket(
    sandbox: Sandbox, served: Home, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "tokentray")
    served.add_static("key", STATIC)
    # The connection was added after serve started: serve reads it from the shared config.
    assert tokentray.token("key") == STATIC
    assert tokentray.header("key") == ("Authorization", f"Bearer {STATIC}")
    info = tokentray.token_info("key")
    assert info["connection"] == "key" and info["kind"] == "static"
    assert info["referer"] is None and info["expires_at"] is None
    assert routes(caplog) == ["socket"] * 3


def test_the_token_json_names_an_arcgis_connections_header_and_referer(
    sandbox: Sandbox, served: Home
) -> None:
    served.add_arcgis("gis", sandbox)
    info = served.client().token_info("gis", min_valid=60)
    assert info["kind"] == "arcgis-token"
    assert info["header"]["name"] == "X-Esri-Authorization"
    assert info["header"]["value"] == "Bearer " + info["access_token"]
    assert info["referer"] == REFERER
    assert info["expires_in"] >= 60
    assert info["identity"]["subject"] == "gis-analyst"


def test_the_endpoint_is_used_when_the_socket_is_not_there(
    served: Home, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "tokentray")
    served.add_static("key", STATIC)
    sock, aside = served.run / "daemon.sock", served.run / "daemon.sock.aside"
    os.rename(sock, aside)
    try:
        assert served.client().token("key") == STATIC
    finally:
        os.rename(aside, sock)
    assert routes(caplog) == ["endpoint"]


def test_without_a_running_tokentray_the_cli_renews_and_answers(
    sandbox: Sandbox, home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "tokentray")
    home.add_cc("api", sandbox)
    name, value = tokentray.header("api", min_valid=30)
    assert name == "Authorization" and value.startswith("Bearer ey")
    assert routes(caplog) == ["cli"]


@pytest.mark.parametrize("running", [True, False], ids=["serve", "cli"])
def test_an_unknown_connection_is_unknown_connection(home: Home, running: bool) -> None:
    if running:
        home.start_serve()
    with pytest.raises(tokentray.UnknownConnection) as raised:
        tokentray.token("nope")
    error = raised.value
    assert isinstance(error, tokentray.TokentrayError)
    assert (error.code, error.exit_code, error.connection) == ("unknown_connection", 3, "nope")
    assert "nope" in str(error)


@pytest.mark.parametrize("running", [True, False], ids=["serve", "cli"])
def test_a_refused_password_is_needs_login(sandbox: Sandbox, home: Home, running: bool) -> None:
    home.add_arcgis("gis", sandbox, password="not-the-password")
    if running:
        home.start_serve()
    with pytest.raises(tokentray.NeedsLogin) as raised:
        home.client().token_info("gis")
    assert (raised.value.code, raised.value.exit_code) == ("needs_login", 4)
    assert "not-the-password" not in str(raised.value) + repr(raised.value)


def test_bad_input_is_refused_before_anything_runs(home: Home) -> None:
    for name in ("", "Upper", "../x", "a/b", "-lead"):
        with pytest.raises(tokentray.InvalidRequest):
            tokentray.token(name)
    with pytest.raises(tokentray.InvalidRequest):
        tokentray.token("key", min_valid=-1)
    with pytest.raises(tokentray.InvalidRequest):
        tokentray.report_rejected("key", "")


def test_no_tokentray_at_all_is_cli_not_found(home: Home, tmp_path) -> None:
    client = tokentray.Client(home=home.path, cli=str(tmp_path / "no-such-tokentray"))
    with pytest.raises(tokentray.CliNotFound):
        client.token("key")


def test_the_cli_error_code_map_holds_for_every_code() -> None:
    from tokentray._errors import from_code, from_exit

    expected = {
        "invalid_request": (tokentray.InvalidRequest, 2),
        "unknown_connection": (tokentray.UnknownConnection, 3),
        "needs_login": (tokentray.NeedsLogin, 4),
        "provider_error": (tokentray.ProviderError, 5),
        "storage_unavailable": (tokentray.StorageUnavailable, 6),
    }
    for code, (cls, exit_code) in expected.items():
        assert type(from_code(code, "m", "c")) is cls
        assert type(from_exit(exit_code, "m", "c")) is cls
    other = from_code("forbidden", "m", "c")
    assert type(other) is tokentray.TokentrayError and other.code == "forbidden"
    assert type(from_exit(1, "m", "c")) is tokentray.TokentrayError


def test_the_cli_path_sends_a_rejected_token_on_stdin_only(
    sandbox: Sandbox, home: Home, tmp_path
) -> None:
    """`report_rejected` through the CLI: the token goes to `--rejected -` on stdin, never on the
    command line (a wrapper records the arguments the client ran the CLI with)."""
    home.add_cc("api", sandbox)
    first = home.client().token("api")
    home.let_the_window_pass()
    args_file = tmp_path / "args"
    wrapper = tmp_path / "tokentray"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{args_file}"\nexec "{CLI}" "$@"\n')
    wrapper.chmod(0o700)
    sandbox.revoke(first)
    renewed = tokentray.Client(home=home.path, cli=str(wrapper)).report_rejected("api", first)
    assert renewed["access_token"] != first
    args = args_file.read_text().split("\n")
    assert args[:5] == ["token", "api", "--format", "json", "--rejected"] and args[5] == "-"
    assert first not in args_file.read_text()


def test_importing_tokentray_loads_no_http_library() -> None:
    """requests, httpx and aiohttp are optional: only their adapter submodules import them."""
    import subprocess
    import sys

    check = (
        "import sys, tokentray\n"
        "loaded = {'requests', 'httpx', 'aiohttp'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
        "tokentray.requests\n"
        "assert 'requests' in sys.modules and 'httpx' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", check], check=True, timeout=60)
