"""`kpi` as a process against a real emulator: details equal the emulator's ground truth,
aggregates equal the emulator's own aggregates engine, and --compare explains every
difference. Expected values are computed here, independently of reports/kpi.py."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.emulator.query.aggregates import aggregate
from genesys_analytics.timeutil import UTC, fmt, parse_instant
from tests.e2e.conftest import NOW, cli_env, run_cli

START, END = datetime(2024, 5, 13, 4, tzinfo=UTC), datetime(2024, 5, 15, 4, tzinfo=UTC)
SPAN = ["--start", "2024-05-13T04:00:00Z", "--end", "2024-05-15T04:00:00Z"]
TZ = "America/New_York"
KEYS = ("offered", "answered", "abandoned", "asa_ms", "aht_ms", "abandon_rate")
KEYS += ("service_level", "transfer_rate")
KPI_METRICS = {"nOffered", "tAnswered", "tAbandon", "tHandle", "nTransferred"}


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    settings = EmulatorSettings(seed=31, days=4, per_day=200, now=NOW, rate_limit=(6000, 60.0))
    with run_emulator(settings) as running:
        yield running


def kpi_json(emu: Any, tmp_path: Path, *args: str) -> dict:
    result = run_cli(["kpi", *SPAN, "--format", "json", *args], cli_env(emu), tmp_path)
    assert result.returncode == 0, result.stderr
    out: dict = json.loads(result.stdout)
    return out


def finish(t: dict[str, float]) -> dict[str, float | None]:
    """The KPI values of independent sums (decisions.md §8, written out again here)."""

    def div(a: float, b: float) -> float | None:
        return a / b if b else None

    return {
        "offered": t["offered"],
        "answered": t["answered"],
        "abandoned": t["abandoned"],
        "asa_ms": div(t["answer_ms"], t["answered"]),
        "aht_ms": div(t["handle_ms"], t["handled"]),
        "abandon_rate": div(t["abandoned"], t["offered"]),
        "service_level": div(t["met"], t["sl"]),
        "transfer_rate": div(t["transferred"], t["answered"]),
    }


def assert_rows(got: list[dict], expected: dict[tuple, dict], fields: tuple[str, ...]) -> None:
    rows = {tuple(r[f] for f in fields): r for r in got}
    assert set(rows) == set(expected)
    for key, values in expected.items():
        for name, value in values.items():
            assert rows[key][name] == pytest.approx(value), (key, name)


def test_details_kpis_equal_the_emulators_ground_truth(emu: Any, tmp_path: Path) -> None:
    org = emu.app_state.org
    queue_names = {q["id"]: q["name"] for q in org.queues}
    sums: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for conv in org.iter_started(START, END):  # the truth: what started in the interval
        day = parse_instant(conv["conversationStart"]).astimezone(ZoneInfo(TZ)).date()
        for part in conv["participants"]:
            for session in part["sessions"]:
                queue = next((s["queueId"] for s in session["segments"] if "queueId" in s), None)
                metrics = [m for m in session.get("metrics", ()) if m["name"] in KPI_METRICS]
                if not metrics:
                    continue
                t = sums[(queue_names.get(queue), day.isoformat())]  # no queue: null
                level = org.service_levels.get((queue, session["mediaType"]))
                for m in metrics:
                    name, value = m["name"], m["value"]
                    if name == "nOffered":
                        t["offered"] += value
                    elif name == "tAnswered":
                        t["answered"] += 1
                        t["answer_ms"] += value
                        if level:
                            t["sl"] += 1
                            t["met"] += value <= level[1]
                    elif name == "tAbandon":
                        t["abandoned"] += 1
                        t["sl"] += 1 if level else 0
                    elif name == "tHandle":
                        t["handled"] += 1
                        t["handle_ms"] += value
                    elif name == "nTransferred":
                        t["transferred"] += value
    expected = {k: finish(v) for k, v in sums.items()}
    out = kpi_json(emu, tmp_path, "--by", "queue,day", "--time-zone", TZ)
    assert out["source"] == "details" and out["by"] == "queue,day"
    assert_rows(out["rows"], expected, ("queue", "day"))
    total: dict[str, float] = defaultdict(float)
    for values in sums.values():
        for name, value in values.items():
            total[name] += value
    assert out["total"] == pytest.approx(finish(total))
    # non-trivial: late answers and abandons, transfers, and a null where nothing was offered
    assert 0.2 < out["total"]["service_level"] < 0.9 and out["total"]["abandoned"] > 5
    assert out["total"]["transfer_rate"] > 0
    assert any(r["queue"] is None and r["service_level"] is None for r in out["rows"])


def test_aggregates_kpis_equal_the_emulators_aggregates_engine(emu: Any, tmp_path: Path) -> None:
    org = emu.app_state.org
    body = {
        "interval": f"{fmt(START)}/{fmt(END)}",
        "groupBy": ["mediaType", "wrapUpCode"],
        "metrics": [*sorted(KPI_METRICS), "oServiceLevel"],
    }
    candidates = org.iter_started(START - timedelta(days=3), END)
    engine = aggregate(candidates, body, NOW, service_levels=org.service_levels)
    sums: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for result in engine["results"]:
        key = (result["group"]["mediaType"], result["group"].get("wrapUpCode"))
        for bucket in result["data"]:
            for m in bucket["metrics"]:
                stats, t = m["stats"], sums[key]
                if m["metric"] == "oServiceLevel":
                    t["met"] += stats["numerator"]
                    t["sl"] += stats["denominator"]
                elif m["metric"] in ("nOffered", "nTransferred"):
                    t["offered" if m["metric"] == "nOffered" else "transferred"] += stats["count"]
                else:
                    name = {"tAnswered": "answer", "tAbandon": "abandon", "tHandle": "handle"}
                    t[name[m["metric"]] + "_ms"] += stats["sum"]
                    count = {"tAnswered": "answered", "tAbandon": "abandoned"}
                    t[count.get(m["metric"], "handled")] += stats["count"]
    expected = {k: finish(v) for k, v in sums.items()}
    out = kpi_json(
        emu, tmp_path, "--source", "aggregates", "--by", "mediaType", "--by", "wrapUpCode"
    )
    assert out["source"] == "aggregates"
    assert_rows(out["rows"], expected, ("mediaType", "wrapUpCodeId"))
    names = {w["id"]: w["name"] for w in org.wrapups} | {None: None}
    names["ININ-WRAP-UP-TIMEOUT"] = "Wrap-up timed out (system)"  # not in the list
    assert {r["wrapUpCode"] for r in out["rows"]} == {names[k[1]] for k in expected}


def test_compare_explains_every_difference(emu: Any, tmp_path: Path) -> None:
    by = ["--by", "queue,hour", "--time-zone", TZ]
    out = kpi_json(emu, tmp_path, "--compare", *by)
    details = kpi_json(emu, tmp_path, *by)
    aggregates = kpi_json(emu, tmp_path, "--source", "aggregates", *by)
    side = {(r["queue"], r["hour"]): r for r in out["rows"]}
    for source, report in (("details", details), ("aggregates", aggregates)):
        for r in report["rows"]:
            for k in KEYS:
                assert side[(r["queue"], r["hour"])][f"{k}_{source}"] == pytest.approx(r[k])
    differing = [r for r in out["rows"] if r["offered_details"] != r["offered_aggregates"]]
    assert len(differing) >= 5  # by hour, emit time moves offers between rows
    notes = "\n".join(out["notes"])
    assert "every difference in every row (queue, hour) is explained" in notes
    assert "emit time vs conversation start" in notes and "moved to another row" in notes
    assert "transfers (the second queue's metrics come at the transfer)" in notes
    assert "flow-outs (the callback is offered when" in notes and "flow-outs: " in notes
