"""Volume reports from details (pure grouping), rendering, queue names, the chart and the
DuckDB views."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from genesys_analytics import cli as _cli  # noqa: F401  (loads volume_command via the CLI)
from genesys_analytics.cli.volume import local_date
from genesys_analytics.emulator.data.org import Org, OrgSpec
from genesys_analytics.errors import ConfigError
from genesys_analytics.reports.aggregates import group_aggregates
from genesys_analytics.reports.compare import compare
from genesys_analytics.reports.details import FactsCollector, facts_of, group_details, keys_of
from genesys_analytics.reports.model import parse_by, volume_of
from genesys_analytics.reports.queue_names import QueueNames
from genesys_analytics.reports.render import render, render_volume
from genesys_analytics.sinks.store import DuckDBStore
from genesys_analytics.timeutil import Interval

UTC = timezone.utc
NY = "America/New_York"
INTERVAL = Interval(datetime(2024, 3, 9, tzinfo=UTC), datetime(2024, 3, 12, tzinfo=UTC))


def _session(media: str, *queues: str, offered: int = 0, direction: str = "inbound") -> dict:
    segments = [
        {"segmentType": "interact", **({"queueId": q} if q else {})} for q in queues or ("",)
    ]
    metrics = [{"name": "nOffered", "value": 1, "emitDate": "x"}] * offered
    return {"mediaType": media, "direction": direction, "segments": segments, "metrics": metrics}


def _conv(cid: str, start: str, *sessions: dict, direction: str = "inbound") -> dict:
    return {
        "conversationId": cid,
        "conversationStart": start,
        "originatingDirection": direction,
        "participants": [{"purpose": "customer", "sessions": list(sessions)}],
    }


CONVS = [
    # callback + voice, transferred from Sales to Billing: offered three times
    _conv(
        "c1",
        "2024-03-10T06:30:00.000Z",  # 01:30 EST
        _session("voice"),
        _session("voice", "q-sales", offered=1),
        _session("voice", "q-billing", offered=1),
        _session("callback", "q-sales", offered=1),
    ),
    _conv("c2", "2024-03-10T07:30:00.000Z", _session("voice", "q-sales", offered=1)),  # 03:30 EDT
    _conv("c3", "2024-03-11T03:00:00.000Z", _session("chat", "q-gone", offered=1)),  # 23:00 on 10th
    _conv("c4", "2024-03-11T15:00:00.000Z", _session("voice"), direction="outbound"),
]
NAMES = QueueNames.fixed({"q-sales": "Sales", "q-billing": "Billing"})


def _facts() -> list:
    return [facts_of(c) for c in CONVS]


def test_parse_by() -> None:
    assert parse_by("queue,mediatype") == ("queue", "mediaType")
    assert parse_by(" day , hour ") == ("day", "hour")
    for bad in ("channel", "day,day", ""):
        with pytest.raises(ConfigError):
            parse_by(bad)


def test_facts_pair_media_with_their_queues() -> None:
    f = facts_of(CONVS[0])
    assert f.pairs == {("voice", "q-sales"), ("voice", "q-billing"), ("callback", "q-sales")}
    assert f.media == {"voice", "callback"} and f.offers == 3
    outbound = facts_of(CONVS[3])
    assert outbound.pairs == {("voice", None)} and outbound.queues == {None}
    assert outbound.direction == "outbound" and outbound.offers == 0


def test_collector_keeps_newer_copy() -> None:
    sink = FactsCollector()
    sink.write("conversations", [CONVS[1], {**CONVS[1], "originatingDirection": "outbound"}])
    assert len(sink.facts) == 1 and sink.facts["c2"].direction == "outbound"
    assert sink.done_chunks("conversations") == {}


def test_day_and_hour_are_local_across_dst() -> None:
    f1, f2, f3, _ = _facts()
    assert keys_of(f1, ("day", "hour"), NY) == {("2024-03-10", "01")}
    assert keys_of(f2, ("day", "hour"), NY) == {("2024-03-10", "03")}
    assert keys_of(f3, ("day",), NY) == {("2024-03-10",)}
    assert keys_of(f3, ("day",), None) == {("2024-03-11",)}


def test_group_details_counts_distinct_conversations_under_each_value() -> None:
    facts = _facts()
    media = group_details(facts, INTERVAL, ("mediaType",))
    assert media.totals["conversations"] == 4
    assert {r.key[0]: r.values["conversations"] for r in media.rows} == {
        "voice": 3,
        "callback": 1,
        "chat": 1,
    }
    queues = group_details(facts, INTERVAL, ("queue",))
    assert queues.value(("q-sales",)) == 2 and queues.value(("q-billing",)) == 1
    assert queues.value((None,)) == 1  # the outbound call never queued
    both = group_details(facts, INTERVAL, ("queue", "mediaType"))
    assert both.value(("q-sales", "callback")) == 1
    assert both.value(("q-billing", "callback")) is None  # not a cartesian product
    direction = group_details(facts, INTERVAL, ("direction",))
    assert direction.value(("inbound",)) == 3 and direction.value(("outbound",)) == 1
    days = group_details(facts, INTERVAL, ("day", "mediaType"), NY)
    assert days.value(("2024-03-10", "voice")) == 2 and days.value(("2024-03-10", "chat")) == 1


def test_compare_notes_reconcile_the_totals() -> None:
    facts = _facts()
    details = group_details(facts, INTERVAL, ("mediaType",))
    agg = group_aggregates([], INTERVAL, ("mediaType",), None)
    report = compare(details, agg, facts)
    assert report.metrics == ("conversations", "offered", "connected", "difference")
    text = " ".join(report.notes)
    assert "1 outbound" in text and "adding 2 offers" in text
    assert "1 conversations have more than one media type" in text
    assert report.value(("voice",), "difference") == -3
    table = render(report, "table")
    assert "offered" in table and "outbound" in table
    assert orjson.loads(render(report, "json"))["notes"] == list(report.notes)


def test_json_legacy_shape_for_media_type() -> None:
    report = group_details(_facts(), INTERVAL, ("mediaType",))
    data = orjson.loads(render(report, "json"))
    assert data == {
        "start": "2024-03-09T00:00:00.000Z",
        "end": "2024-03-12T00:00:00.000Z",
        "by": "mediaType",
        "source": "details",
        "counts": {"callback": 1, "chat": 1, "voice": 3},
        "total": 4,
    }


def test_json_rows_shape_names_queues_and_keeps_unknown_ids() -> None:
    report = group_details(_facts(), INTERVAL, ("queue", "mediaType"))
    data = orjson.loads(render(report, "json", NAMES))
    assert data["by"] == "queue,mediaType" and data["total"] == 4 and data["timeZone"] == "UTC"
    rows = {(r["queue"], r["mediaType"]): r for r in data["rows"]}
    assert rows[("Sales", "voice")] == {
        "queue": "Sales",
        "queueId": "q-sales",
        "mediaType": "voice",
        "conversations": 2,
    }
    assert ("q-gone", "chat") in rows  # a deleted queue stays visible as its id
    assert rows[("(no queue)", "voice")]["queueId"] is None


def test_csv_and_table() -> None:
    report = group_details(_facts(), INTERVAL, ("queue",))
    rows = list(csv.reader(io.StringIO(render(report, "csv", NAMES))))
    assert rows[0] == ["queue", "queueId", "conversations"]
    assert ["Sales", "q-sales", "2"] in rows and rows[-1] == ["total", "", "4"]
    table = render(report, "table", NAMES)
    assert "Sales" in table and "Billing" in table and "█" in table and "total" in table


def test_legacy_render_volume_for_demo() -> None:

    volume = volume_of(group_details(_facts(), INTERVAL, ("mediaType",)))
    assert orjson.loads(render_volume(volume, "json"))["counts"]["voice"] == 3
    assert "voice" in render_volume(volume, "table")


def test_queue_names_listed_once_per_run() -> None:
    calls = []

    def listing() -> list[dict[str, Any]]:
        calls.append(1)
        return [{"id": "q1", "name": "Sales"}]

    names = QueueNames(listing)
    assert calls == []  # lazy
    assert names.name("q1") == "Sales" and names.name("q9") == "q9" and names.name(None)
    assert calls == [1]


def test_local_dates_mean_midnight_in_the_zone() -> None:
    assert local_date("2024-03-10", NY) == "2024-03-10T05:00:00+00:00"
    assert local_date("2024-03-11", NY) == "2024-03-11T04:00:00+00:00"  # after DST
    assert local_date("2024-03-10", "UTC") == "2024-03-10"
    assert local_date("2024-03-10T01:00:00Z", NY) == "2024-03-10T01:00:00Z"


def test_chart_is_a_sane_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib import image

    from genesys_analytics.reports.charts import day_channel_table, render_chart

    org = Org(OrgSpec(seed=7, days=5, per_day=150, now=datetime(2024, 3, 12, 12, tzinfo=UTC)))
    interval = Interval(org.now - timedelta(days=4), org.now)
    facts = [facts_of(c) for c in org.iter_started(interval.start, interval.end)]
    report = group_details(facts, interval, ("day", "mediaType"), NY)
    days, series = day_channel_table(report)
    assert len(days) == 5 and "voice" in series
    out = render_chart(report, tmp_path / "chart.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert 10_000 < len(data) < 1_000_000
    height, width = image.imread(out).shape[:2]
    assert 800 <= width <= 2000 and 400 <= height <= 1200
    with pytest.raises(ConfigError):
        render_chart(group_details(facts, interval, ("mediaType",)), tmp_path / "x.png")


def test_views_exist_and_agree_with_tables(tmp_path: Path) -> None:
    org = Org(OrgSpec(seed=3, days=3, per_day=120, now=datetime(2024, 5, 15, 12, tzinfo=UTC)))
    convs = [c for d in (org.first_day, org.last_day) for c in org.day(d)]
    store = DuckDBStore(tmp_path / "out.duckdb")
    store.write("conversations", convs)
    store.commit()
    store.close()
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    try:
        channel = {
            (str(d), m): n
            for d, m, n in con.execute("SELECT * FROM volume_by_channel_day").fetchall()
        }
        queue = {
            (str(d), q): n
            for d, q, n in con.execute("SELECT * FROM volume_by_queue_day").fetchall()
        }
        from_tables = con.execute(
            "SELECT conversation_date, m, count(*) FROM conversations, unnest(media_types) t(m) "
            "GROUP BY ALL"
        ).fetchall()
    finally:
        con.close()
    assert channel == {(str(d), m): n for d, m, n in from_tables}
    facts = [facts_of(c) for c in convs]
    interval = Interval(datetime(2024, 5, 13, tzinfo=UTC), datetime(2024, 5, 16, tzinfo=UTC))
    expected = group_details(facts, interval, ("day", "mediaType"))
    assert channel == {r.key: r.values["conversations"] for r in expected.rows}
    by_queue = group_details(facts, interval, ("day", "queue"))
    assert queue == {r.key: r.values["conversations"] for r in by_queue.rows}
