"""Where an export goes: DuckDB (any dataset), or Parquet, JSON Lines and CSV files."""

from genesys_analytics.sinks.files import FORMATS, Format, Sink, open_sink

__all__ = ["FORMATS", "Format", "Sink", "open_sink"]
