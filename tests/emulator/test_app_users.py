"""Users details query and jobs, users aggregates: rules, paging, the short-page trap, and
agreement with the truth and with each other."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from genesys_analytics.emulator import RunningEmulator, run_emulator
from genesys_analytics.emulator.data.timelines import parse_ms
from genesys_analytics.timeutil import parse_instant
from tests.emulator.conftest import NOW, FakeClock, api_client, day, interval, small_settings

UQUERY = "/api/v2/analytics/users/details/query"
UJOBS = "/api/v2/analytics/users/details/jobs"
UAGG = "/api/v2/analytics/users/aggregates/query"
KINDS = {"primaryPresence": "presence", "routingStatus": "routing"}


def keys_of(details: list[dict]) -> list[tuple[str, str, str]]:
    """(kind, userId, startTime) of every record of a userDetails list."""
    return [
        (KINDS[key], d["userId"], rec["startTime"])
        for d in details
        for key in KINDS
        for rec in d.get(key, ())
    ]


def read_pages(
    api: httpx.Client, body: dict[str, Any], size: int, *, stop_on_short: bool = False
) -> tuple[list[tuple[str, str, str]], list[int]]:
    """Page a users details query; stop on an absent/empty page (or on a short one)."""
    found: list[tuple[str, str, str]] = []
    sizes: list[int] = []
    number = 1
    while True:
        r = api.post(UQUERY, json={**body, "paging": {"pageSize": size, "pageNumber": number}})
        assert r.status_code == 200, r.text
        details = r.json().get("userDetails")
        if not details:
            return found, sizes
        page = keys_of(details)
        found.extend(page)
        sizes.append(len(page))
        if stop_on_short and len(page) < size:
            return found, sizes
        number += 1


def truth_keys(emu: RunningEmulator, start: datetime, end: datetime) -> set[tuple[str, str, str]]:
    truth = emu.truth(start, end, dataset="user-details")
    return {(kind, uid, s) for kind in ("presence", "routing") for uid, s in truth[kind]}


def started_in(keys: list[tuple[str, str, str]], start: datetime, end: datetime) -> set:
    return {k for k in keys if start <= parse_instant(k[2]) < end}


# -- the query ----------------------------------------------------------------------------


def test_paging_to_an_empty_page_gives_exactly_the_truth_and_pages_are_short(
    emu: RunningEmulator, api: httpx.Client
) -> None:
    start, end = day(3), day(1)
    found, sizes = read_pages(api, {"interval": interval(start, end)}, 100)
    assert len(found) == len(set(found))  # duplicates were dropped
    assert started_in(found, start, end) == truth_keys(emu, start, end)
    short = [s for s in sizes[:-1] if s < 100]
    assert short, sizes  # short pages that are not the last one
    # records come back unclipped: some started the day before and some end after the interval
    assert any(parse_instant(k[2]) < start for k in found)


def test_a_client_that_stops_on_a_short_page_misses_records(
    emu: RunningEmulator, api: httpx.Client
) -> None:
    start, end = day(3), day(1)
    body = {"interval": interval(start, end)}
    naive, _ = read_pages(api, body, 100, stop_on_short=True)
    exact, _ = read_pages(api, body, 100)
    truth = truth_keys(emu, start, end)
    assert started_in(exact, start, end) == truth
    assert len(started_in(naive, start, end)) < 0.5 * len(truth)


def test_total_hits_counts_entries_with_their_duplicates(api: httpx.Client) -> None:
    body = {"interval": interval(day(3), day(1))}
    found, _ = read_pages(api, body, 100)
    r = api.post(UQUERY, json={**body, "paging": {"pageSize": 1}}).json()
    assert r["totalHits"] > len(found)


def test_past_the_last_page_user_details_is_absent(api: httpx.Client) -> None:
    body = {"interval": interval(day(2), day(1)), "paging": {"pageSize": 100, "pageNumber": 500}}
    r = api.post(UQUERY, json=body)
    assert r.status_code == 200 and "userDetails" not in r.json() and r.json()["totalHits"] > 0


def test_the_open_record_at_now_has_no_end_time(api: httpx.Client) -> None:
    body = {"interval": interval(NOW - timedelta(hours=1), NOW), "paging": {"pageSize": 100}}
    details = api.post(UQUERY, json=body).json()["userDetails"]
    open_records = [
        rec for d in details for key in KINDS for rec in d.get(key, ()) if "endTime" not in rec
    ]
    assert open_records
    assert all(parse_instant(rec["startTime"]) < NOW for rec in open_records)


def test_records_indexed_under_a_day_they_neither_start_nor_end_on_are_not_found(
    emu: RunningEmulator, api: httpx.Client
) -> None:
    """An OFFLINE over a whole day: a query of only that day does not return it."""
    timelines = emu.app_state.org.timelines
    d = day(4).date()
    through = [r for r in timelines.touching(d) if r[0] < parse_ms("2024-05-11T00:00:00.000Z")]
    through = [r for r in through if r[1] > parse_ms("2024-05-12T00:00:00.000Z")]
    found, _ = read_pages(api, {"interval": interval(day(4), day(3))}, 100)
    assert day(4) == datetime(2024, 5, 11, tzinfo=day(4).tzinfo)
    missing = {(r[3], r[2], r[0]) for r in through}
    assert all((kind, uid, s) not in found for kind, uid, s in missing)


def test_filters_by_user_presence_and_routing_status(
    emu: RunningEmulator, api: httpx.Client
) -> None:
    user = emu.app_state.org.roster.agents[3].user_id

    def pred(dim: str, value: str) -> list[dict]:
        return [{"type": "and", "predicates": [{"dimension": dim, "value": value}]}]

    body = {
        "interval": interval(day(3), day(1)),
        "userFilters": pred("userId", user),
        "presenceFilters": pred("systemPresence", "ON_QUEUE"),
        "routingStatusFilters": pred("routingStatus", "INTERACTING"),
    }
    r = api.post(UQUERY, json={**body, "paging": {"pageSize": 100}})
    details = r.json()["userDetails"]
    assert {d["userId"] for d in details} == {user}
    assert {p["systemPresence"] for d in details for p in d.get("primaryPresence", ())} == {
        "ON_QUEUE"
    }
    assert {p["routingStatus"] for d in details for p in d.get("routingStatus", ())} == {
        "INTERACTING"
    }
    # with a filter, 31 days are allowed; without, 7
    month = {"interval": interval(day(9) - timedelta(days=20), day(0))}
    assert api.post(UQUERY, json={**month, "userFilters": body["userFilters"]}).status_code == 200
    too_long = api.post(UQUERY, json=month)
    assert too_long.status_code == 400 and "7 days" in too_long.json()["message"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"paging": {"pageSize": 101}}, "maximum page size of 100"),
        ({"paging": {"pageSize": 100, "pageNumber": 1001}}, "may not exceed 100000"),
        (
            {
                "userFilters": [
                    {"type": "and", "predicates": [{"dimension": "queueId", "value": "q"}]}
                ]
            },
            "unknown user dimension 'queueId'",
        ),
        (
            {
                "presenceFilters": [
                    {"type": "and", "predicates": [{"dimension": "routingStatus", "value": "IDLE"}]}
                ]
            },
            "unknown presence dimension 'routingStatus'",
        ),
        ({"interval": "yesterday"}, "interval"),
        ({"order": "sideways"}, "order"),
        ({"interval": interval(day(9), day(0))}, "at most 7 days"),
    ],
)
def test_query_rules_answer_400_with_a_clear_message(
    api: httpx.Client, change: dict, words: str
) -> None:
    body = {"interval": interval(day(2), day(1)), **change}
    r = api.post(UQUERY, json=body)
    assert r.status_code == 400 and words in r.json()["message"], r.text


def test_descending_order_and_the_same_records(api: httpx.Client) -> None:
    body = {"interval": interval(day(2), day(1))}
    asc, _ = read_pages(api, body, 100)
    desc, _ = read_pages(api, {**body, "order": "desc"}, 100)
    assert set(asc) == set(desc) and asc != desc


# -- jobs ------------------------------------------------------------------------------------


def run_user_job(api: httpx.Client, clock: FakeClock, body: dict, size: int = 1000) -> list:
    submitted = api.post(UJOBS, json=body)
    assert submitted.status_code == 202, submitted.text
    job = f"{UJOBS}/{submitted.json()['jobId']}"
    clock.advance(2.5)
    assert api.get(job).json()["state"] == "FULFILLED"
    found: list = []
    params: dict[str, Any] = {"pageSize": size}
    while True:
        page = api.get(f"{job}/results", params=params).json()
        found.extend(keys_of(page["userDetails"]))
        if "cursor" not in page:
            break
        params = {"pageSize": size, "cursor": page["cursor"]}
    assert api.delete(job).status_code == 204
    assert api.get(job).status_code == 404
    return found


def test_a_job_returns_each_record_once_and_trims_to_the_truth(
    emu: RunningEmulator, api: httpx.Client, module_clock: FakeClock
) -> None:
    start, end = day(3), day(1)
    found = run_user_job(api, module_clock, {"interval": interval(start, end)}, size=300)
    assert len(found) == len(set(found)) > 600
    assert started_in(found, start, end) == truth_keys(emu, start, end)


def test_job_rules(api: httpx.Client, module_clock: FakeClock) -> None:
    body = {"interval": interval(day(2), day(1))}
    for key, value in (("paging", {"pageSize": 10}), ("startOfDayIntervalMatching", True)):
        r = api.post(UJOBS, json={**body, key: value})
        assert r.status_code == 400 and key in r.json()["message"]
    job = api.post(UJOBS, json=body).json()["jobId"]
    module_clock.advance(2.5)
    too_big = api.get(f"{UJOBS}/{job}/results", params={"pageSize": 1001})
    assert too_big.status_code == 400 and "1000" in too_big.json()["message"]
    # a users job is not a conversations job
    assert api.get(f"/api/v2/analytics/conversations/details/jobs/{job}").status_code == 404
    available = api.get(f"{UJOBS}/availability").json()["dataAvailabilityDate"]
    assert parse_instant(available) == NOW - timedelta(hours=1)


# -- aggregates --------------------------------------------------------------------------------


def test_aggregate_sums_equal_clipped_detail_durations_per_bucket(
    emu: RunningEmulator, api: httpx.Client
) -> None:
    start, end = day(2) + timedelta(hours=6), day(1) + timedelta(hours=6)
    metrics = ["tAgentRoutingStatus", "tOrganizationPresence", "tSystemPresence"]
    body = {"interval": interval(start, end), "granularity": "PT4H", "groupBy": ["userId"]}
    r = api.post(UAGG, json={**body, "metrics": metrics})
    assert r.status_code == 200, r.text
    out = r.json()
    sums: dict[tuple, float] = {}
    for result in out["results"]:
        for bucket in result["data"]:
            for m in bucket["metrics"]:
                key = (result["group"]["userId"], bucket["interval"], m["metric"], m["qualifier"])
                sums[key] = m["stats"]["sum"]
    # details fetched with a day of lead, clipped to each 4-hour bucket
    details, _ = read_pages(api, {"interval": interval(start - timedelta(days=1), end)}, 100)
    expected: dict[tuple, int] = defaultdict(int)
    records = raw_records(api, start - timedelta(days=1), end)
    edges = [start + timedelta(hours=4 * i) for i in range(7)]
    for uid, kind, rec in records:
        a = parse_instant(rec["startTime"])
        b = parse_instant(rec["endTime"]) if "endTime" in rec else NOW
        for lo, hi in itertools.pairwise(edges):
            part = (min(b, hi) - max(a, lo)) // timedelta(milliseconds=1)
            if part <= 0:
                continue
            label = interval(lo, hi)
            if kind == "presence":
                expected[(uid, label, "tSystemPresence", rec["systemPresence"])] += part
                qualifier = rec["organizationPresenceId"]
                expected[(uid, label, "tOrganizationPresence", qualifier)] += part
            else:
                expected[(uid, label, "tAgentRoutingStatus", rec["routingStatus"])] += part
    assert sums == dict(expected)
    assert len(details) > 100
    per_user_bucket: dict[tuple[str, str], int] = defaultdict(int)
    leavers = {a.user_id for a in emu.app_state.org.roster.agents if a.leave_day is not None}
    for (uid, label, metric, _), ms in sums.items():
        if metric == "tSystemPresence" and uid not in leavers:
            per_user_bucket[(uid, label)] += int(ms)
    assert set(per_user_bucket.values()) == {4 * 3600 * 1000}  # presence covers every ms
    mappings = out["systemToOrganizationMappings"]
    assert mappings["MEAL"] and all(len(v) >= 1 for v in mappings.values())


def raw_records(api: httpx.Client, start: datetime, end: datetime) -> list:
    out = []
    seen = set()
    number = 1
    while True:
        body = {"interval": interval(start, end), "paging": {"pageSize": 100, "pageNumber": number}}
        details = api.post(UQUERY, json=body).json().get("userDetails")
        if not details:
            return out
        for d in details:
            for key, kind in KINDS.items():
                for rec in d.get(key, ()):
                    if (kind, d["userId"], rec["startTime"]) not in seen:
                        seen.add((kind, d["userId"], rec["startTime"]))
                        out.append((d["userId"], kind, rec))
        number += 1


def test_aggregates_rules(emu: RunningEmulator, api: httpx.Client) -> None:
    base = {"interval": interval(day(2), day(1)), "metrics": ["tSystemPresence"]}
    users = [a.user_id for a in emu.app_state.org.roster.agents]
    preds = [{"dimension": "userId", "value": u} for u in (users * 3)[:101]]
    r = api.post(UAGG, json={**base, "filter": {"type": "or", "predicates": preds}})
    assert r.status_code == 400 and "at most 100" in r.json()["message"]
    ok = api.post(UAGG, json={**base, "filter": {"type": "or", "predicates": preds[:2]}})
    assert ok.status_code == 200
    assert [res["group"] for res in ok.json()["results"]] == [{}]  # no groupBy: one group
    assert api.post(UAGG, json={**base, "metrics": ["nOffered"]}).status_code == 400
    assert api.post(UAGG, json={**base, "groupBy": ["queueId"]}).status_code == 400
    bad = {"type": "and", "predicates": [{"dimension": "queueId", "value": "x"}]}
    assert api.post(UAGG, json={**base, "filter": bad}).status_code == 400
    future = api.post(UAGG, json={**base, "interval": interval(day(-2), day(-3))}).json()
    assert "results" not in future and future["systemToOrganizationMappings"]


def test_aggregates_buckets_follow_granularity_and_time_zone(api: httpx.Client) -> None:
    body = {
        "interval": interval(day(3), day(1)),
        "granularity": "PT12H",
        "timeZone": "America/New_York",
        "metrics": ["tAgentRoutingStatus"],
    }
    r = api.post(UAGG, json=body).json()
    intervals = [d["interval"] for d in r["results"][0]["data"]]
    edges = [day(3) + timedelta(hours=12 * i) for i in range(5)]
    assert intervals == [interval(a, b) for a, b in itertools.pairwise(edges)]
    bad = api.post(UAGG, json={**body, "timeZone": "Mars/Olympus"})
    assert bad.status_code == 400 and "timeZone" in bad.json()["message"]
    many = api.post(UAGG, json={**body, "granularity": "PT1M"})
    assert many.status_code == 400 and "1000 buckets" in many.json()["message"]


# -- faults apply to the new endpoints -----------------------------------------------------------


def test_faults_reach_the_users_endpoints() -> None:
    settings = small_settings(days=3, per_day=100, faults={"server-errors": 1.0})
    with run_emulator(settings, clock=FakeClock()) as emu, api_client(emu) as api:
        body = {"interval": interval(day(1), day(0))}
        assert api.post(UQUERY, json=body).status_code in (500, 502, 503, 504)
        assert api.get("/api/v2/users").status_code in (500, 502, 503, 504)
    settings = small_settings(days=3, per_day=100, faults={"job-failure": 1.0, "drift": 1.0})
    clock = FakeClock()
    with run_emulator(settings, clock=clock) as emu, api_client(emu) as api:
        job = api.post(UJOBS, json={"interval": interval(day(1), day(0))}).json()["jobId"]
        clock.advance(3)
        status = api.get(f"{UJOBS}/{job}").json()
        assert status["state"] == "FAILED" and status["errorMessage"]
        body = {"interval": interval(day(2), day(1)), "paging": {"pageSize": 100}}
        found, _ = read_pages(api, {"interval": body["interval"]}, 100)
        hits = api.post(UQUERY, json=body).json()["totalHits"]
        assert hits != len(found)  # approximate
