"""Where a DuckDB store finds the stored copies of a batch's keys: what is new, what changed.

A batch is upserted by key: the stored copies of its keys are deleted before it is
inserted, in the same transaction (the store's module doc). The lookup is limited to the
batch's range of the storage's ``start`` column (:func:`batch_range`): a record's start never
changes, and DuckDB skips the row groups outside the range by their min/max, so it costs
what the range holds, not what the file holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from genesys_analytics.sinks.schema import Storage, Table

#: Where a stored copy of a batch's record can be: within the range of the batch's start.
WITHIN = " AND ({0} BETWEEN ? AND ? OR {0} IS NULL)"


def batch_range(con: duckdb.DuckDBPyConnection, storage: Storage) -> tuple[str, list[Any]]:
    """A filter (and its parameters) that limits the lookup of stored keys to the ``start``
    range of the batch staged as ``_batch``. Rows stored without a start are always looked
    at; a batch with a record without one looks everywhere."""
    if storage.start is None:
        return "", []
    column, value = storage.start
    row = con.execute(
        f"SELECT min({value}), max({value}), count(*) - count({value}) FROM _batch"
    ).fetchone()
    if row is None or row[0] is None or row[2]:
        return "", []
    return WITHIN.format(column), [row[0], row[1]]


def replace_stored(
    con: duckdb.DuckDBPyConnection,
    storage: Storage,
    tables: Sequence[Table],
    keys: str,
    batch: str,
    within: str,
    bounds: list[Any],
) -> tuple[int, int]:
    """Delete the stored copies of the batch's keys from ``tables``; how many were stored,
    and how many of those differ from the batch's copy (by ``raw``).

    ``keys`` selects the batch's keys, ``batch`` its ``(k, raw)`` pairs; ``within`` and
    ``bounds`` limit the lookup among stored rows (:func:`batch_range`).
    """
    key = storage.key_column
    stored = f"{key} IN ({keys})"
    keyed = [t.name for t in tables if t.name in storage.key_tables]
    # Keys first: reading ``raw`` costs what the range holds, and a first run finds none.
    held = " UNION ALL ".join(
        f"SELECT {key} AS k FROM {name} WHERE {stored}{within}" for name in keyed
    )
    found = con.execute(f"SELECT count(*) FROM ({held})", bounds * len(keyed)).fetchone()
    existing = found[0] if found else 0
    if not existing:
        return 0, 0
    updated = _updated(con, storage, keyed, stored + within, bounds, batch)
    for table in tables:
        if table.name in keyed:
            con.execute(f"DELETE FROM {table.name} WHERE {stored}{within}", bounds)
        else:
            con.execute(f"DELETE FROM {table.name} WHERE {stored}")
    return existing, updated


def _updated(
    con: duckdb.DuckDBPyConnection,
    storage: Storage,
    keyed: list[str],
    where: str,
    bounds: list[Any],
    batch: str,
) -> int:
    """How many of the batch's records differ from their stored copy (by ``raw``)."""
    held = " UNION ALL ".join(
        f"SELECT {storage.key_column} AS k, raw FROM {name} WHERE {where}" for name in keyed
    )
    row = con.execute(
        "SELECT count(*) FILTER (WHERE h.raw::VARCHAR IS DISTINCT FROM b.raw::VARCHAR) "
        f"FROM ({held}) h JOIN ({batch}) b USING (k)",
        bounds * len(keyed),
    ).fetchone()
    return row[0] if row else 0


__all__ = ["WITHIN", "batch_range", "replace_stored"]
