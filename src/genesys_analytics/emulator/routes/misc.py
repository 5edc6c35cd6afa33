"""Conversation aggregates and the emulator's own ``/_emulator/*`` endpoints (truth, stats)."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from genesys_analytics.emulator.data.org import truth as org_truth
from genesys_analytics.emulator.data.pieces import ts
from genesys_analytics.emulator.data.timelines import PRESENCE, ROUTING
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
from genesys_analytics.timeutil import parse_instant


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


def user_details_truth(state: EmulatorState, start: datetime, end: datetime) -> dict:
    """``[userId, startTime]`` of each presence and routing record started in [start, end)."""
    records = state.org.timelines.started(ceil_ms(start), ceil_ms(end))
    out: dict[str, list[list[str]]] = {PRESENCE: [], ROUTING: []}
    for rec in records:
        out[rec[3]].append([rec[2], ts(rec[0])])
    return {kind: sorted(pairs) for kind, pairs in out.items()}


async def truth(request: Request) -> Response:
    """What an exact export holds: conversations (default) or another dataset's keys."""
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
    if dataset == "user-details":
        return json_response(user_details_truth(state, start, end))
    return json_response(org_truth(state.org, start, end))


async def stats(request: Request) -> Response:
    return json_response(_emu(request).snapshot())
