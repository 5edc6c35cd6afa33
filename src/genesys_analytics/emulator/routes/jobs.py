"""Async conversation-details jobs: submit, status, cursor-paged results, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from genesys_analytics.emulator.data.pieces import ceil_ts
from genesys_analytics.emulator.jobstore import Job, decode_cursor, encode_cursor
from genesys_analytics.emulator.limits import check_page_size, int_param, one_of, parse_interval
from genesys_analytics.emulator.query import matching
from genesys_analytics.emulator.responses import bad_request, json_response, not_found
from genesys_analytics.emulator.routes.details import (
    ORDER_BYS,
    ORDERS,
    Predicate,
    compile_predicate,
    json_body,
    ordered,
)
from genesys_analytics.emulator.state import EmulatorState
from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval, fmt, parse_instant

DEFAULT_RESULTS_PAGE = 100
_NOT_ALLOWED = ("paging", "aggregations")


@dataclass(frozen=True)
class JobQuery:
    interval: Interval
    predicate: Predicate | None
    order: str
    order_by: str
    limit: int | None
    start_of_day: bool


def parse_job_query(body: dict[str, Any]) -> JobQuery:
    for key in _NOT_ALLOWED:
        if key in body:
            raise bad_request(f"{key} is not allowed in an async job query.")
    interval = parse_interval(body.get("interval"))
    start_of_day = body.get("startOfDayIntervalMatching", False)
    if not isinstance(start_of_day, bool):
        raise bad_request("startOfDayIntervalMatching must be true or false.")
    limit = body.get("limit")
    return JobQuery(
        interval=interval,
        predicate=compile_predicate(body),
        order=one_of(body.get("order"), "order", ORDERS, "asc"),
        order_by=one_of(body.get("orderBy"), "orderBy", ORDER_BYS, "conversationStart"),
        limit=None if limit is None else int_param(limit, "limit", 0),
        start_of_day=start_of_day,
    )


def job_results(state: EmulatorState, query: JobQuery) -> list[dict]:
    """What the data lake holds for this job: matches that started before availability,
    all at once (for orders other than ascending by start)."""
    interval = query.interval
    available = state.availability
    end = min(interval.end, available)
    if end <= interval.start - state.org.max_lifetime:
        return []
    matches = matching.job_matcher(interval, state.now, query.start_of_day)
    found = [
        conv
        for conv in state.org.iter_started(interval.start - state.org.max_lifetime, end)
        if matches(conv) and (query.predicate is None or query.predicate(conv))
    ]
    result = ordered(found, query.order, query.order_by)
    return result if query.limit is None else result[: query.limit]


def _emu(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emu
    return state


async def submit(request: Request) -> Response:
    state = _emu(request)
    query = parse_job_query(await json_body(request))
    job = state.jobs.submit(
        query, fails=state.faults.job_fails(), expires_early=state.faults.job_expires()
    )
    state.counters["jobs_created"] += 1
    return json_response({"jobId": job.job_id}, 202)


def _job(state: EmulatorState, job_id: str) -> Job:
    job = state.jobs.get(job_id)
    if not isinstance(job.query, JobQuery):
        raise not_found(f"No analytics job with id {job_id} was found.")
    return job


async def status(request: Request) -> Response:
    state = _emu(request)
    job = _job(state, request.path_params["jobId"])
    return json_response(state.jobs.status(job))


async def delete(request: Request) -> Response:
    state = _emu(request)
    state.jobs.delete(_job(state, request.path_params["jobId"]).job_id)
    state.counters["jobs_deleted"] += 1
    return Response(status_code=204)


async def availability(request: Request) -> Response:
    return json_response({"dataAvailabilityDate": fmt(_emu(request).availability)})


def _streams(query: JobQuery) -> bool:
    """Ascending by start: pages are read straight from the org, never all held at once."""
    return query.order != "desc" and query.order_by == "conversationStart"


def _stream_page(
    state: EmulatorState, query: JobQuery, offset: int, after: str, size: int
) -> tuple[list[Any], str, bool]:
    """The ``size`` matches after key ``after`` ("start|id"), the last one's key, and
    whether more follow. Without filters, read from the days' indexes (JSON bytes)."""
    interval = query.interval
    end = min(interval.end, state.availability)
    scan_from = interval.start - state.org.max_lifetime
    last: tuple[str, str] | None = None
    if after:
        start_text, _, last_id = after.partition("|")
        last = (start_text, last_id)
        scan_from = max(scan_from, parse_instant(start_text))
    want = size if query.limit is None else max(0, min(size, query.limit - offset))
    page: list[Any] = []
    key = ("", "")
    if query.predicate is None:
        test = matching.job_span_test(interval, state.now, query.start_of_day)
        lo, hi = ceil_ts(scan_from), ceil_ts(end)
        for index in state.org.indexes(scan_from, end):
            span = index.started(lo, hi)
            if last is not None:
                span = range(max(span.start, index.after(last)), span.stop)
            for i in index.matching(test, span):
                if len(page) >= want:
                    return page, f"{key[0]}|{key[1]}", True
                page.append(orjson.Fragment(index.full_json(i)))
                key = index.keys[i]
        return page, f"{key[0]}|{key[1]}", False
    matches = matching.job_matcher(interval, state.now, query.start_of_day)
    for conv in state.org.iter_started(scan_from, end):
        if last is not None and (conv["conversationStart"], conv["conversationId"]) <= last:
            continue
        if not matches(conv) or not query.predicate(conv):
            continue
        if len(page) >= want:
            return page, f"{key[0]}|{key[1]}", True
        page.append(conv)
        key = (conv["conversationStart"], conv["conversationId"])
    return page, f"{key[0]}|{key[1]}", False


def _page(
    state: EmulatorState, job: Job, cursor: str | None, size: int
) -> tuple[list[Any], str | None]:
    offset, after = decode_cursor(cursor, job.job_id) if cursor else (0, "")
    query: JobQuery = job.query
    if _streams(query):
        try:
            page, key, more = _stream_page(state, query, offset, after, size)
        except ConfigError:
            raise bad_request(f"The cursor {cursor!r} is not valid for this job.") from None
        if not more or not page:
            return page, None
        return page, encode_cursor(job.job_id, offset + len(page), key)
    if job.results is None:
        job.results = job_results(state, query)
    if offset > len(job.results):
        raise bad_request(f"The cursor {cursor!r} is not valid for this job.")
    page = job.results[offset : offset + size]
    more = offset + size < len(job.results)
    return page, encode_cursor(job.job_id, offset + size) if more else None


async def results(request: Request) -> Response:
    state = _emu(request)
    job = _job(state, request.path_params["jobId"])
    params = request.query_params
    page_size = int_param(params.get("pageSize"), "pageSize", DEFAULT_RESULTS_PAGE)
    check_page_size(page_size, state.settings.job_max_page_size)
    state.jobs.require_fulfilled(job)
    page, next_cursor = _page(state, job, params.get("cursor"), page_size)
    out: dict[str, Any] = {"conversations": page}
    if next_cursor is not None:
        out["cursor"] = next_cursor
    out["dataAvailabilityDate"] = fmt(state.availability)
    state.counters["job_pages"] += 1
    return json_response(out)
