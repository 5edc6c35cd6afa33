"""The pure-Python flattener: the reference the Arrow flattener (``sinks/ndjson.py``) must match.

One conversation dict, exactly as the API returns it, becomes one row of
``conversations`` plus rows of ``participants``, ``sessions``, ``segments`` and
``session_metrics``, in the column order of ``genesys_analytics.sinks.schema.SCHEMA``.
Rules: a missing key becomes ``None``; enum-like strings pass through untouched; ``raw``
keeps the conversation losslessly as JSON text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import orjson

from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE

UTC = timezone.utc

Row = tuple[Any, ...]


@dataclass
class Rows:
    """Row tuples per table, each tuple in the column order of :data:`SCHEMA`."""

    conversations: list[Row] = field(default_factory=list)
    participants: list[Row] = field(default_factory=list)
    sessions: list[Row] = field(default_factory=list)
    segments: list[Row] = field(default_factory=list)
    session_metrics: list[Row] = field(default_factory=list)

    def table(self, name: str) -> list[Row]:
        rows: list[Row] = getattr(self, name)
        return rows

    def extend(self, other: Rows) -> None:
        for name in (t.name for t in CONVERSATIONS_STORAGE.tables):
            self.table(name).extend(other.table(name))

    def __len__(self) -> int:
        return len(self.conversations)


def parse_ts(value: Any) -> datetime | None:
    """Parse an API timestamp (``...Z`` or an offset) into an aware UTC datetime, else None."""
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value[-1] in "Zz" else value
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    try:
        return dt if dt.utcoffset() == UTC.utcoffset(None) else dt.astimezone(UTC)
    except OverflowError:  # past year 9999 (or before year 1) in UTC
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if isinstance(value, int) else round(value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _distinct(values: Iterable[Any]) -> list[str]:
    return sorted({v for v in values if isinstance(v, str)})


def flatten(conv: dict[str, Any]) -> Rows:
    """Turn one conversation record into rows for every table."""
    rows = Rows()
    flatten_into(conv, rows)
    return rows


def flatten_many(convs: Iterable[dict[str, Any]]) -> Rows:
    rows = Rows()
    for conv in convs:
        flatten_into(conv, rows)
    return rows


def flatten_into(conv: dict[str, Any], rows: Rows) -> None:
    """Append the rows of ``conv`` to ``rows`` (the batch-friendly form of :func:`flatten`)."""
    ts = parse_ts
    cid = _str(conv.get("conversationId"))
    start = parse_ts(conv.get("conversationStart"))
    end = parse_ts(conv.get("conversationEnd"))
    media: set[str] = set()
    queues: set[str] = set()
    participants = [p for p in _list(conv.get("participants")) if isinstance(p, dict)]
    for p in participants:
        pid = _str(p.get("participantId"))
        attrs = p.get("attributes")
        rows.participants.append(
            (
                cid,
                pid,
                _str(p.get("purpose")),
                _str(p.get("userId")),
                _str(p.get("participantName")),
                orjson.dumps(attrs).decode() if attrs is not None else None,
            )
        )
        for s in _list(p.get("sessions")):
            if not isinstance(s, dict):
                continue
            sid = _str(s.get("sessionId"))
            mt = _str(s.get("mediaType"))
            if mt is not None:
                media.add(mt)
            rows.sessions.append(
                (
                    cid,
                    pid,
                    sid,
                    mt,
                    _str(s.get("direction")),
                    _str(s.get("ani")),
                    _str(s.get("dnis")),
                )
            )
            _segments(cid, sid, s, rows, queues, ts)
            for m in _list(s.get("metrics")):
                if isinstance(m, dict):
                    rows.session_metrics.append(
                        (
                            cid,
                            sid,
                            _str(m.get("name")),
                            _int(m.get("value")),
                            ts(m.get("emitDate")),
                        )
                    )
    duration = None if start is None or end is None else round((end - start).total_seconds() * 1000)
    raw = orjson.dumps(conv).decode()
    rows.conversations.append(
        (
            cid,
            start,
            end,
            end is None,
            _str(conv.get("originatingDirection")),
            sorted(media),
            list(dict.fromkeys(v for v in _list(conv.get("divisionIds")) if isinstance(v, str))),
            sorted(queues),
            len(participants),
            duration,
            conversation_date(start),
            raw,
        )
    )


def _segments(
    cid: str | None,
    sid: str | None,
    s: dict[str, Any],
    rows: Rows,
    queues: set[str],
    ts: Callable[[Any], Any],
) -> None:
    for i, seg in enumerate(_list(s.get("segments"))):
        if not isinstance(seg, dict):
            continue
        qid = _str(seg.get("queueId"))
        if qid is not None:
            queues.add(qid)
        rows.segments.append(
            (
                cid,
                sid,
                i,
                _str(seg.get("segmentType")),
                ts(seg.get("segmentStart")),
                ts(seg.get("segmentEnd")),
                qid,
                _str(seg.get("wrapUpCode")),
                _str(seg.get("disconnectType")),
            )
        )


def conversation_date(start: datetime | None) -> date | None:
    """The UTC day of ``conversationStart``: the partition key of file outputs."""
    return None if start is None else start.astimezone(UTC).date()
