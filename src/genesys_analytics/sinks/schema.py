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
    key: tuple[str, ...]  # the logical key; enforced in DuckDB on a dataset's key tables

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
_STATUS = (
    ("record_key", "VARCHAR"),
    ("user_id", "VARCHAR"),
    ("start_time", "TIMESTAMPTZ"),
    ("end_time", "TIMESTAMPTZ"),
)
_STATUS_TAIL = (
    ("open", "BOOLEAN"),
    ("duration_ms", "BIGINT"),
    ("start_date", "DATE"),
    ("raw", "JSON"),
)
USER_PRESENCE = _t(
    "user_presence",
    ("record_key",),
    *_STATUS,
    ("system_presence", "VARCHAR"),
    ("organization_presence_id", "VARCHAR"),
    *_STATUS_TAIL,
)
USER_ROUTING_STATUS = _t(
    "user_routing_status",
    ("record_key",),
    *_STATUS,
    ("routing_status", "VARCHAR"),
    *_STATUS_TAIL,
)

_SNAPSHOT_TAIL = (("fetched_at", "TIMESTAMPTZ"), ("raw", "JSON"))
#: The media types of a queue's ``mediaSettings``, each with its service-level target.
QUEUE_MEDIA = ("call", "callback", "chat", "email", "message")
USERS = _t(
    "users",
    ("user_id",),
    ("user_id", "VARCHAR"),
    ("name", "VARCHAR"),
    ("email", "VARCHAR"),
    ("username", "VARCHAR"),
    ("state", "VARCHAR"),
    ("division_id", "VARCHAR"),
    ("department", "VARCHAR"),
    ("title", "VARCHAR"),
    ("manager_id", "VARCHAR"),
    *_SNAPSHOT_TAIL,
)
QUEUES = _t(
    "queues",
    ("queue_id",),
    ("queue_id", "VARCHAR"),
    ("name", "VARCHAR"),
    ("division_id", "VARCHAR"),
    ("description", "VARCHAR"),
    ("member_count", "INTEGER"),
    *(
        col
        for media in QUEUE_MEDIA
        for col in (
            (f"service_level_{media}_percentage", "DOUBLE"),
            (f"service_level_{media}_duration_ms", "BIGINT"),
        )
    ),
    ("acw_wrapup_prompt", "VARCHAR"),
    ("acw_timeout_ms", "BIGINT"),
    *_SNAPSHOT_TAIL,
)
QUEUE_MEMBERS = _t(
    "queue_members",
    ("member_key",),
    ("member_key", "VARCHAR"),
    ("queue_id", "VARCHAR"),
    ("user_id", "VARCHAR"),
    ("name", "VARCHAR"),
    ("joined", "BOOLEAN"),
    ("member_by", "VARCHAR"),
    ("ring_number", "INTEGER"),
    *_SNAPSHOT_TAIL,
)
WRAPUP_CODES = _t(
    "wrapup_codes",
    ("wrapup_code_id",),
    ("wrapup_code_id", "VARCHAR"),
    ("name", "VARCHAR"),
    ("division_id", "VARCHAR"),
    ("description", "VARCHAR"),
    ("system", "BOOLEAN"),
    *_SNAPSHOT_TAIL,
)
DIVISIONS = _t(
    "divisions",
    ("division_id",),
    ("division_id", "VARCHAR"),
    ("name", "VARCHAR"),
    ("description", "VARCHAR"),
    ("home_division", "BOOLEAN"),
    *_SNAPSHOT_TAIL,
)
PRESENCE_DEFINITIONS = _t(
    "presence_definitions",
    ("presence_definition_id",),
    ("presence_definition_id", "VARCHAR"),
    ("name", "VARCHAR"),
    ("system_presence", "VARCHAR"),
    ("type", "VARCHAR"),
    ("deactivated", "BOOLEAN"),
    ("division_id", "VARCHAR"),
    *_SNAPSHOT_TAIL,
)

SCHEMA: dict[str, Table] = {
    t.name: t
    for t in (
        CONVERSATIONS,
        PARTICIPANTS,
        SESSIONS,
        SEGMENTS,
        SESSION_METRICS,
        USER_PRESENCE,
        USER_ROUTING_STATUS,
        USERS,
        QUEUES,
        QUEUE_MEMBERS,
        WRAPUP_CODES,
        DIVISIONS,
        PRESENCE_DEFINITIONS,
    )
}


class Storage(Protocol):
    """How one dataset's records become rows (implemented in ``sinks/flatten.py``).

    A batch of records is written as NDJSON and staged by :meth:`stage_sql` into the temp
    table ``_batch(raw, j)``; ``child_stages`` then build any temp tables the inserts
    read; :meth:`insert_sql` fills one table. A record is replaced by deleting every row
    whose ``key_column`` is among the batch's keys (``batch_keys``), then inserting.
    ``start`` names a column of the key tables that never changes for a record (and the
    expression over ``_batch`` that computes it): the store looks for stored copies of a
    batch's keys only within the batch's range of it, which DuckDB's zone maps prune.
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
    def key_tables(self) -> tuple[str, ...]: ...  # tables with one row per record

    @property
    def snapshot(self) -> bool: ...  # replaced whole by each export that reads it

    @property
    def batch_keys(self) -> str: ...  # SELECT the staged batch's keys

    @property
    def start(self) -> tuple[str, str] | None: ...  # (column, its value over _batch) or None

    @property
    def child_stages(self) -> tuple[str, ...]: ...

    def stage_sql(self) -> str: ...

    def insert_sql(self, table: str) -> str: ...


__all__ = [
    "CONVERSATIONS",
    "DIVISIONS",
    "PARTICIPANTS",
    "PRESENCE_DEFINITIONS",
    "QUEUES",
    "QUEUE_MEDIA",
    "QUEUE_MEMBERS",
    "SCHEMA",
    "SEGMENTS",
    "SESSIONS",
    "SESSION_METRICS",
    "USERS",
    "USER_PRESENCE",
    "USER_ROUTING_STATUS",
    "WRAPUP_CODES",
    "Column",
    "Storage",
    "Table",
]
