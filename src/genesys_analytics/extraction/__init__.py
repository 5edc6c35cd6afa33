"""Extraction: datasets, planning, fetching and the one export engine, behind ``export()``.

The names below load on first use, so that importing a submodule (the CLI's ``--help``
reads the dataset names) does not load DuckDB with the sinks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genesys_analytics.lazy import lazy_names

if TYPE_CHECKING:
    from genesys_analytics.extraction.datasets import DATASETS, Dataset
    from genesys_analytics.extraction.run import ExportResult, export

_LAZY = {
    "DATASETS": "genesys_analytics.extraction.datasets",
    "Dataset": "genesys_analytics.extraction.datasets",
    "ExportResult": "genesys_analytics.extraction.run",
    "export": "genesys_analytics.extraction.run",
}


__getattr__, __dir__ = lazy_names(globals(), _LAZY)


__all__ = ["DATASETS", "Dataset", "ExportResult", "export"]
