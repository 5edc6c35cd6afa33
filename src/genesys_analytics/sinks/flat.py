"""Storage for datasets whose records each become one row: user details, dimension lists.

A :class:`FlatStorage` names its tables, the record field and column that key a record,
the ``from_json`` structure of the fields it reads, and one ``SELECT`` per table over the
staged batch ``_batch(raw, j)``. A record goes to every table whose ``SELECT`` keeps it
(user details: a presence record to ``user_presence``, a routing record to
``user_routing_status``), so every table holds at most one row per key. Snapshot
storages (``snapshot=True``) are replaced whole when their chunk is checkpointed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genesys_analytics.sinks.schema import SCHEMA, Table
from genesys_analytics.sinks.sql import as_str, stage_batch


@dataclass(frozen=True)
class FlatStorage:
    dataset: str
    key_field: str
    key_column: str
    structure: dict[str, Any] = field(repr=False)
    selects: Mapping[str, str] = field(repr=False)  # table → SELECT (columns in table order)
    snapshot: bool = False
    child_stages: tuple[str, ...] = ()
    #: With several tables: the record field whose value, one per table in order, says
    #: which table a record goes to (what the ``selects`` decide in SQL). JSON Lines uses it.
    route: tuple[str, tuple[str, ...]] | None = None
    start: tuple[str, str] | None = None  # see Storage.start: none, every lookup is whole

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(SCHEMA[name] for name in self.selects)

    @property
    def key_tables(self) -> tuple[str, ...]:
        return tuple(self.selects)

    @property
    def batch_keys(self) -> str:
        return f"SELECT {as_str('j.' + self.key_field)} FROM _batch"

    def stage_sql(self) -> str:
        return stage_batch(self.structure)

    def insert_sql(self, table: str) -> str:
        names = ", ".join(SCHEMA[table].names)
        return f"INSERT INTO {table} ({names}) {self.selects[table]}"


__all__ = ["FlatStorage"]
