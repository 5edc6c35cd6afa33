"""The warehouse tables: our flattened tables, with dlt hints, read out of a staging store.

Each dataset lands as the same tables, with the same columns, as in a DuckDB export
(``genesys_analytics.sinks.schema``): ``conversations`` with ``participants``,
``sessions``, ``segments`` and ``session_metrics``; ``user_presence`` and
``user_routing_status``; one table per dimension list. So a query written against an
export runs against the warehouse, and the report views' SQL carries over.

Hints, per table:

- a record's own table (one row per key: ``conversations`` by ``conversation_id``, the
  status tables by ``record_key`` = userId|kind|startTime): ``merge`` on that key, so a
  later run updates a conversation or an open status record in place;
- the child tables of a conversation: ``merge`` with ``merge_key=conversation_id`` on
  destinations that delete and insert (SQL ones: a re-read conversation's rows replace
  all of its earlier rows); on a Delta table (upsert by key) they are keyed by their own
  key instead (``conversation_id`` + participant, session, segment index or metric);
- a dimension list: ``replace``, as a DuckDB export does (decisions.md §7): the table is
  the list as read by the last run, with ``fetched_at``; a queue deleted in Genesys
  leaves the table, while users of every state (deleted ones too) stay.

JSON columns (``raw``, ``attributes``) load as the destination's JSON type; list columns
(``media_types``, ``queue_ids``, ``division_ids``) as JSON arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from genesys_analytics.extraction.datasets import Dataset
from genesys_analytics.sinks.schema import Column, Table

#: Rows per Arrow batch handed to dlt.
BATCH_ROWS = 2_000


def table_hints(dataset: Dataset, table: Table, *, table_format: str | None) -> dict[str, Any]:
    """The dlt hints of one table of ``dataset`` (see the module docstring)."""
    storage = dataset.storage
    json_columns = {c.name: {"data_type": "json"} for c in table.columns if _as_json(c)}
    hints: dict[str, Any] = {"table_name": table.name, "columns": json_columns}
    if table_format is not None:
        hints["table_format"] = table_format
    if storage.snapshot:
        hints.update(write_disposition="replace", primary_key=list(table.key))
    elif table.name in storage.key_tables:
        hints.update(write_disposition="merge", primary_key=list(table.key))
    elif table_format is None:
        hints.update(write_disposition="merge", merge_key=storage.key_column)
    else:
        hints.update(write_disposition="merge", primary_key=list(table.key))
    return hints


def arrow_batches(con: Any, table: Table, *, rows: int = BATCH_ROWS) -> Iterator[Any]:
    """``table``'s rows from a DuckDB connection as Arrow record batches, JSON and lists as
    JSON text (what every destination loads: Postgres takes Arrow through CSV)."""
    columns = ", ".join(
        f"to_json({c.name})::VARCHAR AS {c.name}" if _as_json(c) else c.name for c in table.columns
    )
    relation = con.sql(f"SELECT {columns} FROM {table.name}")
    reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch
    for batch in reader(rows):
        if batch.num_rows:
            yield batch


def _as_json(column: Column) -> bool:
    return column.sql_type == "JSON" or column.sql_type.endswith("[]")


__all__ = ["BATCH_ROWS", "arrow_batches", "table_hints"]
