"""genesys-analytics: conversation analytics out of Genesys Cloud CX, complete and paced."""

from genesys_analytics.api.client import Client, DetailsPage
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

__version__ = "0.1.0"

__all__ = [
    "AuthError",
    "BadQuery",
    "Client",
    "ConfigError",
    "DetailsPage",
    "GenesysError",
    "IncompleteExport",
    "JobFailed",
    "PaginationError",
    "PermissionDenied",
    "RateLimited",
    "ServerError",
    "__version__",
]
