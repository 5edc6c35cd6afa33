"""Flatten a batch of raw conversations inside DuckDB (the store's fast path).

The same rows as :func:`genesys_analytics.sinks.schema.flatten` (the pure-Python reference),
built by DuckDB's C++ JSON reader with SQL instead of Python loops: the store writes a
batch as NDJSON (one ``orjson`` line per conversation, which is also the lossless
``raw``), :data:`STAGE` parses it once into ``_batch(raw, j)`` with ``from_json`` and an
explicit nested type, and :func:`insert_sql` fills each table from there. It runs in
DuckDB's own threads, without the GIL.

Scalars are read as JSON and typed strictly, as the reference does: a string column
takes only JSON strings, ``value`` only numbers (floats rounded half to even),
timestamps are ``TRY_CAST`` to TIMESTAMPTZ (malformed → NULL); missing keys and JSON
nulls are NULL; unknown enum strings pass through. One known difference on malformed
input: a list element that is not an object (e.g. a number among the participants)
yields a row of NULLs here, where the reference skips it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from genesys_analytics.sinks.schema import CONVERSATIONS, SCHEMA, Table
from genesys_analytics.sinks.sql import J, as_int, as_json, as_str, as_ts, stage_batch

_SEGMENT = {
    "segmentType": J,
    "segmentStart": J,
    "segmentEnd": J,
    "queueId": J,
    "wrapUpCode": J,
    "disconnectType": J,
}
_METRIC = {"name": J, "value": J, "emitDate": J}
_SESSION = {
    "sessionId": J,
    "mediaType": J,
    "direction": J,
    "ani": J,
    "dnis": J,
    "segments": [_SEGMENT],
    "metrics": [_METRIC],
}
_PARTICIPANT = {
    "participantId": J,
    "purpose": J,
    "userId": J,
    "participantName": J,
    "attributes": J,
    "sessions": [_SESSION],
}
#: The parts of a conversation the tables use, as a ``from_json`` structure.
STRUCTURE: dict[str, Any] = {
    "conversationId": J,
    "conversationStart": J,
    "conversationEnd": J,
    "originatingDirection": J,
    "divisionIds": [J],
    "participants": [_PARTICIPANT],
}


#: Enough for a raw-only staging table (JSON Lines): the id and the sort key.
KEYS_STRUCTURE: dict[str, Any] = {"conversationId": J, "conversationStart": J}


_DISTINCT_SORTED = (
    "coalesce(list_sort(list_distinct(list_filter({}, lambda v: v IS NOT NULL))), [])"
)
_MEDIA = _DISTINCT_SORTED.format(
    "flatten(list_transform(j.participants, lambda p: "
    f"list_transform(p.sessions, lambda s: {as_str('s.mediaType')})))"
)
_QUEUES = _DISTINCT_SORTED.format(
    "flatten(flatten(list_transform(j.participants, lambda p: list_transform(p.sessions, "
    f"lambda s: list_transform(s.segments, lambda g: {as_str('g.queueId')})))))"
)
_DIVISIONS = (
    "list_transform(list_filter(j.divisionIds, lambda d: json_type(d) = 'VARCHAR'), "
    "lambda d: json_extract_string(d, '$'))"
)

_CONVERSATIONS = f"""
    SELECT cid, st, en, en IS NULL, od, media,
           list_filter(divs, lambda d, i: list_position(divs, d) = i), queues, pc,
           TRY_CAST(round_even((epoch_us(en) - epoch_us(st)) / 1000.0, 0) AS BIGINT),
           st::DATE, raw
    FROM (SELECT {as_str("j.conversationId")} AS cid, {as_ts("j.conversationStart")} AS st,
                 {as_ts("j.conversationEnd")} AS en, {as_str("j.originatingDirection")} AS od,
                 {_MEDIA} AS media, coalesce({_DIVISIONS}, []) AS divs, {_QUEUES} AS queues,
                 coalesce(len(list_filter(j.participants, lambda p: p IS NOT NULL)), 0) AS pc,
                 raw
          FROM _batch)
"""

#: Child rows go through two temp tables, each unnested once per batch.
CHILD_STAGES = (
    "CREATE OR REPLACE TEMP TABLE _participants AS SELECT cid, p FROM "
    f"(SELECT {as_str('j.conversationId')} AS cid, unnest(j.participants) AS p FROM _batch) "
    "WHERE p IS NOT NULL",
    "CREATE OR REPLACE TEMP TABLE _sessions AS SELECT cid, pid, s FROM "
    f"(SELECT cid, {as_str('p.participantId')} AS pid, unnest(p.sessions) AS s "
    "FROM _participants) WHERE s IS NOT NULL",
)

_SELECTS: dict[str, str] = {
    "conversations": _CONVERSATIONS,
    "participants": f"""
        SELECT cid, {as_str("p.participantId")}, {as_str("p.purpose")}, {as_str("p.userId")},
               {as_str("p.participantName")}, {as_json("p.attributes")}
        FROM _participants
    """,
    "sessions": f"""
        SELECT cid, pid, {as_str("s.sessionId")}, {as_str("s.mediaType")}, {as_str("s.direction")},
               {as_str("s.ani")}, {as_str("s.dnis")}
        FROM _sessions
    """,
    "segments": f"""
        SELECT cid, sid, i, {as_str("g.segmentType")}, {as_ts("g.segmentStart")},
               {as_ts("g.segmentEnd")}, {as_str("g.queueId")}, {as_str("g.wrapUpCode")},
               {as_str("g.disconnectType")}
        FROM (SELECT cid, {as_str("s.sessionId")} AS sid,
                     generate_subscripts(s.segments, 1) - 1 AS i, unnest(s.segments) AS g
              FROM _sessions)
        WHERE g IS NOT NULL
    """,
    "session_metrics": f"""
        SELECT cid, sid, {as_str("m.name")}, {as_int("m.value")}, {as_ts("m.emitDate")}
        FROM (SELECT cid, {as_str("s.sessionId")} AS sid, unnest(s.metrics) AS m FROM _sessions)
        WHERE m IS NOT NULL
    """,
}


_KEYS_ONLY = f"""
    SELECT {as_str("j.conversationId")}, st, st::DATE, raw
    FROM (SELECT j, raw, {as_ts("j.conversationStart")} AS st FROM _batch)
"""


@dataclass(frozen=True)
class ConversationStorage:
    """The ``conversations`` dataset: five tables keyed by ``conversation_id``."""

    dataset: str = "conversations"
    tables: tuple[Table, ...] = tuple(SCHEMA[name] for name in _SELECTS)
    key_tables: tuple[str, ...] = ("conversations",)
    snapshot: bool = False
    key_field: str = "conversationId"
    key_column: str = "conversation_id"
    batch_keys: str = f"SELECT {as_str('j.conversationId')} FROM _batch"
    child_stages: tuple[str, ...] = CHILD_STAGES
    #: A conversation's start never changes: stored copies are looked for in the batch's range.
    start: tuple[str, str] | None = ("conversation_start", as_ts("j.conversationStart"))

    def stage_sql(self, *, raw_only: bool = False) -> str:
        """Parse the NDJSON batch file (parameter 1) into ``_batch(raw, j)``, in file order."""
        return stage_batch(KEYS_STRUCTURE if raw_only else STRUCTURE)

    def insert_sql(self, table: str, *, raw_only: bool = False) -> str:
        """``INSERT INTO <table> SELECT ...`` from the staged batch (after the stages it needs).

        ``raw_only`` fills only ``conversation_id``, ``conversation_start``,
        ``conversation_date`` and ``raw`` of ``conversations``.
        """
        if raw_only:
            if table != CONVERSATIONS.name:
                raise ValueError("raw_only stages the conversations table only")
            cols = "conversation_id, conversation_start, conversation_date, raw"
            return f"INSERT INTO conversations ({cols}) {_KEYS_ONLY}"
        names = ", ".join(SCHEMA[table].names)
        return f"INSERT INTO {table} ({names}) {_SELECTS[table]}"


CONVERSATIONS_STORAGE = ConversationStorage()


__all__ = ["CONVERSATIONS_STORAGE", "KEYS_STRUCTURE", "STRUCTURE", "ConversationStorage"]
