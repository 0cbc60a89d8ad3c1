"""Asking Tokentray for a token, the way its own CLI does.

1. The daemon socket ``<runtime>/daemon.sock`` of a running desktop app or ``tokentray serve``:
   plain HTTP/1.1 over a Unix socket, no key. The socket file must be this user's, and the
   kernel must say that the process answering runs as this user (``SO_PEERCRED``) before a
   byte is sent. Where the kernel cannot say (no ``SO_PEERCRED``), the socket is not used.
2. The export endpoint named in ``<runtime>/endpoint.json`` (``{"url", "key", "pid"}``): HTTP on
   127.0.0.1 with ``Authorization: Bearer <key>``. The file and its directory must be this
   user's and closed to others (mode 0600 / 0700), and the URL a loopback one. It serves only
   connections whose ``export`` setting allows it.
3. Otherwise ``tokentray token NAME --format json`` (the command on ``PATH``, or
   ``$TOKENTRAY_CLI``), which renews the token itself.

A socket or endpoint that nobody answers, or that answers 401 (not Tokentray's), is skipped.
``<runtime>`` is ``$TOKENTRAY_HOME/run`` when that is set, else the platform's runtime directory
(Linux: ``$XDG_RUNTIME_DIR/tokentray``, or ``~/.local/share/tokentray/run`` without one).

Tokens never reach a log, an exception message or a ``repr``.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import re
import shutil
import socket
import stat
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union
from urllib.parse import quote, urlsplit

from ._errors import CliNotFound, InvalidRequest, TokentrayError, from_code, from_exit

log = logging.getLogger("tokentray")

HOME_ENV = "TOKENTRAY_HOME"
CLI_ENV = "TOKENTRAY_CLI"
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
# The CLI's own read timeout on the daemon socket: a renewal may take that long.
DEFAULT_TIMEOUT = 60.0

TokenInfo = Dict[str, Any]
"""The token JSON: ``connection``, ``kind``, ``token_type``, ``access_token``, ``expires_at``,
``expires_in``, ``header`` (``name``, ``value``), ``identity`` and ``referer``."""


def rejected_hash(token: str) -> str:
    """What the rejected-token API takes: the SHA-256 of the refused token, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def runtime_dir(home: Optional[Union[str, os.PathLike[str]]] = None) -> Optional[Path]:
    """Where a running Tokentray keeps ``daemon.sock`` and ``endpoint.json``."""
    given = home if home is not None else os.environ.get(HOME_ENV) or None
    if given is not None:
        return Path(os.path.abspath(os.fspath(given))) / "run"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "tokentray" / "run"
    if os.name != "posix":
        return None
    xdg_runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(xdg_runtime):
        return Path(xdg_runtime) / "tokentray"
    xdg_data = os.environ.get("XDG_DATA_HOME", "")
    data = Path(xdg_data) if os.path.isabs(xdg_data) else Path.home() / ".local" / "share"
    return data / "tokentray" / "run"


def _mine(st: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def _closed(st: os.stat_result) -> bool:
    return stat.S_IMODE(st.st_mode) & 0o077 == 0


class _UnixConnection(http.client.HTTPConnection):
    """HTTP/1.1 over an already connected (and checked) Unix socket."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._ready = sock

    def connect(self) -> None:
        self.sock = self._ready


class _Answer:
    __slots__ = ("status", "body")

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body


class Client:
    """Finds Tokentray and asks it for tokens. ``home`` stands for ``TOKENTRAY_HOME`` (read at
    each call when not given); ``cli`` is the ``tokentray`` command to fall back on; ``timeout``
    bounds each request to a running Tokentray and each CLI run, in seconds."""

    def __init__(
        self,
        *,
        home: Optional[Union[str, os.PathLike[str]]] = None,
        cli: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.home = home
        self.cli = cli
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"tokentray.Client(home={self.home!r}, cli={self.cli!r})"

    def token_info(self, name: str, min_valid: Optional[int] = None) -> TokenInfo:
        """The token JSON of connection ``name``, valid at least ``min_valid`` seconds."""
        return self._ask(name, min_valid, None)

    def token(self, name: str, min_valid: Optional[int] = None) -> str:
        """The bare token of connection ``name``."""
        return str(self.token_info(name, min_valid)["access_token"])

    def header(self, name: str, min_valid: Optional[int] = None) -> Tuple[str, str]:
        """The header to send, e.g. ``("X-Esri-Authorization", "Bearer …")``."""
        header = self.token_info(name, min_valid)["header"]
        return str(header["name"]), str(header["value"])

    def report_rejected(self, name: str, token: str, min_valid: Optional[int] = None) -> TokenInfo:
        """Tells Tokentray that a service refused ``token`` (HTTP 401, ArcGIS 498): it is
        renewed if it is still the current one (once per 30 s at most), and the token JSON to
        use now is returned. Only the token's SHA-256 leaves this process when a running
        Tokentray answers; the CLI gets the token on its standard input."""
        if not token:
            raise InvalidRequest(
                "report_rejected needs the token the service refused", connection=name
            )
        return self._ask(name, min_valid, token)

    # -- the three ways to Tokentray ------------------------------------------------------

    def _ask(self, name: str, min_valid: Optional[int], rejected: Optional[str]) -> TokenInfo:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidRequest(
                "not a connection name (lowercase letters, digits and '-'); run `tokentray list`",
                connection=None,
            )
        if min_valid is not None and (
            isinstance(min_valid, bool) or not isinstance(min_valid, int) or min_valid < 0
        ):
            raise InvalidRequest("min_valid must be a whole number of seconds", connection=name)
        query = []
        if min_valid is not None:
            query.append(f"min_valid={min_valid}")
        if rejected is not None:
            query.append(f"rejected={rejected_hash(rejected)}")
        target = f"/v1/connections/{quote(name)}/token" + ("?" + "&".join(query) if query else "")
        runtime = runtime_dir(self.home)
        if runtime is not None:
            for route, ask in (
                ("daemon socket", self._via_socket),
                ("endpoint", self._via_endpoint),
            ):
                answer = ask(runtime, target)
                if answer is not None:
                    log.debug("asked the running Tokentray through its %s for %s", route, name)
                    return _token_json(answer, name, route)
        log.debug("no running Tokentray answered; asking the tokentray command for %s", name)
        return self._via_cli(name, min_valid, rejected)

    def _via_socket(self, runtime: Path, target: str) -> Optional[_Answer]:
        peercred = getattr(socket, "SO_PEERCRED", None)
        if peercred is None or not hasattr(socket, "AF_UNIX"):
            return None  # no way to know who answers: nobody is trusted
        path = runtime / "daemon.sock"
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISSOCK(st.st_mode):
            return None
        if not _mine(st):
            log.warning("not using %s: it belongs to another user", path)
            return None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(os.fspath(path))
            creds = sock.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("3i"))
            _pid, uid, _gid = struct.unpack("3i", creds)
        except OSError:
            sock.close()
            return None
        if uid != os.getuid():
            log.warning("not using %s: the process answering on it runs as another user", path)
            sock.close()
            return None
        return self._exchange(_UnixConnection(sock, self.timeout), target, {})

    def _via_endpoint(self, runtime: Path, target: str) -> Optional[_Answer]:
        path = runtime / "endpoint.json"
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            with os.fdopen(fd, "rb") as f:
                fd = -1
                raw = f.read(64 * 1024)
            dir_st = os.stat(runtime)
        except OSError:
            return None
        finally:
            if fd >= 0:
                os.close(fd)
        if not (stat.S_ISREG(st.st_mode) and _mine(st) and _mine(dir_st)):
            log.warning("not using %s: it belongs to another user", path)
            return None
        if os.name == "posix" and not (_closed(st) and _closed(dir_st)):
            log.warning(
                "not using %s: others may read or replace it (want 0600 in a 0700 directory)", path
            )
            return None
        try:
            found = json.loads(raw)
            url, key = urlsplit(str(found["url"])), str(found["key"])
            host, port = url.hostname, url.port
        except (ValueError, KeyError, TypeError):
            log.warning("not using %s: not an endpoint discovery file", path)
            return None
        if url.scheme != "http" or host not in _LOOPBACK or port is None:
            log.warning("not using %s: its address is not a loopback one", path)
            return None
        connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
        return self._exchange(connection, target, {"Authorization": f"Bearer {key}"})

    @staticmethod
    def _exchange(
        connection: http.client.HTTPConnection, target: str, headers: Dict[str, str]
    ) -> Optional[_Answer]:
        try:
            connection.request("GET", target, headers={"Accept": "application/json", **headers})
            response = connection.getresponse()
            answer = _Answer(response.status, response.read())
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()
        if answer.status == 401:
            return None  # not this Tokentray (a stale file, another program on the port)
        return answer

    def _via_cli(self, name: str, min_valid: Optional[int], rejected: Optional[str]) -> TokenInfo:
        command = self.cli or os.environ.get(CLI_ENV) or shutil.which("tokentray")
        if not command:
            raise CliNotFound(
                "no running Tokentray answered and the tokentray command is not on PATH; "
                "install Tokentray, start it, or set TOKENTRAY_CLI",
                connection=name,
            )
        args = [command, "token", name, "--format", "json"]
        if min_valid is not None:
            args += ["--min-valid", str(min_valid)]
        if rejected is not None:
            args += ["--rejected", "-"]
        env = dict(os.environ, NO_COLOR="1")
        env.pop("TOKENTRAY_REJECTED", None)
        if self.home is not None:
            env[HOME_ENV] = os.path.abspath(os.fspath(self.home))
        try:
            done = subprocess.run(
                args,
                input=(rejected or "").encode(),
                capture_output=True,
                env=env,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise TokentrayError(
                f"tokentray token did not answer within {self.timeout:g} s", connection=name
            ) from None
        except OSError as e:
            raise CliNotFound(f"could not run {command}: {e.strerror}", connection=name) from None
        if done.returncode != 0:
            raise from_exit(done.returncode, _cli_message(done.stderr), name)
        try:
            info = json.loads(done.stdout)
        except ValueError:
            info = None
        if not isinstance(info, dict) or not isinstance(info.get("access_token"), str):
            raise TokentrayError("tokentray token printed no token JSON", connection=name)
        return info


def _token_json(answer: _Answer, name: str, route: str) -> TokenInfo:
    try:
        body = json.loads(answer.body)
    except ValueError:
        body = None
    if answer.status == 200:
        if isinstance(body, dict) and isinstance(body.get("access_token"), str):
            return body
        raise TokentrayError("the running Tokentray answered no token JSON", connection=name)
    code = message = ""
    if isinstance(body, dict):
        code, message = str(body.get("code") or ""), str(body.get("message") or "")
    if code == "unknown_connection":
        # As the CLI words it: the endpoint's fixed message names no connection.
        message = f'no connection named "{name}"; run `tokentray list` to see the connections'
        if route == "endpoint":
            message += " (the endpoint hands out only connections whose export setting is on)"
    raise from_code(code, message or f"the running Tokentray answered HTTP {answer.status}", name)


def _cli_message(stderr: bytes) -> str:
    """The message of the CLI's JSON error body (``--format json`` reports its failure as
    ``{"code", "message"}`` on stderr), or its ``error:`` line(s) without the prefix."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    errors = [line[len("error:") :].strip() for line in lines if line.startswith("error:")]
    for line in lines:
        try:
            body = json.loads(line)
        except ValueError:
            continue
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            errors.append(body["message"])
    return "; ".join(errors or lines[-1:])[:1000]


_default: Optional[Client] = None


def default_client() -> Client:
    """The client the module-level functions use."""
    global _default
    if _default is None:
        _default = Client()
    return _default
