"""The KPI metrics on the emulator's conversations, and ``oServiceLevel`` in aggregates."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from genesys_analytics.emulator.data.org import Org, OrgSpec
from genesys_analytics.emulator.data.shapes import SHORT_ABANDON_MS
from genesys_analytics.emulator.query.aggregates import aggregate
from genesys_analytics.timeutil import UTC, fmt, parse_instant

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def org() -> Org:
    return Org(OrgSpec(seed=5, days=3, per_day=400, now=NOW))


def all_conversations(org: Org) -> list[dict]:
    return [c for d in range(org.spec.days) for c in org.day(org.first_day + timedelta(days=d))]


def metrics(session: dict) -> dict[str, int]:
    return {m["name"]: m["value"] for m in session.get("metrics", ())}


def ms(text: str) -> int:
    return int(parse_instant(text).timestamp() * 1000)


def targets(org: Org) -> dict[tuple[str, str], int]:
    """(queue, media) → durationMs, read from the queues list as a client would."""
    out = {}
    for q in org.queues:
        for key, settings in q["mediaSettings"].items():
            out[(q["id"], "voice" if key == "call" else key)] = settings["serviceLevel"][
                "durationMs"
            ]
    return out


def test_each_queue_visit_is_answered_abandoned_or_flows_out(org: Org) -> None:
    seen: Counter[str] = Counter()
    goals = targets(org)
    for conv in all_conversations(org):
        if "conversationEnd" not in conv:
            continue  # ongoing: a visit may still be waiting
        agents = [s for p in conv["participants"] if p["purpose"] == "agent" for s in p["sessions"]]
        for part in conv["participants"]:
            if part["purpose"] != "acd":
                continue
            for acd in part["sessions"]:
                got = metrics(acd)
                seg = acd["segments"][0]
                answers = [
                    a for a in agents if a["segments"][0]["segmentStart"] == seg["segmentEnd"]
                ]
                outcome = {"tAbandon", "tFlowOut"} & set(got)
                assert len(outcome) + len(answers) == 1, conv["conversationId"]
                if "tAbandon" in got:
                    seen["abandoned"] += 1
                    short = got["tAbandon"] < SHORT_ABANDON_MS
                    assert ("tShortAbandon" in got) == short
                    seen["short"] += short
                elif "tFlowOut" in got:
                    seen["flow-out"] += 1
                    assert got["tFlowOut"] == got["tAcd"]
                else:
                    answer = metrics(answers[0])
                    # tAnswered runs from the queue entry to the answer, alerting included
                    assert answer["tAnswered"] == got["tAcd"] + answer["tAlert"]
                    goal = goals.get((seg["queueId"], acd["mediaType"]))
                    late = goal is not None and answer["tAnswered"] > goal
                    assert ("nOverSla" in got) == late
                    seen["late" if late else "on time"] += 1
    # every outcome the KPIs distinguish happens, often enough to matter
    assert min(seen.values()) >= 5 and len(seen) == 5, seen


def test_handle_time_is_talk_hold_and_wrap_up_and_transfers_happen(org: Org) -> None:
    transfers = held = 0
    for conv in all_conversations(org):
        for part in conv["participants"]:
            for s in part["sessions"]:
                got = metrics(s)
                if "tHandle" in got:
                    assert got["tHandle"] == got["tTalk"] + got.get("tHeld", 0) + got["tAcw"]
                    held += "tHeld" in got
                transfers += got.get("nTransferred", 0)
    assert transfers >= 5 and held >= 5


def test_service_level_parts_equal_an_independent_count(org: Org) -> None:
    start, end = NOW - timedelta(days=2), NOW
    body = {
        "interval": f"{fmt(start)}/{fmt(end)}",
        "groupBy": ["queueId"],
        "metrics": ["oServiceLevel", "tAnswered", "tAbandon"],
    }
    convs = all_conversations(org)
    result = aggregate(convs, body, NOW, service_levels=org.service_levels)
    goals = targets(org)
    percentage = {
        q["id"]: next(iter(q["mediaSettings"].values()))["serviceLevel"]["percentage"]
        for q in org.queues
    }
    expected: dict[str, list[int]] = {}
    lo, hi = fmt(start), fmt(end)
    for conv in convs:
        for part in conv["participants"]:
            for s in part["sessions"]:
                queue = next((g["queueId"] for g in s["segments"] if "queueId" in g), None)
                goal = goals.get((queue, s["mediaType"]))  # a callback may reach a
                if goal is None:  # queue without callback settings: no service level
                    continue
                for m in s.get("metrics", ()):
                    if m["name"] in ("tAnswered", "tAbandon") and lo <= m["emitDate"] < hi:
                        parts = expected.setdefault(queue, [0, 0])
                        parts[1] += 1
                        parts[0] += m["name"] == "tAnswered" and m["value"] <= goal
    got = {}
    for r in result["results"]:
        (bucket,) = r["data"]
        sl = next(m["stats"] for m in bucket["metrics"] if m["metric"] == "oServiceLevel")
        got[r["group"]["queueId"]] = [sl["numerator"], sl["denominator"]]
        assert sl["ratio"] == pytest.approx(sl["numerator"] / sl["denominator"])
        assert sl["target"] in {percentage[r["group"]["queueId"]], 0.8, 0.85, 0.9}
    assert got == expected
    assert all(0 < n <= d for n, d in got.values())
    # late answers or abandons in every queue but the email-only one (emails are not abandoned)
    assert sum(n < d for n, d in got.values()) == len(got) - 1


def test_service_level_is_omitted_without_targets_and_never_invents_buckets(org: Org) -> None:
    body = {
        "interval": f"{fmt(NOW - timedelta(days=1))}/{fmt(NOW)}",
        "metrics": ["oServiceLevel"],
    }
    assert aggregate(all_conversations(org), body, NOW) == {}  # no targets given
