"""Late data: revisions after first serving, a "now" that moves on, truth with content."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest

from genesys_analytics.emulator import RunningEmulator, run_emulator
from genesys_analytics.emulator.data.late import REVISED_AFTER_MS, revision_of, served
from genesys_analytics.emulator.data.org import Org, OrgSpec
from genesys_analytics.emulator.data.timelines import OPEN
from genesys_analytics.emulator.query.user_details import ceil_ms
from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import fmt, parse_instant
from tests.emulator.conftest import NOW, small_settings

LATER = NOW + timedelta(days=3)


def _spec(late: float = 0.0) -> OrgSpec:
    return OrgSpec(seed=5, days=4, per_day=200, now=NOW, late_data=late)


def _by_id(org: Org, start: datetime, end: datetime) -> dict[str, dict]:
    return {c["conversationId"]: c for c in org.iter_started(start, end)}


def test_a_later_org_keeps_the_past_and_adds_new_days() -> None:
    org = Org(_spec())
    later = org.advanced(LATER)
    assert later.first_day == org.first_day and later.last_day == LATER.date()
    before = _by_id(org, NOW - timedelta(days=4), NOW)
    after = _by_id(later, NOW - timedelta(days=4), NOW)
    assert set(after) == set(before)
    ongoing = {cid for cid, c in before.items() if "conversationEnd" not in c}
    assert ongoing, "the sample must hold conversations running at now"
    for cid, conv in before.items():
        if cid in ongoing:
            assert "conversationEnd" in after[cid]  # closed by the later now
        else:
            assert after[cid] == conv
    assert sum(1 for _ in later.iter_started(NOW, LATER)) > 200
    assert later.users == org.users and later.queues == org.queues


def test_an_org_cannot_be_moved_back() -> None:
    with pytest.raises(ValueError, match="cannot be before"):
        Org(_spec(), now=NOW - timedelta(hours=1))


def test_open_status_records_close_when_now_moves_on() -> None:
    # (no record lasts two days: the longest is an OFFLINE around a day off, ~1.7 days)
    org, later = Org(_spec()), Org(_spec(), now=NOW + timedelta(days=2))
    a, b = ceil_ms(NOW - timedelta(days=1)), ceil_ms(NOW)
    before = {(r[2], r[3], r[0]): r for r in org.timelines.started(a, b)}
    after = {(r[2], r[3], r[0]): r for r in later.timelines.started(a, b)}
    assert set(before) == set(after)
    opened = [k for k, r in before.items() if r[1] == OPEN]
    assert opened and all(after[k][1] != OPEN for k in opened)
    assert all(after[k] == r for k, r in before.items() if r[1] != OPEN)


def test_revisions_land_between_1h_and_60h_and_only_for_the_share() -> None:
    revised = [revision_of(5, f"id-{i}", 0.25) for i in range(2000)]
    chosen = [r for r in revised if r is not None]
    assert 400 < len(chosen) < 600
    assert {r.kind for r in chosen} == {"wrapup", "metric"}
    assert all(REVISED_AFTER_MS[0] <= r.after_ms < REVISED_AFTER_MS[1] for r in chosen)
    assert revision_of(5, "id-1", 0.0) is None


def test_late_data_shows_stale_versions_that_become_final_later() -> None:
    window = (NOW - timedelta(days=2), NOW)
    final_now = _by_id(Org(_spec()), *window)
    late = Org(_spec(0.3))
    stale_now = _by_id(late, *window)
    assert set(stale_now) == set(final_now)
    changed = [cid for cid in final_now if stale_now[cid] != final_now[cid]]
    assert len(changed) > 10
    kinds = set()
    for cid in changed:
        stale, final = stale_now[cid], final_now[cid]
        wrapups = [_wrapups(stale), _wrapups(final)]
        kinds.add("wrapup" if wrapups[0] != wrapups[1] else "metric")
        assert stale["conversationStart"] == final["conversationStart"]
    assert kinds == {"wrapup", "metric"}
    # three days on, every revision has landed: late equals the org without late data
    assert _by_id(late.advanced(LATER), *window) == _by_id(Org(_spec()).advanced(LATER), *window)


def test_served_never_changes_its_argument() -> None:
    conv = next(iter(Org(_spec()).iter_started(NOW - timedelta(days=1), NOW)))
    snapshot = repr(conv)
    revision = revision_of(5, "x", 1.0)
    start = parse_instant(conv["conversationStart"])
    stale = served(conv, revision, ceil_ms(start), ceil_ms(start))
    assert stale != conv and repr(conv) == snapshot


def _wrapups(conv: dict) -> list[str]:
    return [
        seg["wrapUpCode"]
        for p in conv["participants"]
        for s in p["sessions"]
        for seg in s["segments"]
        if "wrapUpCode" in seg
    ]


def test_late_data_setting_is_a_share() -> None:
    with pytest.raises(ConfigError, match="late_data"):
        small_settings(late_data=1.5)


@pytest.fixture()
def late_emu() -> Iterator[RunningEmulator]:
    with run_emulator(small_settings(days=3, per_day=150, late_data=0.3)) as emu:
        yield emu


def test_now_moves_on_over_http_and_the_truth_follows(late_emu: RunningEmulator) -> None:
    emu = late_emu
    start, end = fmt(NOW - timedelta(days=2)), fmt(NOW + timedelta(days=2))
    first = emu.truth(start, end, content=True)
    assert set(first["conversations"]) == set(first["ids"]) == set(first["sha256"])
    assert emu.set_now(advance="1d") == NOW + timedelta(days=1)
    assert emu.set_now(NOW + timedelta(days=2)) == NOW + timedelta(days=2)
    second = emu.truth(start, end, content=True)
    assert set(first["ids"]) < set(second["ids"])  # new conversations after the old now
    changed = {cid for cid in first["ids"] if first["sha256"][cid] != second["sha256"][cid]}
    closed = {
        cid
        for cid in first["ids"]
        if "conversationEnd" not in first["conversations"][cid]
        and "conversationEnd" in second["conversations"][cid]
    }
    assert closed and closed <= changed
    assert changed - closed, "late revisions of conversations that had ended"
    stats = httpx.get(f"{emu.base_url}/_emulator/stats").json()
    assert stats["now"] == (NOW + timedelta(days=2)).isoformat()


def test_user_details_truth_content_shows_records_closing(late_emu: RunningEmulator) -> None:
    emu = late_emu
    start, end = NOW - timedelta(hours=6), NOW
    first = emu.truth(start, end, dataset="user-details", content=True)
    keys = sorted([r["userId"], r["startTime"]] for r in first["records"])
    assert keys == sorted(first["presence"] + first["routing"])
    open_before = [r for r in first["records"] if "endTime" not in r]
    assert open_before
    emu.set_now(advance="2d")
    second = emu.truth(start, end, dataset="user-details", content=True)
    assert [(r["userId"], r["kind"], r["startTime"]) for r in second["records"]] == [
        (r["userId"], r["kind"], r["startTime"]) for r in first["records"]
    ]
    assert all("endTime" in r for r in second["records"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"advance": "soon"}, "not a duration"),
        ({"now": "2024-05-14T00:00:00Z"}, "only moves forward"),
        ({}, "either"),
        ({"now": "2024-05-16", "advance": "1d"}, "either"),
    ],
)
def test_now_rejects_bad_bodies(late_emu: RunningEmulator, body: dict, message: str) -> None:
    r = httpx.post(f"{late_emu.base_url}/_emulator/now", json=body)
    assert r.status_code == 400 and message in r.json()["message"], r.text
