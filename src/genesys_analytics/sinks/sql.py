"""SQL that types a batch of JSON records inside DuckDB: the pieces every storage uses.

A batch is an NDJSON file; :func:`stage_batch` parses it once into ``_batch(raw, j)``
with ``from_json`` and an explicit structure (each leaf ``JSON``), and the typed columns
are read from ``j`` strictly: a string column takes only JSON strings, an integer only
numbers (floats rounded half to even), a timestamp only a parseable string; anything
else is NULL, never an error.
"""

from __future__ import annotations

from typing import Any

import orjson

J = "JSON"


def stage_batch(structure: dict[str, Any]) -> str:
    """Parse the NDJSON batch file (parameter 1) into ``_batch(raw, j)``, in file order."""
    literal = orjson.dumps(structure).decode().replace("'", "''")
    return (
        "CREATE OR REPLACE TEMP TABLE _batch AS "
        f"SELECT raw, from_json(raw, '{literal}') AS j "
        "FROM (SELECT unnest(string_split(content, chr(10))) AS raw FROM read_text(?)) "
        "WHERE raw <> ''"
    )


def as_str(x: str) -> str:
    """A JSON value as VARCHAR when it is a JSON string, else NULL."""
    return f"CASE WHEN json_type({x}) = 'VARCHAR' THEN json_extract_string({x}, '$') END"


def as_ts(x: str) -> str:
    return f"TRY_CAST({as_str(x)} AS TIMESTAMPTZ)"


def as_int(x: str) -> str:
    return (
        f"CASE json_type({x}) WHEN 'BIGINT' THEN TRY_CAST({x} AS BIGINT) "
        f"WHEN 'UBIGINT' THEN TRY_CAST({x} AS BIGINT) "
        f"WHEN 'DOUBLE' THEN TRY_CAST(round_even(TRY_CAST({x} AS DOUBLE), 0) AS BIGINT) END"
    )


def as_float(x: str) -> str:
    numeric = "('BIGINT', 'UBIGINT', 'DOUBLE')"
    return f"CASE WHEN json_type({x}) IN {numeric} THEN TRY_CAST({x} AS DOUBLE) END"


def as_bool(x: str) -> str:
    return f"CASE WHEN json_type({x}) = 'BOOLEAN' THEN TRY_CAST({x} AS BOOLEAN) END"


def as_json(x: str) -> str:
    return f"CASE WHEN json_type({x}) <> 'NULL' THEN {x} END"


__all__ = ["J", "as_bool", "as_float", "as_int", "as_json", "as_str", "as_ts", "stage_batch"]
