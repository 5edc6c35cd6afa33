"""Extraction: datasets, planning, fetching and the one export engine, behind ``export()``.

The names below load on first use, so that importing a submodule (the CLI's ``--help``
reads the dataset names) does not load DuckDB with the sinks.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genesys_analytics.extraction.datasets import DATASETS, Dataset
    from genesys_analytics.extraction.run import ExportResult, export

_LAZY = {
    "DATASETS": "genesys_analytics.extraction.datasets",
    "Dataset": "genesys_analytics.extraction.datasets",
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


__all__ = ["DATASETS", "Dataset", "ExportResult", "export"]
