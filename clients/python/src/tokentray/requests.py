"""Tokentray for ``requests``: ``requests.get(url, auth=tokentray.requests.Auth("name"))``.

Each request carries the connection's own header (``Authorization: Bearer …``,
``X-Esri-Authorization: Bearer …``) and its ``Referer`` when the token is bound to one. When the
service refuses the token (HTTP 401 or 498, or ArcGIS's HTTP 200 ``{"error": {"code": 498}}``),
Tokentray is told, and the request is sent once more with the renewed token. Requests whose body
is a stream or a file are not sent again.
"""

from __future__ import annotations

from typing import Any, Optional

import requests
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar

from ._auth import (
    Credential,
    Source,
    arcgis_refused,
    may_hold_arcgis_error,
    refused_status,
    replayable_body,
)
from ._client import Client

__all__ = ["Auth"]

_SENT = "_tokentray_credential"
_RETRIED = "_tokentray_retried"


class Auth(AuthBase):
    """Authenticates requests as Tokentray connection ``name``; ``min_valid`` asks for a token
    valid at least that many seconds; ``client`` chooses how Tokentray is reached."""

    def __init__(
        self, name: str, *, min_valid: Optional[int] = None, client: Optional[Client] = None
    ) -> None:
        self.name = name
        self._source = Source(name, min_valid=min_valid, client=client)

    def __repr__(self) -> str:
        return f"tokentray.requests.Auth({self.name!r})"

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        credential = self._source.current()
        _apply(r, credential)
        r.register_hook("response", self._handle)  # type: ignore[no-untyped-call]
        return r

    def _handle(self, r: requests.Response, **kwargs: Any) -> requests.Response:
        request = r.request
        sent: Optional[Credential] = getattr(request, _SENT, None)
        if sent is None or getattr(request, _RETRIED, False):
            return r
        if not self._refused(r, sent, stream=bool(kwargs.get("stream"))):
            return r
        if not replayable_body(request.body):
            return r
        fresh = self._source.renewed(sent)
        if fresh is None:
            return r
        # As requests' own digest auth does: free the connection, keep cookies, send again.
        r.content  # noqa: B018 - reads the body so that the connection can be reused
        r.close()
        retry = request.copy()
        cookies = getattr(retry, "_cookies", None)
        if cookies is not None:
            extract_cookies_to_jar(cookies, request, r.raw)  # type: ignore[no-untyped-call]
            retry.prepare_cookies(cookies)
        _apply(retry, fresh)
        setattr(retry, _RETRIED, True)
        connection = getattr(r, "connection", None)
        if connection is None:
            return r
        answer: requests.Response = connection.send(retry, **kwargs)
        answer.history.append(r)
        answer.request = retry
        return answer

    @staticmethod
    def _refused(r: requests.Response, sent: Credential, *, stream: bool) -> bool:
        if refused_status(r.status_code):
            return True
        if may_hold_arcgis_error(
            sent,
            r.status_code,
            r.headers.get("Content-Type", ""),
            r.headers.get("Content-Length"),
            read_anyway=not stream,
        ):
            return arcgis_refused(r.content)
        return False


def _apply(r: requests.PreparedRequest, credential: Credential) -> None:
    r.headers.update(credential.headers())
    setattr(r, _SENT, credential)
