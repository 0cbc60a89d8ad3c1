"""Tokentray for ``aiohttp``: a client middleware (aiohttp 3.12 or later),

    async with aiohttp.ClientSession(middlewares=(tokentray.aiohttp.middleware("name"),)) as s:
        async with s.get(url) as response: ...

or, for any aiohttp, the headers of one request: ``s.get(url, headers=await
tokentray.aiohttp.headers("name"))``.

The middleware sends the connection's own header and its ``Referer`` when the token is bound to
one. When the service refuses the token (HTTP 401 or 498, or ArcGIS's HTTP 200
``{"error": {"code": 498}}`` with a body of up to 64 KiB), Tokentray is told, and the request is
sent once more with the renewed token. The (blocking) questions to Tokentray run in a worker
thread.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Dict, Optional

import aiohttp

from ._auth import Credential, Source, arcgis_refused, may_hold_arcgis_error, refused_status
from ._client import Client, default_client

__all__ = ["Middleware", "headers", "middleware"]

Handler = Callable[[aiohttp.ClientRequest], Awaitable[aiohttp.ClientResponse]]


class Middleware:
    """An aiohttp client middleware authenticating as Tokentray connection ``name``."""

    def __init__(
        self, name: str, *, min_valid: Optional[int] = None, client: Optional[Client] = None
    ) -> None:
        self.name = name
        self._source = Source(name, min_valid=min_valid, client=client)

    def __repr__(self) -> str:
        return f"tokentray.aiohttp.Middleware({self.name!r})"

    async def __call__(
        self, request: aiohttp.ClientRequest, handler: Handler
    ) -> aiohttp.ClientResponse:
        sent = await asyncio.to_thread(self._source.current)
        _apply(request, sent)
        response = await handler(request)
        if not await _refused(response, sent):
            return response
        fresh = await asyncio.to_thread(self._source.renewed, sent)
        if fresh is None:
            return response
        response.release()
        _apply(request, fresh)
        return await handler(request)


def middleware(
    name: str, *, min_valid: Optional[int] = None, client: Optional[Client] = None
) -> Middleware:
    """The middleware for ``aiohttp.ClientSession(middlewares=(…,))``."""
    return Middleware(name, min_valid=min_valid, client=client)


async def headers(
    name: str, *, min_valid: Optional[int] = None, client: Optional[Client] = None
) -> Dict[str, str]:
    """The headers one request needs (the connection's header, and ``Referer`` when bound),
    for aiohttp versions without middlewares. Nothing is retried."""
    info = await asyncio.to_thread((client or default_client()).token_info, name, min_valid)
    return Credential(info).headers()


def _apply(request: aiohttp.ClientRequest, credential: Credential) -> None:
    for key, value in credential.headers().items():
        request.headers[key] = value


async def _refused(response: aiohttp.ClientResponse, sent: Credential) -> bool:
    if refused_status(response.status):
        return True
    if not may_hold_arcgis_error(
        sent,
        response.status,
        response.headers.get("Content-Type", ""),
        response.headers.get("Content-Length"),
    ):
        return False
    return arcgis_refused(await response.read())
