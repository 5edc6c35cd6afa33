"""Users details (query and async jobs) and users aggregates over the agents' timelines."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from genesys_analytics.emulator.jobstore import Job, decode_cursor, encode_cursor
from genesys_analytics.emulator.limits import (
    check_deep_paging,
    check_interval_length,
    check_page_size,
    int_param,
    one_of,
    parse_interval,
)
from genesys_analytics.emulator.query.filters import BadFilter
from genesys_analytics.emulator.query.user_aggregates import aggregate_users
from genesys_analytics.emulator.query.user_details import (
    ORDERS,
    UserQuery,
    compile_user_filters,
    has_user_filters,
    index_entries,
    job_records,
    page_of,
    user_details,
)
from genesys_analytics.emulator.responses import bad_request, json_response, not_found
from genesys_analytics.emulator.routes.details import json_body
from genesys_analytics.emulator.state import EmulatorState
from genesys_analytics.timeutil import fmt

DEFAULT_RESULTS_PAGE = 100
_QUERY_ONLY = ("paging", "presenceAggregations", "routingStatusAggregations")
_NOT_IN_JOBS = (*_QUERY_ONLY, "startOfDayIntervalMatching")


def _emu(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emu
    return state


def availability(state: EmulatorState) -> datetime:
    """The user details jobs' dataAvailabilityDate."""
    return state.now - timedelta(seconds=state.settings.user_details_availability_lag)


def parse_user_query(body: dict[str, Any], *, job: bool) -> UserQuery:
    for key in _NOT_IN_JOBS if job else ():
        if key in body:
            raise bad_request(f"{key} is not allowed in a users details job query.")
    for key in () if job else _QUERY_ONLY[1:]:
        if body.get(key):
            raise bad_request(f"{key} is not supported by the emulator; leave it out.")
    interval = parse_interval(body.get("interval"))
    try:
        user, presence, routing = compile_user_filters(body)
    except BadFilter as err:
        raise bad_request(str(err)) from None
    limit = body.get("limit") if job else None
    return UserQuery(
        interval=interval,
        order=one_of(body.get("order"), "order", ORDERS, "asc"),
        filtered=has_user_filters(body),
        user_tests=user,
        presence_tests=presence,
        routing_tests=routing,
        limit=None if limit is None else int_param(limit, "limit", 0),
    )


def _total_hits(state: EmulatorState, n: int, interval: str) -> int:
    """The number of entries (duplicates included), a little off under the drift fault."""
    if not state.faults.enabled("drift") or n == 0:
        return n
    return max(0, n + zlib.crc32(interval.encode()) % 3 - 1)


async def details_query(request: Request) -> Response:
    state = _emu(request)
    s = state.settings
    body = await json_body(request)
    query = parse_user_query(body, job=False)
    check_interval_length(
        query.interval, query.filtered, s.max_days_unfiltered, s.max_days_filtered
    )
    paging = body.get("paging") or {}
    if not isinstance(paging, dict):
        raise bad_request("paging must be an object {pageSize, pageNumber}.")
    page_size = int_param(paging.get("pageSize"), "paging.pageSize", 25)
    check_page_size(page_size, s.user_details_max_page_size, "paging.pageSize")
    page_number = int_param(paging.get("pageNumber"), "paging.pageNumber", 1)
    check_deep_paging(page_number, page_size, s.user_details_deep_paging_cap)
    cache_body = {k: v for k, v in body.items() if k != "paging"}
    key = ("users", orjson.dumps(cache_body, option=orjson.OPT_SORT_KEYS))
    entries = state.query_cache.get(key)
    if entries is None:
        entries = index_entries(state.org.timelines, query)
        state.query_cache.put(key, entries)
    if state.faults.drift():
        state.counters["drift_user_details"] += 1
    out: dict[str, Any] = {"totalHits": _total_hits(state, len(entries), query.interval.iso())}
    if (page_number - 1) * page_size < len(entries):
        out["userDetails"] = user_details(page_of(entries, page_number, page_size))
    state.counters["user_details_pages"] += 1
    return json_response(out)


# -- jobs ---------------------------------------------------------------------------------


def _job(state: EmulatorState, job_id: str) -> Job:
    job = state.jobs.get(job_id)
    if not isinstance(job.query, UserQuery):
        raise not_found(f"No users details job with id {job_id} was found.")
    return job


async def submit_job(request: Request) -> Response:
    state = _emu(request)
    query = parse_user_query(await json_body(request), job=True)
    job = state.jobs.submit(
        query, fails=state.faults.job_fails(), expires_early=state.faults.job_expires()
    )
    state.counters["user_jobs_created"] += 1
    return json_response({"jobId": job.job_id}, 202)


async def job_status(request: Request) -> Response:
    state = _emu(request)
    return json_response(state.jobs.status(_job(state, request.path_params["jobId"])))


async def delete_job(request: Request) -> Response:
    state = _emu(request)
    job = _job(state, request.path_params["jobId"])
    state.jobs.delete(job.job_id)
    return Response(status_code=204)


async def job_availability(request: Request) -> Response:
    return json_response({"dataAvailabilityDate": fmt(availability(_emu(request)))})


async def job_results(request: Request) -> Response:
    state = _emu(request)
    job = _job(state, request.path_params["jobId"])
    params = request.query_params
    page_size = int_param(params.get("pageSize"), "pageSize", DEFAULT_RESULTS_PAGE)
    check_page_size(page_size, state.settings.user_details_job_max_page_size)
    state.jobs.require_fulfilled(job)
    cursor = params.get("cursor")
    offset = decode_cursor(cursor, job.job_id)[0] if cursor else 0
    if job.results is None:
        job.results = job_records(state.org.timelines, job.query, availability(state))
    if offset > len(job.results):
        raise bad_request(f"The cursor {cursor!r} is not valid for this job.")
    page = job.results[offset : offset + page_size]
    out: dict[str, Any] = {"userDetails": user_details(page)}
    if offset + page_size < len(job.results):
        out["cursor"] = encode_cursor(job.job_id, offset + page_size)
    out["dataAvailabilityDate"] = fmt(availability(state))
    state.counters["user_job_pages"] += 1
    return json_response(out)


# -- aggregates ---------------------------------------------------------------------------


async def aggregates_query(request: Request) -> Response:
    state = _emu(request)
    s = state.settings
    body = await json_body(request)
    interval = parse_interval(body.get("interval"))
    check_interval_length(interval, True, s.max_days_filtered, s.max_days_filtered)
    timelines = state.org.timelines
    try:
        out = aggregate_users(
            timelines.overlapping,
            body,
            timelines.now_ms,
            state.org.roster.mappings,
            max_buckets=s.aggregates_max_buckets,
            max_predicates=s.user_aggregates_max_user_predicates,
        )
    except BadFilter as err:
        raise bad_request(str(err)) from None
    return json_response(out)
