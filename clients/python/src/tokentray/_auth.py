"""What the HTTP adapters share: the header (and Referer) to send for a connection, a short
cache of it, and how a service says it refused a token (HTTP 401 or 498, and ArcGIS's HTTP 200
``{"error": {"code": 498}}``)."""

from __future__ import annotations

import json
import threading
import time
from typing import Optional

from ._client import Client, TokenInfo, default_client, log
from ._errors import ProviderError

# A cached header is used until this many seconds (or min_valid, when longer) before its token
# expires.
_MARGIN = 60
# A token whose expiry is unknown is asked for again after this many seconds.
_UNKNOWN_EXPIRY = 30
# ArcGIS answers errors as small JSON bodies; larger ones are not read to look for one.
_BODY_LIMIT = 64 * 1024


class Credential:
    """The header one request carries. Its ``repr`` never shows the token."""

    __slots__ = ("name", "value", "referer", "token", "kind")

    def __init__(self, info: TokenInfo) -> None:
        self.name = str(info["header"]["name"])
        self.value = str(info["header"]["value"])
        self.token = str(info["access_token"])
        self.kind = str(info.get("kind") or "")
        referer = info.get("referer")
        self.referer = str(referer) if referer else None

    def __repr__(self) -> str:
        return f"<tokentray header {self.name}: [REDACTED]>"

    def headers(self) -> dict[str, str]:
        out = {self.name: self.value}
        if self.referer:
            out["Referer"] = self.referer
        return out

    @property
    def arcgis(self) -> bool:
        return self.kind.startswith("arcgis")


class Source:
    """The credential of one connection for an adapter: fetched from Tokentray, reused until
    shortly before it expires, and replaced when a service refuses it."""

    def __init__(
        self, connection: str, *, min_valid: Optional[int] = None, client: Optional[Client] = None
    ) -> None:
        self.connection = connection
        self.min_valid = min_valid
        self._client = client
        self._lock = threading.Lock()
        self._cached: Optional[Credential] = None
        self._until = 0.0

    def __repr__(self) -> str:
        return f"tokentray source {self.connection!r}"

    @property
    def client(self) -> Client:
        return self._client or default_client()

    def current(self) -> Credential:
        with self._lock:
            if self._cached is not None and time.monotonic() < self._until:
                return self._cached
        return self._keep(self.client.token_info(self.connection, self.min_valid))

    def renewed(self, refused: Credential) -> Optional[Credential]:
        """Reports ``refused``; the credential to retry with, or None when there is no new
        token to try."""
        try:
            info = self.client.report_rejected(self.connection, refused.token, self.min_valid)
        except ProviderError as e:
            # Renewed moments ago already (at most once per 30 s), or the service is down: the
            # caller gets the service's refusal as it is.
            log.debug("no renewed token for %s: %s", self.connection, e.message)
            return None
        fresh = self._keep(info)
        return None if fresh.token == refused.token else fresh

    def _keep(self, info: TokenInfo) -> Credential:
        credential = Credential(info)
        expires_in = info.get("expires_in")
        margin = max(_MARGIN, self.min_valid or 0)
        ttl = (
            float(expires_in) - margin
            if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool)
            else _UNKNOWN_EXPIRY
        )
        with self._lock:
            self._cached, self._until = credential, time.monotonic() + max(ttl, 0.0)
        return credential


def refused_status(status: int) -> bool:
    """HTTP 401, or ArcGIS's 498 as a status."""
    return status in (401, 498)


def may_hold_arcgis_error(
    credential: Credential,
    status: int,
    content_type: str,
    length: Optional[str],
    *,
    read_anyway: bool = False,
) -> bool:
    """Whether a response could be ArcGIS's HTTP 200 envelope for a refused token, and is small
    enough to read to find out (or will be read whole anyway: ``read_anyway``)."""
    if not credential.arcgis or status != 200:
        return False
    if "json" not in content_type.lower() and "text/plain" not in content_type.lower():
        return False
    if read_anyway:
        return True
    try:
        return length is not None and int(length) <= _BODY_LIMIT
    except ValueError:
        return False


def arcgis_refused(body: bytes) -> bool:
    """``{"error": {"code": 498, …}}``: ArcGIS's invalid or expired token."""
    try:
        data = json.loads(body)
    except ValueError:
        return False
    error = data.get("error") if isinstance(data, dict) else None
    return isinstance(error, dict) and str(error.get("code")) == "498"


def replayable_body(body: object) -> bool:
    return body is None or isinstance(body, (bytes, bytearray, str))
