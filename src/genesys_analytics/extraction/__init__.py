"""Extraction: datasets, planning, fetching and the one export engine, behind ``export()``.

The names below load on first use, so that importing a submodule does not load DuckDB
with the sinks; the CLI's ``--help`` reads the dataset names from ``DATASET_NAMES``.
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

#: Every dataset's name, in the order ``datasets.DATASETS`` declares them: what the CLI's
#: ``--help`` lists without loading the datasets (their queries, schemas and SQL).
DATASET_NAMES = (
    "conversations",
    "user-details",
    "users",
    "queues",
    "queue-members",
    "wrapup-codes",
    "divisions",
    "presence-definitions",
)


__all__ = ["DATASETS", "DATASET_NAMES", "Dataset", "ExportResult", "export"]
