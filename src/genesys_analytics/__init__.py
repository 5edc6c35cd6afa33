"""genesys-analytics: conversation analytics out of Genesys Cloud CX, complete and paced."""

from genesys_analytics.api.client import Client
from genesys_analytics.api.paging import Page
from genesys_analytics.api.queries import Filters
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
from genesys_analytics.extraction.run import ExportResult, export

__version__ = "0.1.0"

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
