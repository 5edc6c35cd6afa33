"""Conversation aggregates and the emulator's own ``/_emulator/*`` endpoints (truth, stats,
now)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from genesys_analytics.emulator.data.org import query_shape
from genesys_analytics.emulator.data.org import truth as org_truth
from genesys_analytics.emulator.data.pieces import ts
from genesys_analytics.emulator.data.timelines import PRESENCE, ROUTING, record_json
from genesys_analytics.emulator.limits import (
    check_interval_length,
    parse_interval,
)
from genesys_analytics.emulator.query import aggregates, matching
from genesys_analytics.emulator.query.user_details import ceil_ms
from genesys_analytics.emulator.responses import ApiError, bad_request, json_response
from genesys_analytics.emulator.routes.details import json_body
from genesys_analytics.emulator.state import EmulatorState
from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import fmt, parse_duration, parse_instant


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
        out = aggregates.aggregate(
            candidates, body, state.now, s.aggregates_max_buckets, org.service_levels
        )
    except matching.BadFilter as err:
        raise bad_request(str(err)) from None
    return json_response(out)


LIST_DATASETS = ("users", "queues", "wrapup-codes", "divisions", "presence-definitions")
DATASETS = ("conversations", "user-details", *LIST_DATASETS)


def _list_ids(state: EmulatorState, dataset: str) -> list[str]:
    org = state.org
    items = {
        "users": org.users,
        "queues": org.queues,
        "wrapup-codes": org.wrapups,
        "divisions": org.divisions,
        "presence-definitions": org.presence_definitions,
    }[dataset]
    return sorted(str(i["id"]) for i in items)


def content_hash(item: dict[str, Any]) -> str:
    """sha256 of ``item`` as canonical JSON (keys sorted): changes whenever its content does."""
    return hashlib.sha256(orjson.dumps(item, option=orjson.OPT_SORT_KEYS)).hexdigest()


def user_details_truth(
    state: EmulatorState, start: datetime, end: datetime, content: bool = False
) -> dict:
    """``[userId, startTime]`` of each presence and routing record started in [start, end).

    With ``content``, also ``records``: each record in its latest state, as the API shows
    it plus ``userId`` and ``kind``, by (userId, kind, startTime); an open record has no
    ``endTime``."""
    records = state.org.timelines.started(ceil_ms(start), ceil_ms(end))
    out: dict[str, list[list[str]]] = {PRESENCE: [], ROUTING: []}
    for rec in records:
        out[rec[3]].append([rec[2], ts(rec[0])])
    result: dict[str, Any] = {kind: sorted(pairs) for kind, pairs in out.items()}
    if content:
        ordered = sorted(records, key=lambda r: (r[2], r[3], r[0]))
        result["records"] = [{"userId": r[2], "kind": r[3], **record_json(r)} for r in ordered]
    return result


def conversations_truth(
    state: EmulatorState, start: datetime, end: datetime, content: bool = False
) -> dict:
    """The ids (and counts) of conversations started in [start, end); with ``content`` also
    ``conversations`` (id -> the latest version, in the details-query shape) and ``sha256``
    (id -> ``content_hash`` of that version)."""
    result: dict[str, Any] = org_truth(state.org, start, end)
    if content:
        latest = {c["conversationId"]: query_shape(c) for c in state.org.iter_started(start, end)}
        ordered = {cid: latest[cid] for cid in sorted(latest)}
        result["conversations"] = ordered
        result["sha256"] = {cid: content_hash(conv) for cid, conv in ordered.items()}
    return result


async def truth(request: Request) -> Response:
    """What an exact export holds: conversations (default) or another dataset's keys;
    ``content=1`` adds the latest content of each conversation or status record."""
    state = _emu(request)
    params = request.query_params
    dataset = params.get("dataset") or "conversations"
    if dataset not in DATASETS:
        raise bad_request(f"dataset {dataset!r} is not one of {', '.join(DATASETS)}.")
    if dataset in LIST_DATASETS:
        return json_response({"ids": _list_ids(state, dataset)})
    try:
        start = parse_instant(params.get("start") or "")
        end = parse_instant(params.get("end") or "")
    except ConfigError as err:
        raise ApiError(400, "invalid.date", err.message) from None
    if end <= start:
        raise bad_request("end must be after start.")
    content = params.get("content", "").lower() in ("1", "true", "yes")
    if dataset == "user-details":
        return json_response(user_details_truth(state, start, end, content))
    return json_response(conversations_truth(state, start, end, content))


async def set_now(request: Request) -> Response:
    """``POST /_emulator/now`` with ``{"now": ISO}`` or ``{"advance": "1d"}`` (s, m, h, d, w):
    move the emulator's "now" forward (never back); answers ``{"now", "previous"}``."""
    state = _emu(request)
    body = await json_body(request)
    previous = state.now
    try:
        if "now" in body and "advance" not in body:
            now = parse_instant(str(body["now"]))
        elif "advance" in body and "now" not in body:
            now = previous + parse_duration(str(body["advance"]))
        else:
            raise bad_request('Give either "now" (an ISO instant) or "advance" (e.g. "1d").')
    except ConfigError as err:
        raise bad_request(err.message) from None
    if now < previous:
        raise bad_request(f"now only moves forward: {fmt(now)} is before {fmt(previous)}.")
    state.advance(now)
    return json_response({"now": fmt(now), "previous": fmt(previous)})


async def stats(request: Request) -> Response:
    """Counters and sizes; ``?restart_arrivals=1`` then forgets the first and last API arrival."""
    state = _emu(request)
    snapshot = state.snapshot()
    if request.query_params.get("restart_arrivals") == "1":
        state.api_arrivals.clear()
    return json_response(snapshot)
