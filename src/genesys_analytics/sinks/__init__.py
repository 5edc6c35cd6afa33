"""Where an export goes: DuckDB (any dataset), or Parquet, JSON Lines and CSV files.

``FORMATS`` is defined here, without importing DuckDB; ``Sink`` and ``open_sink`` load
the sinks (and DuckDB) on first use, so the CLI can list the formats in ``--help``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Literal, get_args

Format = Literal["duckdb", "parquet", "jsonl", "csv"]
FORMATS: tuple[str, ...] = get_args(Format)
#: Where each format goes when no output is named.
DEFAULT_OUT = {
    "duckdb": "genesys.duckdb",
    "parquet": "genesys-parquet",
    "jsonl": "genesys.jsonl",
    "csv": "genesys.csv",
}

if TYPE_CHECKING:
    from genesys_analytics.sinks.files import Sink, open_sink


def __getattr__(name: str) -> object:
    if name not in ("Sink", "open_sink"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module("genesys_analytics.sinks.files"), name)
    globals()[name] = value
    return value


__all__ = ["DEFAULT_OUT", "FORMATS", "Format", "Sink", "open_sink"]
