"""The ``conversations`` dataset's storage: five tables keyed by ``conversation_id``.

Its records are not flattened in SQL as the other datasets' are: :meth:`arrow_tables`
builds the tables from a batch's JSON lines with Arrow's JSON reader
(:func:`genesys_analytics.sinks.ndjson.conversation_tables_json`, the flattener the CSV and
Parquet files use too), on the thread that writes, and the store inserts them as they are
(DuckDB scans Arrow tables without copying). The rows are those of the pure-Python
reference (``tests/sinks/reference.py``), with the same typing rules: a string column takes
only JSON strings, ``value`` only numbers (floats rounded half to even), timestamps only
parseable strings (else NULL), a list element that is not an object is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from genesys_analytics.sinks.columns import TABLES
from genesys_analytics.sinks.ndjson import conversation_tables_json
from genesys_analytics.sinks.schema import SCHEMA, Table

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class ConversationStorage:
    """The ``conversations`` dataset: five tables keyed by ``conversation_id``."""

    dataset: str = "conversations"
    tables: tuple[Table, ...] = tuple(SCHEMA[name] for name in TABLES)
    key_tables: tuple[str, ...] = ("conversations",)
    snapshot: bool = False
    key_field: str = "conversationId"
    key_column: str = "conversation_id"
    batch_keys: str = "SELECT conversation_id FROM _batch_conversations"  # the Arrow table
    child_stages: tuple[str, ...] = ()
    #: A conversation's start never changes: stored copies are looked for in the batch's range.
    start: tuple[str, str] | None = ("conversation_start", "conversation_start")

    def arrow_tables(self, lines: Sequence[bytes]) -> dict[str, pa.Table]:
        """The tables of a batch of records, each as ``orjson.dumps`` wrote it."""
        return conversation_tables_json(lines)

    def columns(self, table: str) -> tuple[str, ...]:
        """The columns of ``table`` a store fills."""
        return SCHEMA[table].names

    def stage_sql(self) -> str:
        raise ValueError("conversations are flattened by Arrow (arrow_tables), not staged in SQL")

    def insert_sql(self, table: str) -> str:
        raise ValueError("conversations are flattened by Arrow (arrow_tables), not staged in SQL")


CONVERSATIONS_STORAGE = ConversationStorage()


__all__ = ["CONVERSATIONS_STORAGE", "ConversationStorage"]
