"""Tokentray for ``httpx``, sync and async: ``httpx.get(url, auth=tokentray.httpx.Auth("name"))``
or ``httpx.AsyncClient(auth=tokentray.httpx.Auth("name"))``.

Each request carries the connection's own header and its ``Referer`` when the token is bound to
one. When the service refuses the token (HTTP 401 or 498, or ArcGIS's HTTP 200
``{"error": {"code": 498}}`` with a body of up to 64 KiB), Tokentray is told, and the request is
sent once more with the renewed token. In ``AsyncClient`` the (blocking) questions to Tokentray
run in a worker thread.
"""

from __future__ import annotations

from typing import AsyncGenerator, Generator, Optional

import anyio.to_thread
import httpx

from ._auth import Credential, Source, arcgis_refused, may_hold_arcgis_error, refused_status
from ._client import Client

__all__ = ["Auth"]


class Auth(httpx.Auth):
    """Authenticates requests as Tokentray connection ``name``; ``min_valid`` asks for a token
    valid at least that many seconds; ``client`` chooses how Tokentray is reached."""

    # The body is kept so that the request can be sent again with a renewed token.
    requires_request_body = True

    def __init__(
        self, name: str, *, min_valid: Optional[int] = None, client: Optional[Client] = None
    ) -> None:
        self.name = name
        self._source = Source(name, min_valid=min_valid, client=client)

    def __repr__(self) -> str:
        return f"tokentray.httpx.Auth({self.name!r})"

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        sent = self._source.current()
        _apply(request, sent)
        response = yield request
        if _may_be_refused(response, sent):
            response.read()
        if not _refused(response, sent):
            return
        fresh = self._source.renewed(sent)
        if fresh is not None:
            _apply(request, fresh)
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        sent = await anyio.to_thread.run_sync(self._source.current)
        _apply(request, sent)
        response = yield request
        if _may_be_refused(response, sent):
            await response.aread()
        if not _refused(response, sent):
            return
        fresh = await anyio.to_thread.run_sync(self._source.renewed, sent)
        if fresh is not None:
            _apply(request, fresh)
            yield request


def _apply(request: httpx.Request, credential: Credential) -> None:
    request.headers.update(credential.headers())


def _may_be_refused(response: httpx.Response, sent: Credential) -> bool:
    return may_hold_arcgis_error(
        sent,
        response.status_code,
        response.headers.get("Content-Type", ""),
        response.headers.get("Content-Length"),
    )


def _refused(response: httpx.Response, sent: Credential) -> bool:
    if refused_status(response.status_code):
        return True
    return _may_be_refused(response, sent) and arcgis_refused(response.content)
