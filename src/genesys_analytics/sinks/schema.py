"""The tables of every dataset: the one place that names columns and their DuckDB types.

:data:`SCHEMA` lists every table; a :class:`Storage` says which tables one dataset fills
and how (the SQL lives in :mod:`genesys_analytics.sinks.flatten`). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the logical key; only ``conversations`` enforces it in DuckDB

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _t(name: str, key: tuple[str, ...], *cols: tuple[str, str]) -> Table:
    return Table(name, tuple(Column(n, t) for n, t in cols), key)


CONVERSATIONS = _t(
    "conversations",
    ("conversation_id",),
    ("conversation_id", "VARCHAR"),
    ("conversation_start", "TIMESTAMPTZ"),
    ("conversation_end", "TIMESTAMPTZ"),
    ("ongoing", "BOOLEAN"),
    ("originating_direction", "VARCHAR"),
    ("media_types", "VARCHAR[]"),
    ("division_ids", "VARCHAR[]"),
    ("queue_ids", "VARCHAR[]"),
    ("participant_count", "INTEGER"),
    ("duration_ms", "BIGINT"),
    ("conversation_date", "DATE"),
    ("raw", "JSON"),
)
PARTICIPANTS = _t(
    "participants",
    ("conversation_id", "participant_id"),
    ("conversation_id", "VARCHAR"),
    ("participant_id", "VARCHAR"),
    ("purpose", "VARCHAR"),
    ("user_id", "VARCHAR"),
    ("participant_name", "VARCHAR"),
    ("attributes", "JSON"),
)
SESSIONS = _t(
    "sessions",
    ("conversation_id", "session_id"),
    ("conversation_id", "VARCHAR"),
    ("participant_id", "VARCHAR"),
    ("session_id", "VARCHAR"),
    ("media_type", "VARCHAR"),
    ("direction", "VARCHAR"),
    ("ani", "VARCHAR"),
    ("dnis", "VARCHAR"),
)
SEGMENTS = _t(
    "segments",
    ("conversation_id", "session_id", "segment_index"),
    ("conversation_id", "VARCHAR"),
    ("session_id", "VARCHAR"),
    ("segment_index", "INTEGER"),
    ("segment_type", "VARCHAR"),
    ("segment_start", "TIMESTAMPTZ"),
    ("segment_end", "TIMESTAMPTZ"),
    ("queue_id", "VARCHAR"),
    ("wrap_up_code", "VARCHAR"),
    ("disconnect_type", "VARCHAR"),
)
SESSION_METRICS = _t(
    "session_metrics",
    ("conversation_id", "session_id", "name", "emit_date"),
    ("conversation_id", "VARCHAR"),
    ("session_id", "VARCHAR"),
    ("name", "VARCHAR"),
    ("value", "BIGINT"),
    ("emit_date", "TIMESTAMPTZ"),
)

#: Every table, in the order a sink creates and fills them (``conversations`` first).
SCHEMA: dict[str, Table] = {
    t.name: t for t in (CONVERSATIONS, PARTICIPANTS, SESSIONS, SEGMENTS, SESSION_METRICS)
}


class Storage(Protocol):
    """How one dataset's records become rows (implemented in ``sinks/flatten.py``).

    A batch of records is written as NDJSON and staged by :meth:`stage_sql` into the temp
    table ``_batch(raw, j)``; ``child_stages`` then build any temp tables the inserts
    read; :meth:`insert_sql` fills one table. A record is replaced by deleting every row
    whose ``key_column`` is among the batch's keys (``batch_keys``), then inserting.
    ``raw_only`` staging keeps just the key, the sort time, the date and ``raw`` of the
    first table (all that a JSON Lines file needs).
    """

    @property
    def dataset(self) -> str: ...  # the name of the dataset stored

    @property
    def tables(self) -> tuple[Table, ...]: ...  # the first holds one row per record

    @property
    def key_field(self) -> str: ...  # the record field that identifies a record

    @property
    def key_column(self) -> str: ...  # that field's column, in every table

    @property
    def batch_keys(self) -> str: ...  # SELECT the staged batch's keys

    @property
    def child_stages(self) -> tuple[str, ...]: ...

    def stage_sql(self, *, raw_only: bool = False) -> str: ...

    def insert_sql(self, table: str, *, raw_only: bool = False) -> str: ...


__all__ = [
    "CONVERSATIONS",
    "PARTICIPANTS",
    "SCHEMA",
    "SEGMENTS",
    "SESSIONS",
    "SESSION_METRICS",
    "Column",
    "Storage",
    "Table",
]
