"""Aggregates, the queue listing, and the emulator's own ``/_emulator/*`` endpoints."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from genesys_analytics.emulator.data.org import truth as org_truth
from genesys_analytics.emulator.limits import (
    check_interval_length,
    check_page_size,
    int_param,
    one_of,
    parse_interval,
)
from genesys_analytics.emulator.query import aggregates, matching
from genesys_analytics.emulator.responses import ApiError, bad_request, json_response
from genesys_analytics.emulator.routes.details import json_body
from genesys_analytics.emulator.state import EmulatorState
from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import parse_instant

QUEUES_PATH = "/api/v2/routing/queues"


def _emu(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emu
    return state


async def aggregates_query(request: Request) -> Response:
    """Aggregates over conversations active in the interval; at most ``max_days_filtered``
    days whatever the filter (the real limit is not published)."""
    state = _emu(request)
    s = state.settings
    body = await json_body(request)
    interval = parse_interval(body.get("interval"))
    check_interval_length(interval, True, s.max_days_filtered, s.max_days_filtered)
    org = state.org
    candidates = org.iter_started(interval.start - org.max_lifetime, interval.end)
    try:
        out = aggregates.aggregate(candidates, body, state.now, s.aggregates_max_buckets)
    except matching.BadFilter as err:
        raise bad_request(str(err)) from None
    return json_response(out)


def _uri(page_size: int, page_number: int, extra: dict[str, str]) -> str:
    return f"{QUEUES_PATH}?{urlencode({'pageSize': page_size, 'pageNumber': page_number, **extra})}"


async def queues(request: Request) -> Response:
    state = _emu(request)
    params = request.query_params
    page_size = int_param(params.get("pageSize"), "pageSize", 25)
    check_page_size(page_size, state.settings.queues_max_page_size)
    page_number = int_param(params.get("pageNumber"), "pageNumber", 1)
    sort_order = one_of(params.get("sortOrder"), "sortOrder", ("asc", "desc"), "asc")
    name = params.get("name")
    items: list[dict[str, Any]] = sorted(
        state.org.queues, key=lambda q: str(q["name"]).lower(), reverse=sort_order == "desc"
    )
    extra: dict[str, str] = {}
    if name:
        needle = name.replace("*", "").lower()
        items = [q for q in items if needle in str(q["name"]).lower()]
        extra["name"] = name
    if "sortOrder" in params:
        extra["sortOrder"] = sort_order
    total = len(items)
    page_count = max(1, -(-total // page_size))
    start = (page_number - 1) * page_size
    out: dict[str, Any] = {
        "entities": items[start : start + page_size],
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": page_count,
        "firstUri": _uri(page_size, 1, extra),
        "selfUri": _uri(page_size, page_number, extra),
        "lastUri": _uri(page_size, page_count, extra),
    }
    if page_number < page_count:
        out["nextUri"] = _uri(page_size, page_number + 1, extra)
    if page_number > 1:
        out["previousUri"] = _uri(page_size, min(page_number - 1, page_count), extra)
    return json_response(out)


async def truth(request: Request) -> Response:
    state = _emu(request)
    params = request.query_params
    try:
        start = parse_instant(params.get("start") or "")
        end = parse_instant(params.get("end") or "")
    except ConfigError as err:
        raise ApiError(400, "invalid.date", err.message) from None
    if end <= start:
        raise bad_request("end must be after start.")
    return json_response(org_truth(state.org, start, end))


async def stats(request: Request) -> Response:
    return json_response(_emu(request).snapshot())
