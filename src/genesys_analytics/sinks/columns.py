"""Conversations → one Arrow table per table, typed as the schema says (the columnar flatten).

:func:`conversation_tables` turns a batch of conversation records (dicts, as parsed from
the API's JSON) into ``conversations``, ``participants``, ``sessions``, ``segments`` and
``session_metrics`` as ``pyarrow.Table`` objects whose columns are exactly those of
:data:`genesys_analytics.sinks.schema.SCHEMA` (names, order), with Arrow types that match
the DuckDB types (:func:`arrow_schema`). The DuckDB store inserts them as they are; file
sinks can write them as CSV or Parquet.

The typing rules are those of the rest of the project (``tests/sinks/reference.py`` is
the oracle): a string column takes only JSON strings, an integer only numbers (floats
rounded half to even; beyond BIGINT → NULL), a timestamp only a string that parses as an
ISO 8601 time (else NULL); a missing key or a JSON null is NULL; a list element that is
not an object is skipped (a segment's index still counts it); ``raw`` is the record as
compact JSON, losslessly. Unknown enum strings pass through.

How: Arrow converts the whole batch of dicts into one nested array in C++ (only the
fields the tables use, each typed strictly), and the tables are cut from it with vector
operations; Python only re-encodes each record (``raw``) and each participant's
``attributes`` as JSON. A batch Arrow refuses, or would type too loosely (a boolean
metric value), is first cleaned record by record (:func:`_clean`, the rules above in
Python). The column operations and types are :mod:`genesys_analytics.sinks.vectors`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

import orjson

from genesys_analytics.sinks.schema import SCHEMA
from genesys_analytics.sinks.vectors import (
    arrow_schema,
    arrow_type,
    bigint,
    children,
    distinct_sorted,
    duration_ms,
    timestamps,
)

if TYPE_CHECKING:  # pyarrow is imported when a batch is flattened, not with the package
    import pyarrow as pa

_INT64 = (-(2**63), 2**63 - 1)

#: The conversation tables, in the order :func:`conversation_tables` returns them.
TABLES = ("conversations", "participants", "sessions", "segments", "session_metrics")


def conversation_tables(records: Iterable[Mapping[str, Any]]) -> dict[str, pa.Table]:
    """The rows of ``records`` as one Arrow table per conversation table (see module doc).

    Keys are :data:`TABLES`, in that order; each table has the columns of its
    :data:`SCHEMA` entry. Rows come in the order of the records.
    """
    import pyarrow as pa

    convs = records if isinstance(records, list) else list(records)
    raws = [orjson.dumps(c) for c in convs]
    divisions = pa.array([_divisions(c.get("divisionIds")) for c in convs], pa.list_(pa.string()))
    return cut_tables(
        _nested(convs, raws), pa.array(raws, pa.string()), divisions, _attributes(convs), convs
    )


def cut_tables(
    nested: pa.StructArray,
    raw: pa.Array,
    divisions: pa.Array,
    attributes: pa.Array,
    convs: list[Mapping[str, Any]] | None = None,
) -> dict[str, pa.Table]:
    """The tables from a batch as one nested array of :func:`nested_type` (see the module
    doc), with what Arrow does not cut: each record as JSON (``raw``), its division ids
    (each once, in order) and each participant object's ``attributes`` as JSON. ``convs``,
    the records as dicts, is needed only when a list of participants holds something other
    than an object (it is not counted)."""
    import pyarrow as pa

    columns = _Cut(convs, nested).columns(raw, divisions, attributes)
    return {
        name: pa.Table.from_arrays(columns[name], schema=arrow_schema(SCHEMA[name]))
        for name in TABLES
    }


@cache
def nested_type(value: str, *, attributes: bool = False) -> pa.DataType:
    """The parts of a conversation the tables use, every leaf a string but ``value``; with
    ``attributes``, a participant's ``attributes`` as an object of no fields (which says
    whether a participant has them: :mod:`.ndjson` reads only those records in Python)."""
    import pyarrow as pa

    def struct(*names: str, **lists: pa.DataType) -> pa.DataType:
        fields = [(n, pa.string()) for n in names] + [(n, pa.list_(t)) for n, t in lists.items()]
        return pa.struct(fields)

    segment = struct(
        "segmentType", "segmentStart", "segmentEnd", "queueId", "wrapUpCode", "disconnectType"
    )
    metric = pa.struct(
        [("name", pa.string()), ("value", arrow_type(value)), ("emitDate", pa.string())]
    )
    session = struct(
        "sessionId", "mediaType", "direction", "ani", "dnis", segments=segment, metrics=metric
    )
    participant = struct("participantId", "purpose", "userId", "participantName", sessions=session)
    if attributes:
        participant = pa.struct([*participant, pa.field("attributes", pa.struct([]))])
    return struct(
        "conversationId",
        "conversationStart",
        "conversationEnd",
        "originatingDirection",
        participants=participant,
    )


#: In compact JSON, what a boolean metric value looks like (Arrow would take it as 1.0/0.0).
_BOOLEAN_VALUES = (b'"value":true', b'"value":false')


def _nested(convs: list[Mapping[str, Any]], raws: list[bytes]) -> pa.StructArray:
    """The batch as one nested array: straight from the dicts, or from cleaned copies.

    Straight, ``value`` is a DOUBLE (integers beyond 2**53 make Arrow refuse the batch);
    cleaned, it is a BIGINT already rounded.
    """
    import pyarrow as pa

    if not any(b in raw for raw in raws for b in _BOOLEAN_VALUES):
        try:
            return pa.array(convs, nested_type("DOUBLE"))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass  # some field holds a type its column does not take
    return pa.array([_clean(c) for c in convs], nested_type("BIGINT"))


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _dicts(value: Any, clean: Callable[[dict[str, Any]], dict[str, Any]]) -> list[Any] | None:
    """A list's objects cleaned, anything else in it None (skipped, but still counted)."""
    if not isinstance(value, list):
        return None
    return [clean(v) if isinstance(v, dict) else None for v in value]


def _clean(conv: Mapping[str, Any]) -> dict[str, Any]:
    """What the tables use of ``conv``, each value of its column's type or None."""
    fields = ("conversationId", "conversationStart", "conversationEnd", "originatingDirection")
    out: dict[str, Any] = {k: _s(conv.get(k)) for k in fields}
    out["participants"] = _dicts(conv.get("participants"), _clean_participant)
    return out


def _clean_participant(p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: _s(p.get(k)) for k in ("participantId", "purpose", "userId", "participantName")
    }
    out["sessions"] = _dicts(p.get("sessions"), _clean_session)
    return out


def _clean_session(s: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: _s(s.get(k)) for k in ("sessionId", "mediaType", "direction", "ani", "dnis")
    }
    segment = ("segmentType", "segmentStart", "segmentEnd", "queueId", "wrapUpCode")
    out["segments"] = _dicts(
        s.get("segments"), lambda g: {k: _s(g.get(k)) for k in (*segment, "disconnectType")}
    )
    out["metrics"] = _dicts(
        s.get("metrics"),
        lambda m: {
            "name": _s(m.get("name")),
            "value": _int(m.get("value")),
            "emitDate": _s(m.get("emitDate")),
        },
    )
    return out


class _Cut:
    """The tables' columns, cut from the nested array of a batch with vector operations."""

    def __init__(self, convs: list[Mapping[str, Any]] | None, nested: pa.StructArray) -> None:
        self.convs = convs
        self.nested = nested

    def columns(
        self, raw: pa.Array, divisions: pa.Array, attributes: pa.Array
    ) -> dict[str, list[pa.Array]]:
        import pyarrow as pa

        convs, nested = self.convs, self.nested
        n = len(nested)
        cid = nested.field("conversationId")
        starts = timestamps(nested.field("conversationStart"))
        ends = timestamps(nested.field("conversationEnd"))
        # participants: of which conversation (p_conv), only the objects
        plist = nested.field("participants")
        parts, p_conv = children(plist)
        if len(parts) != len(plist.flatten()):  # something else in a list: not counted
            if convs is None:
                raise ValueError("a list of participants holds a null: pass the records")
            counts = pa.array(
                [sum(type(p) is dict for p in _list(c.get("participants"))) for c in convs],
                pa.int32(),
            )
        else:
            counts = plist.value_lengths().fill_null(0)
        p_cid = cid.take(p_conv)
        participants = [
            p_cid,
            parts.field("participantId"),
            parts.field("purpose"),
            parts.field("userId"),
            parts.field("participantName"),
            attributes,
        ]
        sess, s_part = children(parts.field("sessions"))
        s_conv = p_conv.take(s_part)
        s_cid = cid.take(s_conv)
        sid = sess.field("sessionId")
        sessions = [
            s_cid,
            parts.field("participantId").take(s_part),
            sid,
            sess.field("mediaType"),
            sess.field("direction"),
            sess.field("ani"),
            sess.field("dnis"),
        ]
        segs, g_sess, g_index = children(sess.field("segments"), index=True)
        g_conv = s_conv.take(g_sess)
        segments = [
            cid.take(g_conv),
            sid.take(g_sess),
            g_index,
            segs.field("segmentType"),
            timestamps(segs.field("segmentStart")),
            timestamps(segs.field("segmentEnd")),
            segs.field("queueId"),
            segs.field("wrapUpCode"),
            segs.field("disconnectType"),
        ]
        mets, m_sess = children(sess.field("metrics"))
        metrics = [
            s_cid.take(m_sess),
            sid.take(m_sess),
            mets.field("name"),
            bigint(mets.field("value")),
            timestamps(mets.field("emitDate")),
        ]
        conversations = [
            cid,
            starts,
            ends,
            ends.is_null(),
            nested.field("originatingDirection"),
            distinct_sorted(n, s_conv, sess.field("mediaType")),
            divisions,
            distinct_sorted(n, g_conv, segs.field("queueId")),
            counts,
            duration_ms(starts, ends),
            starts.cast(pa.date32()),
            raw,
        ]
        return {
            "conversations": conversations,
            "participants": participants,
            "sessions": sessions,
            "segments": segments,
            "session_metrics": metrics,
        }


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _divisions(value: Any) -> list[str]:
    """A conversation's division ids: its strings, each once, in order."""
    if type(value) is not list:
        return []
    return list(dict.fromkeys(v for v in value if isinstance(v, str)))


def _attributes(convs: list[Mapping[str, Any]]) -> pa.Array:
    """Each participant object's ``attributes`` as compact JSON text (a JSON null: NULL)."""
    import pyarrow as pa

    dumps = orjson.dumps
    return pa.array(
        [
            None if (a := p.get("attributes")) is None else dumps(a)
            for c in convs
            if type(ps := c.get("participants")) is list
            for p in ps
            if type(p) is dict
        ],
        pa.string(),
    )


def _int(value: Any) -> int | None:
    """A number as a BIGINT (floats rounded half to even); anything else, or too big, None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = round(value)
    return value if _INT64[0] <= value <= _INT64[1] else None


__all__ = ["TABLES", "conversation_tables", "cut_tables", "nested_type"]
