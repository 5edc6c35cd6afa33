"""Where an export goes: DuckDB (any dataset), or Parquet, JSON Lines and CSV files.

``FORMATS`` is defined here, without importing DuckDB; ``Sink`` and ``open_sink`` load
the sinks (and DuckDB) on first use, so the CLI can list the formats in ``--help``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from genesys_analytics.lazy import lazy_names

Format = Literal["duckdb", "parquet", "jsonl", "csv"]
FORMATS: tuple[str, ...] = get_args(Format)
#: Where each format goes when no output is named.
DEFAULT_OUT = {
    "duckdb": "genesys.duckdb",
    "parquet": "genesys-parquet",
    "jsonl": "genesys-jsonl",
    "csv": "genesys-csv",
}

if TYPE_CHECKING:
    from genesys_analytics.sinks.files import Sink, open_sink


__getattr__, __dir__ = lazy_names(
    globals(),
    {"Sink": "genesys_analytics.sinks.files", "open_sink": "genesys_analytics.sinks.files"},
)


__all__ = ["DEFAULT_OUT", "FORMATS", "Format", "Sink", "open_sink"]
