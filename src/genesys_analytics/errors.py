"""Errors, named for what the caller should do next.

    GenesysError                 base; carries status, context_id and a short body excerpt
    ├── ConfigError              fix the input: bad region, missing credentials, malformed date
    ├── AuthError                fix the credentials or the region (401, invalid_client)
    ├── PermissionDenied         grant the OAuth client the named permission (403)
    ├── BadQuery                 change the query: interval too long, page cap, bad field (400)
    ├── RateLimited              wait: the service asked for longer than we will sleep (429)
    ├── ServerError              try again later or use smaller chunks (5xx, timeouts, drops)
    ├── PaginationError          the service paged inconsistently (repeated cursor/page, cap)
    ├── JobFailed                an async job ended FAILED/EXPIRED/CANCELLED or timed out
    ├── IncompleteExport         an export could not prove a chunk complete
    ├── OutputBusy               wait: another export is writing the same output (its lock)
    └── OutputFailed             free disk space or raise DuckDB's memory cap, then resume

Every error maps to one CLI exit code (``EXIT_CODES``). No error ever holds a token or
a client secret: the body excerpt is scrubbed of anything that looks like one.
"""

from __future__ import annotations

import re

_SECRETISH = re.compile(
    r'("?(?:access_token|client_secret|password|authorization)"?\s*[:=]\s*)("[^"]*"|[^\s,&}]+)',
    re.IGNORECASE,
)
_BEARER = re.compile(r"(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def scrub(text: str, limit: int = 300) -> str:
    """Remove anything that looks like a credential and cut to ``limit`` characters."""
    text = _BEARER.sub(r"\1 ***", text)
    text = _SECRETISH.sub(r"\1***", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class GenesysError(Exception):
    """Base of every error this library raises."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        context_id: str | None = None,
        body: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.context_id = context_id
        self.body_excerpt = scrub(body) if body else None
        self.retry_after = retry_after  # seconds the service asked to wait, if it said

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"(HTTP {self.status}")
            parts[-1] += f", contextId {self.context_id})" if self.context_id else ")"
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"


class ConfigError(GenesysError):
    exit_code = 2


class AuthError(GenesysError):
    exit_code = 3


class PermissionDenied(GenesysError):
    exit_code = 4


class BadQuery(GenesysError):
    exit_code = 5


class RateLimited(GenesysError):
    exit_code = 6


class ServerError(GenesysError):
    exit_code = 7


class PaginationError(GenesysError):
    exit_code = 8


class JobFailed(GenesysError):
    exit_code = 9

    def __init__(
        self, message: str, *, job_id: str | None = None, state: str | None = None, **kw: object
    ) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.job_id = job_id
        self.state = state


class IncompleteExport(GenesysError):
    exit_code = 10


class OutputBusy(GenesysError):
    exit_code = 11


class OutputFailed(GenesysError):
    """The output refused a write: its disk is full or unwritable, or DuckDB needed more
    memory than its cap. What was checkpointed before it is kept."""

    exit_code = 12


EXIT_CODES: dict[type[GenesysError], int] = {
    cls: cls.exit_code
    for cls in (
        GenesysError,
        ConfigError,
        AuthError,
        PermissionDenied,
        BadQuery,
        RateLimited,
        ServerError,
        PaginationError,
        JobFailed,
        IncompleteExport,
        OutputBusy,
        OutputFailed,
    )
}

__all__ = [
    "EXIT_CODES",
    "AuthError",
    "BadQuery",
    "ConfigError",
    "GenesysError",
    "IncompleteExport",
    "JobFailed",
    "OutputBusy",
    "OutputFailed",
    "PaginationError",
    "PermissionDenied",
    "RateLimited",
    "ServerError",
    "scrub",
]
