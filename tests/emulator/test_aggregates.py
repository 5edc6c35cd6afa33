"""Aggregates: buckets, time zones, groups, stats shapes, errors, and plausibility."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from genesys_analytics.emulator.data.org import Org, OrgSpec, truth
from genesys_analytics.emulator.query.aggregates import aggregate
from genesys_analytics.emulator.query.buckets import boundaries, parse_granularity
from genesys_analytics.emulator.query.matching import BadFilter
from genesys_analytics.timeutil import UTC, fmt

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)


def session(media: str, metrics: list[tuple[str, int, str]], queue: str = "q1", **kw: str) -> dict:
    segs = [{"segmentStart": metrics[0][2], "segmentType": "interact", "queueId": queue}]
    if "wrapUpCode" in kw:
        segs.append({"segmentType": "wrapup", "wrapUpCode": kw.pop("wrapUpCode")})
    return {
        "mediaType": media,
        "direction": kw.get("direction", "inbound"),
        "segments": segs,
        "metrics": [{"name": n, "value": v, "emitDate": at} for n, v, at in metrics],
    }


def conversation(
    *parts: dict, direction: str = "inbound", start: str = "2024-05-01T00:00:00.000Z"
) -> dict:
    return {
        "conversationId": "c",
        "conversationStart": start,
        "originatingDirection": direction,
        "participants": list(parts),
    }


def agent(user: str, *sessions: dict) -> dict:
    return {"purpose": "agent", "userId": user, "sessions": list(sessions)}


CONVS = [
    conversation(
        {
            "purpose": "acd",
            "sessions": [session("voice", [("nOffered", 1, "2024-05-01T08:10:00.000Z")])],
        },
        agent(
            "u1",
            session(
                "voice",
                [("tHandle", 300, "2024-05-01T08:20:00.000Z"), ("nConnected", 1, "x")],
                wrapUpCode="w1",
            ),
        ),
    ),
    conversation(
        {
            "purpose": "acd",
            "sessions": [
                session("voice", [("nOffered", 1, "2024-05-01T09:00:00.000Z")]),
                session("callback", [("nOffered", 1, "2024-05-01T09:30:00.000Z")], queue="q2"),
            ],
        },
        agent("u2", session("voice", [("tHandle", 100, "2024-05-01T09:59:59.999Z")])),
    ),
]
BODY = {
    "interval": "2024-05-01T08:00:00.000Z/2024-05-01T10:00:00.000Z",
    "granularity": "PT1H",
    "metrics": ["nOffered", "tHandle"],
}


def cells(result: dict) -> dict:
    """{(group items, interval, metric): stats}"""
    out = {}
    for r in result.get("results", []):
        for d in r["data"]:
            for m in d["metrics"]:
                out[(tuple(sorted(r["group"].items())), d["interval"], m["metric"])] = m["stats"]
    return out


def test_buckets_and_stats_shapes() -> None:
    got = cells(aggregate(CONVS, {**BODY, "groupBy": ["mediaType"]}, NOW))
    h8 = "2024-05-01T08:00:00.000Z/2024-05-01T09:00:00.000Z"
    h9 = "2024-05-01T09:00:00.000Z/2024-05-01T10:00:00.000Z"
    voice, callback = (("mediaType", "voice"),), (("mediaType", "callback"),)
    assert got == {
        (voice, h8, "nOffered"): {"count": 1},
        (voice, h8, "tHandle"): {"max": 300, "min": 300, "count": 1, "sum": 300},
        (voice, h9, "nOffered"): {"count": 1},  # emitted exactly at 09:00 → second bucket
        (voice, h9, "tHandle"): {"max": 100, "min": 100, "count": 1, "sum": 100},
        (callback, h9, "nOffered"): {"count": 1},
    }


def test_whole_interval_is_one_bucket_without_granularity() -> None:
    body = {k: v for k, v in BODY.items() if k != "granularity"}
    result = aggregate(CONVS, body, NOW)
    assert len(result["results"]) == 1 and result["results"][0]["group"] == {}
    [data] = result["results"][0]["data"]
    assert data["interval"] == BODY["interval"]
    by_name = {m["metric"]: m["stats"] for m in data["metrics"]}
    assert by_name == {
        "nOffered": {"count": 3},
        "tHandle": {"max": 300, "min": 100, "count": 2, "sum": 400},
    }
    assert [m["metric"] for m in data["metrics"]] == ["nOffered", "tHandle"]  # requested order


def test_half_open_interval_and_omitted_results() -> None:
    body = {**BODY, "interval": "2024-05-01T10:00:00.000Z/2024-05-01T11:00:00.000Z"}
    assert aggregate(CONVS, body, NOW) == {}  # "results" omitted entirely
    early = {**BODY, "interval": "2024-05-01T08:00:00.000Z/2024-05-01T08:10:00.000Z"}
    assert aggregate(CONVS, early, NOW) == {}  # 08:10 is the end, not inside


def test_empty_buckets_are_omitted() -> None:
    body = {**BODY, "granularity": "PT30M", "metrics": ["tHandle"]}
    result = aggregate(CONVS, body, NOW)
    intervals = [d["interval"] for r in result["results"] for d in r["data"]]
    assert intervals == [
        "2024-05-01T08:00:00.000Z/2024-05-01T08:30:00.000Z",
        "2024-05-01T09:30:00.000Z/2024-05-01T10:00:00.000Z",
    ]


def test_group_by_queue_user_wrapup_direction() -> None:
    body = {**BODY, "granularity": None, "groupBy": ["queueId", "userId", "wrapUpCode"]}
    groups = [r["group"] for r in aggregate(CONVS, body, NOW)["results"]]
    assert {"queueId": "q1", "userId": "u1", "wrapUpCode": "w1"} in groups
    assert {"queueId": "q2"} in groups  # no user, no wrap-up: dimensions left out
    body["groupBy"] = ["originatingDirection", "direction"]
    groups = [r["group"] for r in aggregate(CONVS, body, NOW)["results"]]
    assert groups == [{"originatingDirection": "inbound", "direction": "inbound"}]


def test_filter_applies_per_session() -> None:
    flt = {"type": "and", "predicates": [{"dimension": "queueId", "value": "q2"}]}
    result = aggregate(CONVS, {**BODY, "granularity": None, "filter": flt}, NOW)
    stats = cells(result)
    assert stats == {((), BODY["interval"], "nOffered"): {"count": 1}}
    flt = {"type": "and", "predicates": [{"dimension": "userId", "value": "u1"}]}
    stats = cells(aggregate(CONVS, {**BODY, "granularity": None, "filter": flt}, NOW))
    assert list(stats.values()) == [{"max": 300, "min": 300, "count": 1, "sum": 300}]


def test_day_buckets_across_dst_in_new_york() -> None:
    # 2024-03-10 is 23 hours long in America/New_York (clocks jump 02:00 → 03:00)
    edges = boundaries(
        datetime(2024, 3, 9, 5, tzinfo=UTC),
        datetime(2024, 3, 12, 4, tzinfo=UTC),
        "P1D",
        __import__("zoneinfo").ZoneInfo("America/New_York"),
        1000,
    )
    assert [fmt(e) for e in edges] == [
        "2024-03-09T05:00:00.000Z",
        "2024-03-10T05:00:00.000Z",
        "2024-03-11T04:00:00.000Z",
        "2024-03-12T04:00:00.000Z",
    ]
    conv = conversation(
        {
            "purpose": "acd",
            "sessions": [
                session("voice", [("nOffered", 1, "2024-03-11T03:30:00.000Z")]),  # 23:30 EDT 10th
                session("voice", [("nOffered", 1, "2024-03-11T04:30:00.000Z")]),  # 00:30 EDT 11th
            ],
        },
        start="2024-03-11T03:00:00.000Z",
    )
    body = {
        "interval": "2024-03-10T05:00:00.000Z/2024-03-12T04:00:00.000Z",
        "granularity": "P1D",
        "timeZone": "America/New_York",
        "metrics": ["nOffered"],
    }
    data = aggregate([conv], body, NOW)["results"][0]["data"]
    assert [(d["interval"], d["metrics"][0]["stats"]["count"]) for d in data] == [
        ("2024-03-10T05:00:00.000Z/2024-03-11T04:00:00.000Z", 1),
        ("2024-03-11T04:00:00.000Z/2024-03-12T04:00:00.000Z", 1),
    ]


def test_utc_day_buckets_and_month_granularity() -> None:
    start, end = datetime(2024, 1, 31, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)
    months = boundaries(start, end, "P1M", UTC, 1000)
    assert [e.date() for e in months] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 1),
    ]
    assert parse_granularity("P7D") == (0, 7, timedelta(0))
    assert parse_granularity("PT30M") == (0, 0, timedelta(minutes=30))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"metrics": ["nOffered", "nBogus"]}, "nBogus"),
        ({"metrics": []}, "metrics"),
        ({"groupBy": ["colour"]}, "colour"),
        ({"granularity": "1 hour"}, "granularity"),
        ({"granularity": "PT0M"}, "zero"),
        ({"timeZone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"interval": "yesterday"}, "interval"),
        ({"interval": None}, "interval"),
        ({"granularity": "PT1S"}, "1000 buckets"),
        (
            {"filter": {"type": "and", "predicates": [{"dimension": "colour", "value": "x"}]}},
            "colour",
        ),
    ],
)
def test_bad_bodies_raise(change: dict, needle: str) -> None:
    with pytest.raises(BadFilter, match=needle):
        aggregate(CONVS, {**BODY, **change}, NOW)


def test_conversations_outside_the_interval_are_skipped() -> None:
    late = conversation(
        {"purpose": "acd", "sessions": [session("voice", [("nOffered", 1, "x")])]},
        start="2024-05-01T10:00:00.000Z",
    )
    ended = {**CONVS[0], "conversationEnd": "2024-05-01T07:59:59.999Z"}
    assert aggregate([late, ended], BODY, NOW) == {}


def test_max_buckets_is_a_parameter() -> None:
    with pytest.raises(BadFilter, match="2 buckets"):
        aggregate(CONVS, {**BODY, "granularity": "PT30M"}, NOW, max_buckets=2)
    assert aggregate(CONVS, BODY, NOW, max_buckets=2)["results"]


def test_generated_offers_are_close_to_distinct_conversations() -> None:
    org = Org(OrgSpec(seed=8, days=6, per_day=600, now=NOW))
    day = date(2024, 5, 13)
    start = datetime(2024, 5, 13, tzinfo=UTC)
    candidates = [c for i in range(4) for c in org.day(day - timedelta(days=i - 1))]
    body = {
        "interval": f"{fmt(start)}/{fmt(start + timedelta(days=1))}",
        "groupBy": ["mediaType"],
        "metrics": ["nOffered", "nConnected", "tAbandon", "tHandle"],
    }
    result = aggregate(candidates, body, NOW)
    offered = {
        r["group"]["mediaType"]: r["data"][0]["metrics"][0]["stats"]["count"]
        for r in result["results"]
    }
    counts = truth(org, start, start + timedelta(days=1))["counts"]
    assert set(offered) == set(counts)
    for media in ("voice", "chat", "email", "message"):
        assert 0.85 * counts[media] < offered[media] < 1.2 * counts[media], media
    assert offered != counts  # close, not identical
