"""genesys-analytics: conversation analytics out of Genesys Cloud CX, complete and paced."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from genesys_analytics.errors import (
    AuthError,
    BadQuery,
    ConfigError,
    GenesysError,
    IncompleteExport,
    JobFailed,
    PaginationError,
    PermissionDenied,
    RateLimited,
    ServerError,
)

if TYPE_CHECKING:
    from genesys_analytics.api.client import Client
    from genesys_analytics.api.paging import Page
    from genesys_analytics.api.queries import Filters
    from genesys_analytics.extraction.run import ExportResult, export

__version__ = "0.1.0"

# Loaded on first use, so that importing a submodule (the CLI's --help, the emulator, the
# errors) does not load the client and httpx with it.
_LAZY = {
    "Client": "genesys_analytics.api.client",
    "Page": "genesys_analytics.api.paging",
    "Filters": "genesys_analytics.api.queries",
    "ExportResult": "genesys_analytics.extraction.run",
    "export": "genesys_analytics.extraction.run",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "AuthError",
    "BadQuery",
    "Client",
    "ConfigError",
    "ExportResult",
    "Filters",
    "GenesysError",
    "IncompleteExport",
    "JobFailed",
    "Page",
    "PaginationError",
    "PermissionDenied",
    "RateLimited",
    "ServerError",
    "__version__",
    "export",
]
