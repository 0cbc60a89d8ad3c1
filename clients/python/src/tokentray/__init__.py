"""Tokentray's Python client: fresh tokens from the Tokentray app, ``tokentray serve`` or the
``tokentray`` command, and auth adapters for ``requests``, ``httpx`` and ``aiohttp``.

    import requests
    import tokentray

    requests.get(url, auth=tokentray.requests.Auth("my-api"))
    token = tokentray.token("my-api")
    name, value = tokentray.header("my-api")

The adapters (``tokentray.requests``, ``tokentray.httpx``, ``tokentray.aiohttp``) are imported on
first use, so their HTTP library is needed only when they are used. Errors are
:class:`TokentrayError` subclasses, one per error code of the CLI and the endpoint.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Optional, Tuple

from ._client import Client, TokenInfo, default_client, rejected_hash, runtime_dir
from ._errors import (
    CliNotFound,
    InvalidRequest,
    NeedsLogin,
    ProviderError,
    StorageUnavailable,
    TokentrayError,
    UnknownConnection,
)

if TYPE_CHECKING:
    from . import aiohttp, httpx, requests

__version__ = "0.1.0"

__all__ = [
    "Client",
    "CliNotFound",
    "InvalidRequest",
    "NeedsLogin",
    "ProviderError",
    "StorageUnavailable",
    "TokenInfo",
    "TokentrayError",
    "UnknownConnection",
    "aiohttp",
    "header",
    "httpx",
    "rejected_hash",
    "report_rejected",
    "requests",
    "runtime_dir",
    "token",
    "token_info",
]

_ADAPTERS = ("requests", "httpx", "aiohttp")


def __getattr__(name: str) -> Any:
    if name in _ADAPTERS:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def token(name: str, min_valid: Optional[int] = None) -> str:
    """The bare token of connection ``name``, valid at least ``min_valid`` seconds."""
    return default_client().token(name, min_valid)


def header(name: str, min_valid: Optional[int] = None) -> Tuple[str, str]:
    """The header to send for connection ``name``: ``(header name, value)``, e.g.
    ``("Authorization", "Bearer …")`` or ``("X-Esri-Authorization", "Bearer …")``."""
    return default_client().header(name, min_valid)


def token_info(name: str, min_valid: Optional[int] = None) -> TokenInfo:
    """The token JSON of connection ``name``, as ``tokentray token NAME --format json`` prints
    it: ``connection``, ``kind``, ``token_type``, ``access_token``, ``expires_at``,
    ``expires_in``, ``header`` (``name``, ``value``), ``identity``, ``referer``."""
    return default_client().token_info(name, min_valid)


def report_rejected(name: str, token: str, min_valid: Optional[int] = None) -> TokenInfo:
    """Tells Tokentray that a service refused ``token`` (HTTP 401, ArcGIS 498); it is renewed
    if it is still the current one, and the token JSON to use now is returned."""
    return default_client().report_rejected(name, token, min_valid)
