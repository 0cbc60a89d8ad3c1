"""The exceptions of the client: one per error code of the CLI and the endpoint.

Their messages are Tokentray's own words (the endpoint's ``message`` or the CLI's ``error:``
line), which never carry a token; the client adds none either.
"""

from __future__ import annotations

from typing import Dict, Optional, Type


class TokentrayError(Exception):
    """Anything Tokentray could not do. ``code`` is the endpoint's error code (``needs_login``,
    ``unknown_connection``…), ``exit_code`` the CLI's exit code for it, ``connection`` the name
    asked for."""

    code: str = "error"
    exit_code: int = 1

    def __init__(self, message: str, *, connection: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.connection = connection

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, connection={self.connection!r})"


class InvalidRequest(TokentrayError):
    """Bad input: not a connection name, a bad ``min_valid`` (CLI exit 2)."""

    code = "invalid_request"
    exit_code = 2


class UnknownConnection(TokentrayError):
    """No connection has that name, or it may not be handed out here (CLI exit 3)."""

    code = "unknown_connection"
    exit_code = 3


class NeedsLogin(TokentrayError):
    """Only a person can fix it: run ``tokentray login NAME`` or log in in the app (CLI exit 4)."""

    code = "needs_login"
    exit_code = 4


class ProviderError(TokentrayError):
    """The service or the network failed and no valid token is held (CLI exit 5)."""

    code = "provider_error"
    exit_code = 5


class StorageUnavailable(TokentrayError):
    """The keychain (or the chosen secret store) cannot be used (CLI exit 6)."""

    code = "storage_unavailable"
    exit_code = 6


class CliNotFound(TokentrayError):
    """No running Tokentray answered and the ``tokentray`` command was not found."""

    code = "cli_not_found"
    exit_code = 127


_BY_CODE: Dict[str, Type[TokentrayError]] = {
    cls.code: cls
    for cls in (InvalidRequest, UnknownConnection, NeedsLogin, ProviderError, StorageUnavailable)
}
_BY_EXIT: Dict[int, Type[TokentrayError]] = {cls.exit_code: cls for cls in _BY_CODE.values()}


def from_code(code: str, message: str, connection: Optional[str]) -> TokentrayError:
    """The exception for an error ``code`` of the endpoint."""
    cls = _BY_CODE.get(code, TokentrayError)
    error = cls(message or code or "Tokentray failed", connection=connection)
    if cls is TokentrayError and code:
        error.code = code
    return error


def from_exit(exit_code: int, message: str, connection: Optional[str]) -> TokentrayError:
    """The exception for an exit code of ``tokentray token``."""
    cls = _BY_EXIT.get(exit_code, TokentrayError)
    return cls(message or f"tokentray exited with {exit_code}", connection=connection)
