"""genesys-analytics: conversation analytics out of Genesys Cloud CX, complete and paced."""

from __future__ import annotations

from typing import TYPE_CHECKING

from genesys_analytics.errors import (
    AuthError,
    BadQuery,
    ConfigError,
    GenesysError,
    IncompleteExport,
    JobFailed,
    OutputBusy,
    OutputFailed,
    PaginationError,
    PermissionDenied,
    RateLimited,
    ServerError,
)
from genesys_analytics.lazy import lazy_names

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


__getattr__, __dir__ = lazy_names(globals(), _LAZY)


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
    "OutputBusy",
    "OutputFailed",
    "Page",
    "PaginationError",
    "PermissionDenied",
    "RateLimited",
    "ServerError",
    "__version__",
    "export",
]
