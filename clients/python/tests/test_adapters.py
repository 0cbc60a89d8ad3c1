"""The auth adapters against the sandbox's protected resources, with a real `tokentray serve`
(and once without one, through the CLI): the connection's own header and Referer are sent, and
a token the service revoked (401 from the OAuth userinfo resource, HTTP 200 with error 498 from
the ArcGIS portal) is reported, renewed, and the request sent again once."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Dict, Optional, Tuple

import aiohttp
import httpx
import pytest
import requests
from conftest import REFERER, Home, Sandbox

import tokentray

# One call of a protected resource with an adapter: (status, JSON body, number of earlier
# responses the adapter answered before this one).
Call = Callable[[str, str, tokentray.Client], Tuple[int, Dict[str, Any], int]]


def with_requests(url: str, name: str, client: tokentray.Client) -> Tuple[int, Dict[str, Any], int]:
    with requests.Session() as session:
        session.trust_env = False
        r = session.get(url, auth=tokentray.requests.Auth(name, client=client), timeout=20)
        return r.status_code, r.json(), len(r.history)


def with_httpx(url: str, name: str, client: tokentray.Client) -> Tuple[int, Dict[str, Any], int]:
    with httpx.Client(trust_env=False, timeout=20) as http:
        r = http.get(url, auth=tokentray.httpx.Auth(name, client=client))
        return r.status_code, r.json(), len(r.history)


def with_httpx_async(
    url: str, name: str, client: tokentray.Client
) -> Tuple[int, Dict[str, Any], int]:
    async def call() -> Tuple[int, Dict[str, Any], int]:
        async with httpx.AsyncClient(trust_env=False, timeout=20) as http:
            r = await http.get(url, auth=tokentray.httpx.Auth(name, client=client))
            return r.status_code, r.json(), len(r.history)

    return asyncio.run(call())


def with_aiohttp(url: str, name: str, client: tokentray.Client) -> Tuple[int, Dict[str, Any], int]:
    seen = []

    async def count(request: aiohttp.ClientRequest, handler: Any) -> aiohttp.ClientResponse:
        response = await handler(request)
        seen.append(response.status)
        return response

    async def call() -> Tuple[int, Dict[str, Any], int]:
        mw = tokentray.aiohttp.middleware(name, client=client)
        timeout = aiohttp.ClientTimeout(total=20)
        session = aiohttp.ClientSession(middlewares=(mw, count), timeout=timeout)
        async with session, session.get(url) as r:
            return r.status, await r.json(content_type=None), len(seen) - 1

    return asyncio.run(call())


ADAPTERS: Dict[str, Call] = {
    "requests": with_requests,
    "httpx": with_httpx,
    "httpx-async": with_httpx_async,
    "aiohttp": with_aiohttp,
}


@pytest.mark.parametrize("call", ADAPTERS.values(), ids=ADAPTERS.keys())
def test_a_revoked_oauth_token_is_renewed_and_the_request_sent_again(
    sandbox: Sandbox, home: Home, call: Call, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "tokentray")
    home.add_cc("api", sandbox)
    home.ready("api")
    home.start_serve()
    client = home.client()

    status, body, earlier = call(sandbox.userinfo, "api", client)
    assert (status, earlier) == (200, 0), body
    assert body["sub"] == "demo-cc"

    first = client.token("api")
    sandbox.revoke(first)
    status, body, earlier = call(sandbox.userinfo, "api", client)
    assert (status, earlier) == (200, 1), body
    assert body["sub"] == "demo-cc"
    second = client.token("api")
    assert second != first, "Tokentray holds the renewed token"
    assert first not in caplog.text and second not in caplog.text


@pytest.mark.parametrize("call", ADAPTERS.values(), ids=ADAPTERS.keys())
def test_an_arcgis_token_goes_in_its_header_with_its_referer_and_a_498_in_200_renews_it(
    sandbox: Sandbox, home: Home, call: Call
) -> None:
    home.add_arcgis("gis", sandbox)
    home.ready("gis")
    home.start_serve()
    client = home.client()

    # The portal checks the token and the Referer it is bound to: only both pass.
    status, body, earlier = call(sandbox.community_self, "gis", client)
    assert (status, earlier) == (200, 0), body
    assert body.get("username") == "gis-analyst", body

    first = client.token("gis")
    sandbox.revoke(first, provider="arcgis")
    status, body, earlier = call(sandbox.community_self, "gis", client)
    assert (status, earlier) == (200, 1), body
    assert body.get("username") == "gis-analyst", body
    assert client.token("gis") != first


def test_the_portal_refuses_the_token_without_its_referer(sandbox: Sandbox, home: Home) -> None:
    """What the test above relies on: without the Referer the same token gets HTTP 200 with
    error 498, so the adapters' passing requests did carry it."""
    home.add_arcgis("gis", sandbox)
    name, value = home.client().header("gis")
    answer = requests.get(sandbox.community_self, headers={name: value}, timeout=20)
    assert answer.status_code == 200 and answer.json()["error"]["code"] == 498
    answer = requests.get(
        sandbox.community_self, headers={name: value, "Referer": REFERER}, timeout=20
    )
    assert answer.json()["username"] == "gis-analyst"


def test_without_serve_the_cli_reports_the_refused_token_and_renews_it(
    sandbox: Sandbox, home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "tokentray")
    home.add_cc("api", sandbox)
    home.ready("api")
    first = home.client().token("api")
    sandbox.revoke(first)
    # The module-level client: TOKENTRAY_HOME and TOKENTRAY_CLI from the environment.
    with requests.Session() as session:
        session.trust_env = False
        r = session.get(sandbox.userinfo, auth=tokentray.requests.Auth("api"), timeout=20)
    assert r.status_code == 200 and [h.status_code for h in r.history] == [401]
    assert "daemon socket" not in caplog.text and "tokentray command" in caplog.text


def test_a_second_refusal_within_the_window_gives_the_services_answer(
    sandbox: Sandbox, served: Home
) -> None:
    """The renewed token refused again at once: Tokentray renews at most once per 30 s, so the
    adapter hands back the service's 401 instead of looping or raising."""
    served.add_cc("api", sandbox)
    client = served.client()
    sandbox.revoke(client.token("api"))  # obtained just now: inside the window
    with requests.Session() as session:
        session.trust_env = False
        r = session.get(sandbox.userinfo, auth=tokentray.requests.Auth("api", client=client))
    assert r.status_code == 401 and r.history == []


@pytest.mark.parametrize("running", [True, False], ids=["serve", "cli"])
def test_a_refused_token_that_only_a_person_can_replace_raises_needs_login(
    sandbox: Sandbox, home: Home, running: bool
) -> None:
    """A static token the API refuses cannot be renewed: the adapter says so (NeedsLogin, with
    what to do) instead of handing back the 401 as if a retry had been tried."""
    home.add_static("key", "tok-not-known-to-the-service")
    if running:
        home.start_serve()
    with requests.Session() as session, pytest.raises(tokentray.NeedsLogin) as raised:
        session.trust_env = False
        session.get(sandbox.userinfo, auth=tokentray.requests.Auth("key", client=home.client()))
    assert "tok-not-known-to-the-service" not in str(raised.value) + repr(raised.value)
    assert raised.value.connection == "key" and "tokentray " in str(raised.value)


def test_nothing_shows_a_token(sandbox: Sandbox, served: Home) -> None:
    served.add_cc("api", sandbox)
    auth = tokentray.requests.Auth("api", client=served.client())
    with requests.Session() as session:
        session.trust_env = False
        assert session.get(sandbox.userinfo, auth=auth, timeout=20).status_code == 200
    token = served.client().token("api")
    from tokentray._auth import Credential

    shown = " ".join(
        [
            repr(auth),
            repr(auth._source),
            repr(tokentray.httpx.Auth("api")),
            repr(tokentray.aiohttp.middleware("api")),
            repr(Credential(served.client().token_info("api"))),
            repr(served.client()),
        ]
    )
    assert token not in shown
    assert "[REDACTED]" in shown


@pytest.mark.parametrize(("min_valid", "asks"), [(None, 1), (3600, 2)])
def test_a_header_is_reused_while_it_stays_valid_long_enough(
    sandbox: Sandbox,
    served: Home,
    caplog: pytest.LogCaptureFixture,
    min_valid: Optional[int],
    asks: int,
) -> None:
    """Two requests with one Auth ask Tokentray once for an hour-long token, and each time when
    min_valid asks for more than the cached token has left."""
    served.add_cc("api", sandbox)
    served.client().token("api")
    caplog.set_level(logging.DEBUG, "tokentray")
    auth = tokentray.requests.Auth("api", min_valid=min_valid, client=served.client())
    with requests.Session() as session:
        session.trust_env = False
        for _ in range(2):
            assert session.get(sandbox.userinfo, auth=auth, timeout=20).status_code == 200
    assert caplog.text.count("asked the running Tokentray") == asks
