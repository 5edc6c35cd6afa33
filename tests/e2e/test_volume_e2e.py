"""`genesys-analytics volume` as a user runs it, against a real emulator whose data crosses
the 2024-03-10 DST change in New York; expected values are computed independently from
the emulator's org (details) and from its own aggregates engine (aggregates)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import orjson
import pytest

from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.emulator.data.org import Org, OrgSpec
from genesys_analytics.emulator.query import aggregates as emu_aggregates
from genesys_analytics.timeutil import Interval, fmt

from .conftest import cli_env, run_cli

UTC = timezone.utc
NOW = datetime(2024, 3, 12, 12, 0, tzinfo=UTC)
TZ = "America/New_York"
# 2024-03-08 .. 2024-03-11 local: [05:00Z, 04:00Z) — the 10th is 23 hours long
LOCAL = ["--start", "2024-03-08", "--end", "2024-03-12", "--time-zone", TZ, "--method", "query"]
INTERVAL = Interval(datetime(2024, 3, 8, 5, tzinfo=UTC), datetime(2024, 3, 12, 4, tzinfo=UTC))
SEED, DAYS, PER_DAY = 5, 5, 150


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    settings = EmulatorSettings(seed=SEED, days=DAYS, per_day=PER_DAY, now=NOW)
    with run_emulator(settings) as server:
        yield server


@pytest.fixture(scope="module")
def org() -> Org:
    return Org(OrgSpec(seed=SEED, days=DAYS, per_day=PER_DAY, now=NOW))


def _volume(emu: Any, tmp_path: Path, *args: str) -> dict[str, Any]:
    res = run_cli(["volume", *args, "--format", "json"], cli_env(emu), tmp_path)
    assert res.returncode == 0, res.stderr
    data: dict[str, Any] = orjson.loads(res.stdout)
    return data


def _started(org: Org) -> list[dict]:
    return list(org.iter_started(INTERVAL.start, INTERVAL.end))


def _queues(conv: dict) -> set[str | None]:
    found = {
        seg["queueId"]
        for p in conv["participants"]
        for s in p["sessions"]
        for seg in s["segments"]
        if seg.get("queueId")
    }
    return found or {None}


def _local_day(ts: str) -> str:
    dt = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return dt.astimezone(ZoneInfo(TZ)).date().isoformat()


def _emulator_aggregates(org: Org, group_by: list[str], granularity: str | None) -> dict:
    body: dict[str, Any] = {
        "interval": INTERVAL.iso(),
        "metrics": ["nOffered", "nConnected", "tHandle"],
        "groupBy": group_by,
        "timeZone": TZ,
    }
    if granularity:
        body["granularity"] = granularity
    convs = org.iter_started(INTERVAL.start - org.max_lifetime, INTERVAL.end)
    return emu_aggregates.aggregate(convs, body, org.now, 10_000)


def test_details_by_day_and_channel_in_new_york(emu: Any, org: Org, tmp_path: Path) -> None:
    report = _volume(emu, tmp_path, *LOCAL, "--by", "day,mediaType")
    assert report["start"] == fmt(INTERVAL.start) and report["end"] == fmt(INTERVAL.end)
    assert report["by"] == "day,mediaType" and report["timeZone"] == TZ
    expected: Counter[tuple[str, str]] = Counter()
    for conv in _started(org):
        media = {s["mediaType"] for p in conv["participants"] for s in p["sessions"]}
        expected.update((_local_day(conv["conversationStart"]), m) for m in media)
    got = {(r["day"], r["mediaType"]): r["conversations"] for r in report["rows"]}
    assert got == dict(expected)
    assert {d for d, _ in got} == {"2024-03-08", "2024-03-09", "2024-03-10", "2024-03-11"}
    assert report["total"] == len(_started(org)) == emu.truth(INTERVAL.start, INTERVAL.end)["total"]


def test_details_by_queue_with_names(emu: Any, org: Org, tmp_path: Path) -> None:
    report = _volume(emu, tmp_path, *LOCAL, "--by", "queue")
    expected: Counter[str | None] = Counter()
    for conv in _started(org):
        expected.update(_queues(conv))
    names = {q["id"]: q["name"] for q in org.queues}
    got = {r["queueId"]: r["conversations"] for r in report["rows"]}
    assert got == dict(expected)
    for row in report["rows"]:
        assert row["queue"] == (names[row["queueId"]] if row["queueId"] else "(no queue)")


def test_details_by_direction_and_hour(emu: Any, org: Org, tmp_path: Path) -> None:
    report = _volume(emu, tmp_path, *LOCAL, "--by", "direction,hour")
    expected: Counter[tuple[str, str]] = Counter()
    for conv in _started(org):
        dt = datetime.fromisoformat(conv["conversationStart"].replace("Z", "+00:00"))
        expected[(conv["originatingDirection"], f"{dt.astimezone(ZoneInfo(TZ)).hour:02d}")] += 1
    assert {(r["direction"], r["hour"]): r["conversations"] for r in report["rows"]} == expected


def test_aggregates_by_day_and_channel_match_the_emulator(
    emu: Any, org: Org, tmp_path: Path
) -> None:
    report = _volume(emu, tmp_path, *LOCAL, "--by", "day,mediaType", "--source", "aggregates")
    assert report["source"] == "aggregates"
    truth = _emulator_aggregates(org, ["mediaType"], "PT1H")
    expected: dict[tuple[str, str], Counter[str]] = {}
    for result in truth["results"]:
        for bucket in result["data"]:
            day = _local_day(bucket["interval"].split("/")[0])
            cell = expected.setdefault((day, result["group"]["mediaType"]), Counter())
            for m in bucket["metrics"]:
                stats = m["stats"]
                if m["metric"] == "tHandle":
                    cell["handled"] += stats["count"]
                    cell["handleMs"] += stats["sum"]
                else:
                    cell[{"nOffered": "offered", "nConnected": "connected"}[m["metric"]]] += stats[
                        "count"
                    ]
    got = {
        (r["day"], r["mediaType"]): Counter(
            {k: r[k] for k in ("offered", "connected", "handled", "handleMs") if r[k]}
        )
        for r in report["rows"]
    }
    assert got == expected
    assert report["totals"]["offered"] == sum(c["offered"] for c in expected.values())


def test_aggregates_by_queue_match_the_emulator(emu: Any, org: Org, tmp_path: Path) -> None:
    report = _volume(emu, tmp_path, *LOCAL, "--by", "queue", "--source", "aggregates")
    truth = _emulator_aggregates(org, ["queueId"], None)
    expected = {}
    for result in truth["results"]:
        metrics = {m["metric"]: m["stats"] for m in result["data"][0]["metrics"]}
        if "nOffered" in metrics:
            expected[result["group"].get("queueId")] = metrics["nOffered"]["count"]
    got = {r["queueId"]: r["offered"] for r in report["rows"] if r["offered"]}
    assert got == expected


def test_compare_side_by_side(emu: Any, org: Org, tmp_path: Path) -> None:
    report = _volume(emu, tmp_path, *LOCAL, "--compare")
    assert report["source"] == "details+aggregates"
    truth = emu.truth(INTERVAL.start, INTERVAL.end)
    offered = {
        r["group"]["mediaType"]: sum(
            m["stats"]["count"]
            for b in r["data"]
            for m in b["metrics"]
            if m["metric"] == "nOffered"
        )
        for r in _emulator_aggregates(org, ["mediaType"], None)["results"]
    }
    for row in report["rows"]:
        assert row["conversations"] == truth["counts"].get(row["mediaType"], 0)
        assert row["offered"] == offered.get(row["mediaType"], 0)
        assert row["difference"] == row["offered"] - row["conversations"]
    assert report["totals"]["conversations"] == truth["total"]
    assert any("outbound" in n for n in report["notes"])


def test_chart_png_and_table(emu: Any, tmp_path: Path) -> None:
    png = tmp_path / "volume.png"
    res = run_cli(
        ["volume", *LOCAL, "--by", "queue,mediaType", "--chart", str(png)], cli_env(emu), tmp_path
    )
    assert res.returncode == 0, res.stderr
    assert "Technical Support" in res.stdout and "█" in res.stdout
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and 10_000 < len(data) < 1_000_000


def test_export_views_agree_with_the_report(emu: Any, tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    span = ["--start", fmt(INTERVAL.start), "--end", fmt(INTERVAL.end), "--method", "query"]
    res = run_cli(["export", *span, "--out", str(db)], cli_env(emu), tmp_path)
    assert res.returncode == 0, res.stderr
    report = _volume(emu, tmp_path, *span, "--by", "day,mediaType")
    con = duckdb.connect(str(db), read_only=True)
    try:
        views = con.execute("SELECT * FROM volume_by_channel_day").fetchall()
        queue_total = con.execute("SELECT sum(conversations) FROM volume_by_queue_day").fetchone()
        distinct_queue_visits = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT conversation_id, q FROM conversations, "
            "unnest(CASE WHEN len(queue_ids) = 0 THEN [NULL] ELSE queue_ids END) t(q))"
        ).fetchone()
    finally:
        con.close()
    assert {(str(d), m): n for d, m, n in views} == {
        (r["day"], r["mediaType"]): r["conversations"] for r in report["rows"]
    }
    assert queue_total == distinct_queue_visits


def test_help_explains_every_option(tmp_path: Path) -> None:
    import genesys_analytics.cli  # noqa: F401  (registers the commands)
    from genesys_analytics.cli.volume import volume

    res = run_cli(["volume", "--help"], {"PATH": ""}, tmp_path)
    assert res.returncode == 0
    text = " ".join(res.stdout.split())
    for param in volume.params:
        for opt in param.opts:
            assert opt in text, opt
    own = {"--by", "--source", "--compare", "--time-zone", "--format", "--chart", "--workers"}
    for param in volume.params:
        if set(param.opts) & own:
            assert "Example:" in (getattr(param, "help", "") or ""), param.opts
    for word in ("mediaType", "queue", "direction", "day", "hour", "rows", "America/New_York"):
        assert word in text
