"""The aggregates query plan (chunking to 31 days / 1,000 buckets, aligned in a time zone)
and the decoding of its stats, on hand-built responses."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from genesys_analytics.api.aggregates import (
    AggregateQuery,
    AggregateRow,
    Count,
    Duration,
    Granularity,
    Ratio,
    add_stats,
    bucket_edges,
    decode,
    decode_stats,
    plan_chunks,
    run,
)
from genesys_analytics.emulator.query.buckets import boundaries
from genesys_analytics.errors import ConfigError
from genesys_analytics.reports.aggregates import group_aggregates
from genesys_analytics.timeutil import Interval

UTC = timezone.utc
NY = ZoneInfo("America/New_York")


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _buckets(chunk: Interval, gran: str, tz: str | None) -> int:
    return len(list(bucket_edges(chunk, Granularity.parse(gran), ZoneInfo(tz) if tz else UTC))) - 1


def test_granularity_parse() -> None:
    assert Granularity.parse("PT30M").clock == timedelta(minutes=30)
    assert Granularity.parse("P1D").days == 1
    assert Granularity.parse("P1W").days == 7
    assert Granularity.parse("P1M").months == 1
    for bad in ("", "1D", "PT", "P0D", "PTH"):
        with pytest.raises(ConfigError):
            Granularity.parse(bad)


def test_chunks_without_granularity_respect_31_days() -> None:
    interval = Interval(_t("2024-01-01T00:00:00Z"), _t("2024-03-15T06:00:00Z"))
    chunks = plan_chunks(interval)
    assert chunks[0].start == interval.start and chunks[-1].end == interval.end
    assert all(a.end == b.start for a, b in pairwise(chunks))
    assert all(c.duration <= timedelta(days=31) for c in chunks)
    assert len(chunks) == 3


@pytest.mark.parametrize(
    ("gran", "days", "tz"),
    [("PT1H", 62, None), ("PT30M", 31, "Europe/Paris"), ("PT15M", 20, None), ("P1D", 100, NY.key)],
)
def test_chunks_respect_both_limits_and_the_emulator_accepts_them(
    gran: str, days: int, tz: str | None
) -> None:
    interval = Interval(
        _t("2024-02-20T00:00:00Z"), _t("2024-02-20T00:00:00Z") + timedelta(days=days)
    )
    chunks = plan_chunks(interval, gran, tz)
    assert chunks[0].start == interval.start and chunks[-1].end == interval.end
    assert all(a.end == b.start for a, b in pairwise(chunks))
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.duration <= timedelta(days=31)
        assert _buckets(chunk, gran, tz) <= 1000
        # the emulator cuts the same buckets and does not refuse the request
        emu = boundaries(chunk.start, chunk.end, gran, ZoneInfo(tz) if tz else UTC, 1000)
        ours = list(bucket_edges(chunk, Granularity.parse(gran), ZoneInfo(tz) if tz else UTC))
        assert emu == ours


def test_small_limits_split_on_bucket_count() -> None:
    interval = Interval(_t("2024-05-01T00:00:00Z"), _t("2024-05-02T00:00:00Z"))
    chunks = plan_chunks(interval, "PT1H", None, max_buckets=5)
    assert [c.duration for c in chunks] == [timedelta(hours=5)] * 4 + [timedelta(hours=4)]


def test_day_buckets_align_to_local_midnight_across_dst() -> None:
    # starts mid-afternoon New York time, crosses the spring-forward night of 2024-03-10
    interval = Interval(_t("2024-03-08T20:00:00Z"), _t("2024-03-12T04:00:00Z"))
    edges = list(bucket_edges(interval, Granularity.parse("P1D"), NY))
    local = [e.astimezone(NY) for e in edges]
    assert edges[0] == interval.start and edges[-1] == interval.end
    assert all((t.hour, t.minute) == (0, 0) for t in local[1:])
    lengths = [b - a for a, b in pairwise(edges[1:])]
    assert timedelta(hours=23) in lengths  # the short DST day
    chunks = plan_chunks(interval, "P1D", NY.key)
    assert chunks[0] == Interval(interval.start, edges[1])  # the short leading bucket alone


def test_hour_alignment_in_half_hour_zone() -> None:
    interval = Interval(_t("2024-05-01T12:00:00Z"), _t("2024-05-01T15:00:00Z"))
    edges = list(bucket_edges(interval, Granularity.parse("PT1H"), ZoneInfo("Asia/Kolkata")))
    assert edges[1] == _t("2024-05-01T12:30:00Z")  # 18:00 in India
    assert edges[-1] == interval.end and len(edges) == 5


def test_bucket_longer_than_limit_is_refused() -> None:
    interval = Interval(_t("2024-01-01T00:00:00Z"), _t("2024-06-01T00:00:00Z"))
    with pytest.raises(ConfigError, match="longer than 31 days"):
        plan_chunks(interval, "P2M")


def test_decode_stats_by_family() -> None:
    assert decode_stats("nOffered", {"count": 12}) == Count(12)
    t = decode_stats("tHandle", {"max": 596146, "min": 11, "count": 10, "sum": 704305})
    assert t == Duration(10, 704305, 11, 596146)
    assert isinstance(t, Duration) and t.avg_ms == pytest.approx(70430.5)
    o = decode_stats(
        "oServiceLevel", {"ratio": 0.8, "numerator": 8, "denominator": 10, "target": 0.8}
    )
    assert isinstance(o, Ratio) and o.ratio == pytest.approx(0.8) and o.target == 0.8
    only = decode_stats("oServiceLevel", {"ratio": 0.5})
    assert isinstance(only, Ratio) and only.ratio == 0.5
    assert decode_stats("nOffered", {}) == Count(0)


def test_stats_add_up() -> None:
    assert Count(2) + Count(3) == Count(5)
    total = Duration(2, 100, 10, 90) + Duration(1, 500, 500, 500)
    assert total == Duration(3, 600, 10, 500) and total.avg_ms == 200
    assert Duration().avg_ms is None
    assert (Ratio(8, 10, 0.8) + Ratio(1, 10)).ratio == pytest.approx(0.45)
    assert add_stats(None, Count(1)) == Count(1)
    with pytest.raises(TypeError):
        add_stats(Count(1), Duration(1, 1))


RESPONSE: dict[str, Any] = {
    "results": [
        {
            "group": {"mediaType": "voice", "queueId": "q-1"},
            "data": [
                {
                    "interval": "2024-03-10T04:00:00.000Z/2024-03-10T05:00:00.000Z",
                    "metrics": [
                        {"metric": "nOffered", "stats": {"count": 3}},
                        {"metric": "tHandle", "stats": {"max": 9, "min": 1, "count": 2, "sum": 10}},
                    ],
                },
                {
                    "interval": "2024-03-10T07:00:00.000Z/2024-03-10T08:00:00.000Z",
                    "metrics": [{"metric": "nOffered", "stats": {"count": 4}}],
                },
            ],
        },
        {
            "group": {"mediaType": "chat"},
            "data": [
                {
                    "interval": "2024-03-10T07:00:00.000Z/2024-03-10T08:00:00.000Z",
                    "metrics": [{"metric": "nConnected", "stats": {"count": 5}}],
                }
            ],
        },
    ]
}


def test_decode_response() -> None:
    rows = list(decode(RESPONSE))
    assert len(rows) == 3
    assert rows[0].group == {"mediaType": "voice", "queueId": "q-1"}
    assert rows[0].interval.start == _t("2024-03-10T04:00:00Z")
    assert rows[0].metrics == {"nOffered": Count(3), "tHandle": Duration(2, 10, 1, 9)}
    assert list(decode({})) == []


def test_group_aggregates_by_local_hour_across_dst() -> None:
    rows = list(decode(RESPONSE))
    interval = Interval(_t("2024-03-10T00:00:00Z"), _t("2024-03-11T00:00:00Z"))
    report = group_aggregates(rows, interval, ("hour", "mediaType"), NY.key)
    # 04:00Z is 23:00 EST on the 9th; 07:00Z is 03:00 EDT (02:00 does not exist)
    assert report.value(("23", "voice"), "offered") == 3
    assert report.value(("03", "voice"), "offered") == 4
    assert report.value(("03", "chat"), "connected") == 5
    assert report.totals["offered"] == 7 and report.totals["handleMs"] == 10
    assert report.value(("23", "voice"), "avgHandleMs") == 5
    by_queue = group_aggregates(rows, interval, ("queue",), None)
    assert by_queue.value(("q-1",), "offered") == 7
    assert by_queue.value((None,), "connected") == 5


class FakeClient:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def aggregates(self, body: dict[str, Any]) -> dict[str, Any]:
        self.bodies.append(body)
        start = Interval.parse(body["interval"]).start
        bucket = f"{start.isoformat()}/{(start + timedelta(hours=1)).isoformat()}"
        return {
            "results": [
                {
                    "group": {"mediaType": "voice"},
                    "data": [
                        {
                            "interval": bucket,
                            "metrics": [{"metric": "nOffered", "stats": {"count": 1}}],
                        }
                    ],
                }
            ]
        }


def test_run_sends_one_body_per_chunk() -> None:
    client = FakeClient()
    interval = Interval(_t("2024-03-01T05:00:00Z"), _t("2024-04-20T04:00:00Z"))
    query = AggregateQuery(
        interval, ("nOffered",), ("mediaType",), granularity="P1D", time_zone=NY.key
    )
    rows: list[AggregateRow] = list(run(client, query))
    assert len(client.bodies) == len(query.chunks()) == len(rows) >= 2
    for body in client.bodies:
        assert body["granularity"] == "P1D" and body["timeZone"] == NY.key
        assert body["groupBy"] == ["mediaType"] and body["metrics"] == ["nOffered"]
        assert Interval.parse(body["interval"]).duration <= timedelta(days=31)
    utc_body = next(AggregateQuery(interval).bodies())
    assert "timeZone" not in utc_body and "granularity" not in utc_body
