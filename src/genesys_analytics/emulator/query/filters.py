"""The analytics filter grammar (spec §2.1), compiled to plain predicates.

A filter is ``{type: and|or, clauses?: [{type, predicates}], predicates?: [...]}`` and a
predicate is ``{type?: dimension|metric, dimension|metric, operator?: matches|exists|
notExists, value?, range?: {gt, gte, lt, lte}}``.

Everything is evaluated on a *row*: ``(conversation, participant, session, segment)``.
Conversation dimensions read the conversation; segment dimensions read the segment, its
session or its participant. A conversation filter is evaluated on the row
``(conv, None, None, None)``; a segment filter matches a conversation when one row of one
segment satisfies the whole filter, so every predicate of an ``and`` is tested on the
same segment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Row = tuple[dict, dict | None, dict | None, dict | None]
RowTest = Callable[[Row], bool]
Getter = Callable[[Row], Any]


class BadFilter(ValueError):
    """A filter, groupBy or metric the service would reject; the message is user-facing."""


def _conv(key: str) -> Getter:
    return lambda row: row[0].get(key)


def _part(key: str) -> Getter:
    return lambda row: row[1].get(key) if row[1] is not None else None


def _sess(key: str) -> Getter:
    return lambda row: row[2].get(key) if row[2] is not None else None


def _seg(key: str) -> Getter:
    return lambda row: row[3].get(key) if row[3] is not None else None


def _flow_id(row: Row) -> Any:
    flow = row[2].get("flow") if row[2] is not None else None
    return flow.get("flowId") if flow else None


CONVERSATION_DIMENSIONS: dict[str, Getter] = {
    name: _conv(name)
    for name in (
        "conversationId",
        "conversationStart",
        "conversationEnd",
        "conversationInitiator",
        "customerParticipation",
        "externalTag",
        "mediaStatsMinConversationMos",
        "originatingDirection",
    )
}
CONVERSATION_DIMENSIONS["divisionId"] = _conv("divisionIds")

SEGMENT_DIMENSIONS: dict[str, Getter] = {
    **{n: _sess(n) for n in ("mediaType", "direction", "ani", "dnis", "sessionId")},
    **{n: _sess(n) for n in ("addressFrom", "addressTo", "usedRouting")},
    **{n: _part(n) for n in ("userId", "purpose", "participantName", "participantId")},
    **{n: _seg(n) for n in ("queueId", "disconnectType", "wrapUpCode", "segmentType")},
    **{n: _seg(n) for n in ("segmentStart", "segmentEnd", "subject")},
    "flowId": _flow_id,
}
OPERATORS = ("matches", "exists", "notExists")


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _norm(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _in_range(value: Any, rng: dict) -> bool:
    try:
        v: Any = float(value)
        bounds: dict[str, Any] = {k: float(b) for k, b in rng.items()}
    except (TypeError, ValueError):
        v, bounds = str(value), {k: str(b) for k, b in rng.items()}
    checks = {
        "gt": lambda b: v > b,
        "gte": lambda b: v >= b,
        "lt": lambda b: v < b,
        "lte": lambda b: v <= b,
    }
    return all(checks[k](b) for k, b in bounds.items())


def _metric_getter(name: Any) -> Getter:
    if not isinstance(name, str) or not name:
        raise BadFilter("a metric predicate needs a 'metric' name.")

    def get(row: Row) -> Any:
        session = row[2]
        if session is None:
            return None
        return [m["value"] for m in session.get("metrics", ()) if m["name"] == name] or None

    return get


def compile_predicate(pred: Any, dims: dict[str, Getter], where: str) -> RowTest:
    if not isinstance(pred, dict):
        raise BadFilter(f"a {where} predicate must be an object, not {pred!r}.")
    kind = pred.get("type", "dimension")
    if kind == "dimension":
        dim = pred.get("dimension")
        if dim not in dims:
            raise BadFilter(
                f"unknown {where} dimension {dim!r}; supported: {', '.join(sorted(dims))}."
            )
        get = dims[dim]
    elif kind == "metric" and where != "conversation":
        get = _metric_getter(pred.get("metric"))
    else:
        raise BadFilter(f"unsupported {where} predicate type {kind!r}; use 'dimension'.")
    op = pred.get("operator", "matches")
    if op not in OPERATORS:
        raise BadFilter(f"unknown predicate operator {op!r}; use one of {', '.join(OPERATORS)}.")
    if op == "exists":
        return lambda row: bool(_values(get(row)))
    if op == "notExists":
        return lambda row: not _values(get(row))
    if "range" in pred:
        rng = pred["range"]
        if not isinstance(rng, dict) or not rng or set(rng) - {"gt", "gte", "lt", "lte"}:
            raise BadFilter(f"a predicate range takes gt/gte/lt/lte, not {rng!r}.")
        return lambda row: any(_in_range(v, rng) for v in _values(get(row)))
    if "value" not in pred:
        raise BadFilter("a 'matches' predicate needs a 'value' or a 'range'.")
    want = _norm(pred["value"])
    return lambda row: any(_norm(v) == want for v in _values(get(row)))


def _combine(kind: Any, tests: list[RowTest], where: str) -> RowTest:
    if kind == "and":
        return lambda row: all(t(row) for t in tests)
    if kind == "or":
        return lambda row: any(t(row) for t in tests)
    raise BadFilter(f"a {where} filter or clause type must be 'and' or 'or', not {kind!r}.")


def compile_filter(flt: Any, dims: dict[str, Getter], where: str) -> RowTest:
    """One filter object (with clauses and/or predicates) as a test of one row."""
    if not isinstance(flt, dict):
        raise BadFilter(f"a {where} filter must be an object, not {flt!r}.")
    parts: list[RowTest] = []
    for clause in flt.get("clauses") or []:
        if not isinstance(clause, dict):
            raise BadFilter(f"a {where} filter clause must be an object.")
        preds = [compile_predicate(p, dims, where) for p in clause.get("predicates") or []]
        if preds:
            parts.append(_combine(clause.get("type"), preds, where))
    parts.extend(compile_predicate(p, dims, where) for p in flt.get("predicates") or [])
    test = _combine(flt.get("type"), parts, where)
    if not parts:
        return lambda row: True
    return test


def segment_rows(conv: dict) -> Iterator[Row]:
    for part in conv.get("participants", ()):
        for session in part.get("sessions", ()):
            for seg in session.get("segments", ()):
                yield conv, part, session, seg
