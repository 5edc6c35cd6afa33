"""Details queries (page-number paging) and conversations by id."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from genesys_analytics.emulator.data.encoded import DayIndex
from genesys_analytics.emulator.data.org import query_shape
from genesys_analytics.emulator.limits import (
    check_deep_paging,
    check_interval_length,
    check_page_size,
    int_param,
    one_of,
    parse_interval,
)
from genesys_analytics.emulator.query import matching
from genesys_analytics.emulator.responses import bad_request, json_response, not_found
from genesys_analytics.emulator.state import EmulatorState
from genesys_analytics.timeutil import Interval, parse_instant

ORDERS = ("asc", "desc", "unordered")
ORDER_BYS = ("conversationStart", "conversationEnd", "segmentStart", "segmentEnd")
Predicate = Callable[[dict], bool]


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        raise bad_request("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def compile_predicate(body: dict[str, Any]) -> Predicate | None:
    if not body.get("conversationFilters") and not body.get("segmentFilters"):
        return None
    try:
        return matching.compile_filters(body.get("conversationFilters"), body.get("segmentFilters"))
    except matching.BadFilter as err:
        raise bad_request(str(err)) from None


def _segment_times(conv: dict, key: str) -> list[str]:
    return [
        seg[key]
        for p in conv.get("participants", ())
        for s in p.get("sessions", ())
        for seg in s.get("segments", ())
        if key in seg
    ]


def sort_key(order_by: str) -> Callable[[dict], tuple[str, str]]:
    """Sort key for ``orderBy``; a missing end (ongoing) sorts after every end."""
    if order_by == "conversationEnd":
        return lambda c: (c.get("conversationEnd", "~"), c["conversationId"])
    if order_by == "segmentStart":
        return lambda c: (min(_segment_times(c, "segmentStart"), default="~"), c["conversationId"])
    if order_by == "segmentEnd":
        return lambda c: (max(_segment_times(c, "segmentEnd"), default="~"), c["conversationId"])
    return lambda c: (c["conversationStart"], c["conversationId"])


def ordered(convs: Iterable[dict], order: str, order_by: str) -> list[dict]:
    return sorted(convs, key=sort_key(order_by), reverse=order == "desc")


def _matched(state: EmulatorState, body: dict[str, Any], interval: Interval) -> list[dict]:
    """Matched and sorted conversations for this body (cached without its paging)."""
    cache_body = {k: v for k, v in body.items() if k != "paging"}
    key = (orjson.dumps(cache_body, option=orjson.OPT_SORT_KEYS), state.generation)
    hit = state.query_cache.get(key)
    if hit is not None:
        return hit
    order = one_of(body.get("order"), "order", ORDERS, "asc")
    order_by = one_of(body.get("orderBy"), "orderBy", ORDER_BYS, "conversationStart")
    predicate = compile_predicate(body)
    matches = matching.query_matcher(interval, state.now)
    found = [
        conv
        for day in interval.days_touched()
        for conv in state.org.day(day)
        if matches(conv) and (predicate is None or predicate(conv))
    ]
    result = ordered(found, order, order_by)
    state.query_cache.put(key, result)
    return result


def _matched_index(
    state: EmulatorState, body: dict[str, Any], interval: Interval, order: str
) -> list[tuple[DayIndex, int]]:
    """``_matched`` for a body without filters, ordered by start: positions in the days'
    indexes, so a page is put together from bytes serialized once."""
    cache_body = {k: v for k, v in body.items() if k != "paging"}
    key = (b"index", orjson.dumps(cache_body, option=orjson.OPT_SORT_KEYS), state.generation)
    hit = state.query_cache.get(key)
    if hit is not None:
        return hit
    test = matching.query_span_test(interval, state.now)
    found = [
        (index, i)
        for index in (state.org.index(day) for day in interval.days_touched())
        for i in index.matching(test, range(len(index)))
    ]
    if order == "desc":
        found.reverse()
    state.query_cache.put(key, found)
    return found


def _fast(state: EmulatorState, body: dict[str, Any]) -> bool:
    """Whether the query can be served from the days' indexes (bytes, not dicts)."""
    by = one_of(body.get("orderBy"), "orderBy", ORDER_BYS, "conversationStart")
    return (
        by == "conversationStart"
        and not state.faults.enabled("drift")
        and compile_predicate(body) is None
    )


def _drift(state: EmulatorState, interval: Interval, page: list[dict], order: str) -> None:
    """Add a conversation inside the interval, before the page being read (pages shift)."""
    rng = state.faults.rng
    latest = min(interval.end, state.now - timedelta(seconds=1))
    if page and order != "desc":
        hi = min(parse_instant(page[0]["conversationStart"]), latest)
        lo = interval.start
    elif page:
        lo, hi = parse_instant(page[0]["conversationStart"]), latest
    else:
        lo, hi = interval.start, latest
    if hi <= lo:
        lo, hi = interval.start, max(latest, interval.start + timedelta(milliseconds=1))
    if lo >= state.now:
        return
    start = lo + (hi - lo) * rng.random()
    conv = state.org.make_conversation(
        start.replace(microsecond=start.microsecond // 1000 * 1000), rng
    )
    state.org.add(conv)
    state.conversation_added()
    state.counters["drift_added"] += 1


def _total_hits(state: EmulatorState, n: int, interval: Interval) -> int:
    """Exact, unless drift is on: then ``totalHits`` is off by a little (it is approximate).

    The offset is fixed per interval, so a quiet interval reads stable and every
    change in the data shows as a change in ``totalHits``.
    """
    if not state.faults.enabled("drift") or n == 0:
        return n
    wobble = zlib.crc32(interval.iso().encode()) % 3 - 1
    return max(0, n + wobble)


async def details_query(request: Request) -> Response:
    state: EmulatorState = request.app.state.emu
    s = state.settings
    body = await json_body(request)
    interval = parse_interval(body.get("interval"))
    check_interval_length(
        interval, matching.has_filters(body), s.max_days_unfiltered, s.max_days_filtered
    )
    paging = body.get("paging") or {}
    if not isinstance(paging, dict):
        raise bad_request("paging must be an object {pageSize, pageNumber}.")
    page_size = int_param(paging.get("pageSize"), "paging.pageSize", 25)
    check_page_size(page_size, s.details_max_page_size, "paging.pageSize")
    page_number = int_param(paging.get("pageNumber"), "paging.pageNumber", 1)
    check_deep_paging(page_number, page_size, s.deep_paging_cap)
    order = one_of(body.get("order"), "order", ORDERS, "asc")
    offset = (page_number - 1) * page_size
    out: dict[str, Any] = {}
    if _fast(state, body):
        found = _matched_index(state, body, interval, order)
        out["totalHits"] = _total_hits(state, len(found), interval)
        if found[offset : offset + 1]:
            json = b",".join(index.query_json(i) for index, i in found[offset : offset + page_size])
            out["conversations"] = orjson.Fragment(b"[" + json + b"]")
        state.counters["details_pages"] += 1
        return json_response(out)
    matched = _matched(state, body, interval)
    if state.faults.drift():
        _drift(state, interval, matched[offset : offset + 1], order)
        matched = _matched(state, body, interval)
    page = matched[offset : offset + page_size]
    out["totalHits"] = _total_hits(state, len(matched), interval)
    if page:
        out["conversations"] = [query_shape(c) for c in page]
    state.counters["details_pages"] += 1
    return json_response(out)


async def conversation_by_id(request: Request) -> Response:
    state: EmulatorState = request.app.state.emu
    conv_id = request.path_params["conversationId"]
    conv = state.org.conversation(conv_id)
    if conv is None:
        raise not_found(f"Conversation {conv_id} was not found.")
    return json_response(query_shape(conv))


async def conversations_by_ids(request: Request) -> Response:
    state: EmulatorState = request.app.state.emu
    ids = [i for raw in request.query_params.getlist("id") for i in raw.split(",") if i.strip()]
    if not ids:
        raise bad_request("id is required: one or more conversation ids, comma separated.")
    if len(ids) > 100:
        raise bad_request(f"At most 100 conversation ids may be requested at once, not {len(ids)}.")
    found = (state.org.conversation(i.strip()) for i in ids)
    return json_response({"conversations": [query_shape(c) for c in found if c is not None]})
