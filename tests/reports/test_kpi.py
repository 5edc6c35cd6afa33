"""The KPI definitions (decisions.md §8) on hand-built conversations and aggregate rows."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from genesys_analytics.api.aggregates import AggregateRow, Count, Duration, Ratio, decode
from genesys_analytics.errors import ConfigError
from genesys_analytics.reports.kpi import (
    KPIS,
    Names,
    Tally,
    aggregates_query,
    kpis,
    kpis_from_aggregates,
    kpis_from_details,
    observations,
    parse_by,
)
from genesys_analytics.timeutil import Interval

UTC = timezone.utc
DAY = Interval(datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC))
Q1, Q2 = "q-1", "q-2"
NAMES = Names.from_lists(
    [
        {
            "id": Q1,
            "name": "Sales",
            "mediaSettings": {"call": {"serviceLevel": {"durationMs": 20_000}}},
        },
        {
            "id": Q2,
            "name": "Billing",
            "mediaSettings": {"chat": {"serviceLevel": {"durationMs": 60_000}}},
        },
    ],
    [{"id": "u-1", "name": "Ada"}],
    [{"id": "w-1", "name": "Resolved"}],
)


def m(name: str, value: int, at: str) -> dict:
    return {"name": name, "value": value, "emitDate": f"2024-05-01T{at}.000Z"}


def conv(start: str, *parts: dict, direction: str = "inbound") -> dict:
    return {
        "conversationId": f"c-{start}",
        "conversationStart": f"2024-05-01T{start}.000Z",
        "originatingDirection": direction,
        "participants": list(parts),
    }


def acd(queue: str, media: str, start: str, *metrics: dict) -> dict:
    seg = {"segmentStart": f"2024-05-01T{start}.000Z", "segmentType": "interact", "queueId": queue}
    return {
        "purpose": "acd",
        "sessions": [{"mediaType": media, "segments": [seg], "metrics": list(metrics)}],
    }


def agent(queue: str | None, media: str, start: str, *metrics: dict, wrap: str = "w-1") -> dict:
    segs = [{"segmentStart": f"2024-05-01T{start}.000Z", "segmentType": "interact"}]
    if queue:
        segs[0]["queueId"] = queue
    segs.append(
        {"segmentStart": f"2024-05-01T{start}.000Z", "segmentType": "wrapup", "wrapUpCode": wrap}
    )
    return {
        "purpose": "agent",
        "userId": "u-1",
        "sessions": [{"mediaType": media, "segments": segs, "metrics": list(metrics)}],
    }


def answered(start: str, wait_ms: int, handle_ms: int, queue: str = Q1, **kw: str) -> dict:
    return conv(
        start,
        acd(queue, "voice", start, m("nOffered", 1, start)),
        agent(
            queue, "voice", start, m("tAnswered", wait_ms, start), m("tHandle", handle_ms, start)
        ),
        **kw,
    )


def test_empty_denominators_are_none_never_zero() -> None:
    values = kpis(Tally())
    assert values["offered"] == 0 and values["answered"] == 0
    for name in ("asa_ms", "aht_ms", "abandon_rate", "service_level", "transfer_rate"):
        assert values[name] is None, name
    only_abandons = kpis(Tally(offered=2, abandoned=2, sl_denominator=2))
    assert only_abandons["asa_ms"] is None and only_abandons["transfer_rate"] is None
    assert only_abandons["service_level"] == 0 and only_abandons["abandon_rate"] == 1


def test_service_level_counts_late_answers_and_abandons() -> None:
    convs = [
        answered("08:00:00", 5_000, 100_000),  # on time
        answered("08:10:00", 20_000, 200_000),  # exactly the target: on time
        answered("08:20:00", 20_001, 300_000),  # late
        conv(  # abandoned in queue, and a short abandon
            "08:30:00",
            acd(
                Q1,
                "voice",
                "08:30:00",
                m("nOffered", 1, "08:30:00"),
                m("tAbandon", 4_000, "08:30:04"),
                m("tShortAbandon", 4_000, "08:30:04"),
            ),
        ),
        conv(  # flowed out to a callback: offered, neither answered nor abandoned
            "08:40:00",
            acd(
                Q1,
                "voice",
                "08:40:00",
                m("nOffered", 1, "08:40:00"),
                m("tFlowOut", 9_000, "08:40:09"),
            ),
        ),
    ]
    report = kpis_from_details(convs, NAMES, DAY, ("queue",))
    total = report.totals
    assert total["offered"] == 5 and total["answered"] == 3 and total["abandoned"] == 1
    assert total["service_level"] == pytest.approx(2 / 4)  # (3 − 1 late) / (3 + 1)
    assert total["abandon_rate"] == pytest.approx(1 / 5)
    assert total["asa_ms"] == pytest.approx((5_000 + 20_000 + 20_001) / 3)
    assert total["aht_ms"] == pytest.approx(200_000)
    assert report.rows[0].key == (Q1,)


def test_answers_in_a_queue_without_a_target_stay_out_of_service_level() -> None:
    report = kpis_from_details(
        [answered("09:00:00", 1_000, 10_000, queue="q-unknown")], NAMES, DAY, ()
    )
    assert report.totals["answered"] == 1 and report.totals["service_level"] is None


def test_transfer_rate_and_metrics_belong_to_their_session() -> None:
    first = agent(
        Q1,
        "voice",
        "10:00:00",
        m("tAnswered", 3_000, "10:00:03"),
        m("nTransferred", 1, "10:05:00"),
        m("tHandle", 300_000, "10:06:00"),
    )
    second_acd = acd(Q2, "voice", "10:05:00", m("nOffered", 1, "10:05:00"))
    c = conv(
        "10:00:00",
        acd(Q1, "voice", "10:00:00", m("nOffered", 1, "10:00:00")),
        first,
        second_acd,
        agent(Q2, "voice", "10:05:30", m("tAnswered", 30_000, "10:05:30")),
    )
    obs = list(observations(c, NAMES))
    assert [o.after for o in obs].count("transfer") == 2  # the second queue's offer and answer
    report = kpis_from_details([c], NAMES, DAY, ("queue",))
    by_queue = {r.key[0]: r.values for r in report.rows}
    assert by_queue[Q1]["transfer_rate"] == 1 and by_queue[Q2]["transfer_rate"] == 0
    assert by_queue[Q2]["offered"] == 1 and report.totals["transfer_rate"] == pytest.approx(0.5)


def test_a_session_without_queue_takes_the_conversation_acd_queue() -> None:
    c = conv(
        "11:00:00",
        acd(Q1, "voice", "11:00:00", m("nOffered", 1, "11:00:00")),
        agent(None, "voice", "11:00:10", m("tHandle", 60_000, "11:01:10")),
    )
    report = kpis_from_details([c], NAMES, DAY, ("queue", "user", "wrapUpCode"))
    assert {r.key for r in report.rows} == {(Q1, None, None), (Q1, "u-1", "w-1")}


def test_details_bucket_by_conversation_start_in_the_time_zone() -> None:
    late = conv("03:59:00", acd(Q1, "voice", "03:59:00", m("nOffered", 1, "04:01:00")))
    report = kpis_from_details([late], NAMES, DAY, ("day", "hour"), "America/New_York")
    assert [r.key for r in report.rows] == [("2024-04-30", "23")]  # by start, 23:59 local
    outside = conv("00:00:00", acd(Q1, "voice", "00:00:00", m("nOffered", 1, "00:00:00")))
    outside["conversationStart"] = "2024-04-30T23:59:59.999Z"
    assert kpis_from_details([outside], NAMES, DAY, ()).totals["offered"] == 0


def row(group: dict, start: str, **metrics: object) -> AggregateRow:
    iv = Interval.parse(f"2024-05-01T{start}:00.000Z/2024-05-01T{int(start) + 1:02d}:00:00.000Z")
    return AggregateRow(group, iv, metrics)  # type: ignore[arg-type]


def test_aggregates_sum_service_level_parts_never_average_ratios() -> None:
    rows = [
        row(
            {"queueId": Q1},
            "08",
            nOffered=Count(10),
            tAnswered=Duration(9, 90_000),
            oServiceLevel=Ratio(1, 1, 0.8),
        ),  # ratio 1.0 over one contact
        row(
            {"queueId": Q1},
            "09",
            nOffered=Count(100),
            tAnswered=Duration(90, 900_000),
            tAbandon=Duration(10, 50_000),
            oServiceLevel=Ratio(20, 100, 0.8),
        ),  # 0.2
    ]
    report = kpis_from_aggregates(rows, DAY, ("queue",))
    assert report.totals["service_level"] == pytest.approx(21 / 101)  # not (1.0 + 0.2) / 2
    assert report.rows[0].values["service_level"] == pytest.approx(21 / 101)
    assert report.totals["asa_ms"] == pytest.approx(990_000 / 99)
    assert report.totals["abandon_rate"] == pytest.approx(10 / 110)
    assert report.totals["aht_ms"] is None and report.totals["transfer_rate"] == 0


def test_aggregates_decode_and_bucket_by_hour() -> None:
    response = {
        "results": [
            {
                "group": {"mediaType": "voice"},
                "data": [
                    {
                        "interval": "2024-05-01T08:00:00.000Z/2024-05-01T09:00:00.000Z",
                        "metrics": [
                            {"metric": "nOffered", "stats": {"count": 3}},
                            {
                                "metric": "oServiceLevel",
                                "stats": {
                                    "ratio": 0.5,
                                    "numerator": 1,
                                    "denominator": 2,
                                    "target": 0.8,
                                },
                            },
                            {"metric": "nTransferred", "stats": {"count": 1}},
                            {
                                "metric": "tAnswered",
                                "stats": {"count": 2, "sum": 4000, "min": 1000, "max": 3000},
                            },
                        ],
                    }
                ],
            }
        ]
    }
    report = kpis_from_aggregates(decode(response), DAY, ("mediaType", "hour"))
    assert report.rows[0].key == ("voice", "08")
    assert report.rows[0].values == {
        "offered": 3,
        "answered": 2,
        "abandoned": 0,
        "asa_ms": 2000.0,
        "aht_ms": None,
        "abandon_rate": 0.0,
        "service_level": 0.5,
        "transfer_rate": 0.5,
    }
    assert tuple(report.metrics) == KPIS


def test_query_and_by() -> None:
    q = aggregates_query(DAY, parse_by(["queue,user", "hour"]), "Europe/Paris")
    assert q.group_by == ("queueId", "userId") and q.granularity == "PT1H"
    assert "oServiceLevel" in q.metrics
    assert parse_by("WrapUpCode") == ("wrapUpCode",)
    with pytest.raises(ConfigError, match="not one of"):
        parse_by("agent")
    with pytest.raises(ConfigError, match="twice"):
        parse_by("day,day")


def test_names_include_system_wrapups_and_targets_by_media() -> None:
    assert NAMES.label("wrapUpCode", "ININ-WRAP-UP-TIMEOUT") == "Wrap-up timed out (system)"
    assert NAMES.label("queue", Q1) == "Sales" and NAMES.label("queue", "gone") == "gone"
    assert NAMES.target(Q1, "voice") == 20_000 and NAMES.target(Q1, "chat") is None
