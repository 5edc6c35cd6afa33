"""Agents' presence and routing timelines: contiguous, agreeing with each other and with the
conversations, open at now, spanning midnight, deterministic and lazy."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from genesys_analytics.emulator.data.org import Org, OrgSpec
from genesys_analytics.emulator.data.pieces import DAY_MS
from genesys_analytics.emulator.data.roster import day_of, ms_of
from genesys_analytics.emulator.data.timelines import OPEN, PRESENCE, ROUTING, Record, parse_ms
from genesys_analytics.timeutil import UTC

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
NOW_MS = parse_ms("2024-05-15T12:00:00.000Z")


@pytest.fixture(scope="module")
def org() -> Org:
    return Org(OrgSpec(seed=7, days=6, per_day=400, now=NOW), cache_days=12)


def timelines_by_user(org: Org) -> dict[tuple[str, str], list[Record]]:
    """(userId, kind) -> every record from the origin to now, in order."""
    records = org.timelines.overlapping(org.roster.origin_ms, NOW_MS)
    out: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for rec in records:
        out[(rec[2], rec[3])].append(rec)
    return out


def agent_sessions(org: Org) -> list[tuple[str, int, int]]:
    out = []
    for d in range(org.spec.days):
        for conv in org.day(org.first_day + timedelta(days=d)):
            for part in conv["participants"]:
                if part["purpose"] == "agent":
                    for s in part["sessions"]:
                        end = s["segments"][-1].get("segmentEnd")
                        a = parse_ms(s["segments"][0]["segmentStart"])
                        out.append((part["userId"], a, parse_ms(end) if end else OPEN))
    return out


def covering(records: list[Record], a: int, b: int) -> Record | None:
    return next((r for r in records if r[0] <= a and b <= r[1]), None)


def test_each_timeline_is_contiguous_from_the_origin_to_an_open_record_at_now(org: Org) -> None:
    lines = timelines_by_user(org)
    agents = {a.user_id: a for a in org.roster.agents}
    assert set({uid for uid, _ in lines}) == set(agents)
    for (uid, kind), recs in lines.items():
        assert recs[0][0] == org.roster.origin_ms, (uid, kind)
        for before, after in itertools.pairwise(recs):
            assert before[1] == after[0], (uid, kind, before, after)
            assert before[4] != after[4] or kind == PRESENCE, (before, after)
        leave = org.roster.leave_ms(agents[uid])
        if leave is None or leave > NOW_MS:
            assert recs[-1][1] == OPEN and recs[-1][0] < NOW_MS
        else:  # a leaver's timelines end on the leave day
            assert recs[-1][1] == leave and recs[-1][4] in ("OFFLINE", "OFF_QUEUE")
        assert all(r[1] != OPEN for r in recs[:-1])
        assert all(r[1] - r[0] < 1.75 * DAY_MS for r in recs[1:-1])


def test_routing_leaves_off_queue_only_while_on_queue(org: Org) -> None:
    lines = timelines_by_user(org)
    checked = 0
    for (uid, kind), recs in lines.items():
        if kind != ROUTING:
            continue
        on_queue = [r for r in lines[(uid, PRESENCE)] if r[4] == "ON_QUEUE"]
        for rec in recs:
            if rec[4] != "OFF_QUEUE":
                assert covering(on_queue, rec[0], rec[1]) is not None, rec
                checked += 1
    assert checked > 1000


def test_every_agent_session_is_on_queue_and_interacting_with_a_roster_agent(org: Org) -> None:
    lines = timelines_by_user(org)
    users = {u["id"] for u in org.users}
    sessions = agent_sessions(org)
    assert len(sessions) > 2000
    for uid, a, b in sessions:
        assert uid in users
        interacting = [r for r in lines[(uid, ROUTING)] if r[4] == "INTERACTING"]
        on_queue = [r for r in lines[(uid, PRESENCE)] if r[4] == "ON_QUEUE"]
        assert covering(interacting, a, b) is not None, (uid, a, b)
        assert covering(on_queue, a, b) is not None, (uid, a, b)
    # and every INTERACTING record holds at least one session
    starts = defaultdict(list)
    for uid, a, _ in sessions:
        starts[uid].append(a)
    for (uid, kind), recs in lines.items():
        for rec in recs:
            if kind == ROUTING and rec[4] == "INTERACTING":
                assert any(rec[0] <= a < rec[1] for a in starts[uid]), rec


def test_presence_uses_every_definition_kind_and_org_ids_map_to_system_presence(
    org: Org,
) -> None:
    records = org.timelines.overlapping(ms_of(org.first_day), NOW_MS)
    system_of = org.roster.system_of
    presences = [r for r in records if r[3] == PRESENCE]
    assert all(system_of[r[5]] == r[4] for r in presences)
    assert {r[4] for r in presences} >= {"OFFLINE", "AVAILABLE", "ON_QUEUE", "BREAK", "MEAL"}
    custom = {d["id"] for d in org.presence_definitions if d["type"] == "User"}
    assert custom & {r[5] for r in presences}
    assert {r[4] for r in records if r[3] == ROUTING} == {"OFF_QUEUE", "IDLE", "INTERACTING"}


def test_records_span_midnight_and_the_index_holds_them_under_both_days(org: Org) -> None:
    d = date(2024, 5, 13)
    spanning = [r for r in org.timelines.touching(d) if day_of(r[0]) < d and r[1] != OPEN]
    spanning = [r for r in spanning if day_of(r[1]) == d]
    assert len(spanning) > 20
    assert {r[3] for r in spanning} == {PRESENCE, ROUTING}
    for rec in spanning[:5]:
        assert rec in org.timelines.indexed(d) and rec in org.timelines.indexed(day_of(rec[0]))
    # a record that starts before and ends after a whole day is not stored under it
    through = []
    for k in range(org.spec.days):
        d = org.first_day + timedelta(days=k)
        spans = [
            r for r in org.timelines.touching(d) if day_of(r[0]) < d < day_of(min(r[1], NOW_MS))
        ]
        assert all(r not in org.timelines.indexed(d) for r in spans)
        through.extend(spans)
    assert through


def test_leavers_worked_before_their_leave_day_and_never_after(org: Org) -> None:
    leavers = [a for a in org.roster.agents if a.leave_day is not None]
    states = {org.roster.by_id[a.user_id]["state"] for a in leavers}
    assert states == {"inactive", "deleted"}
    lines = timelines_by_user(org)
    for agent in leavers:
        on_queue = [r for r in lines[(agent.user_id, PRESENCE)] if r[4] == "ON_QUEUE"]
        assert on_queue  # they worked in the history
        assert all(r[0] < ms_of(agent.leave_day) + DAY_MS for r in on_queue)  # a late shift
    supervisors = [u for u in org.users if u["title"] == "Team Lead"]
    assert supervisors and all((u["id"], PRESENCE) not in lines for u in supervisors)


def test_timelines_are_deterministic_and_independent_of_generation_order() -> None:
    spec = OrgSpec(seed=3, days=4, per_day=200, now=NOW)
    one, two = Org(spec), Org(spec)
    days = [NOW.date() - timedelta(days=i) for i in range(4)]
    forward = {d: one.timelines.touching(d) for d in days}
    backward = {d: two.timelines.touching(d) for d in reversed(days)}
    assert forward == backward and all(forward.values())
    other = Org(OrgSpec(seed=4, days=4, per_day=200, now=NOW))
    assert other.timelines.touching(days[1]) != forward[days[1]]


def test_timelines_are_lazy_per_day() -> None:
    big = Org(OrgSpec(seed=5, days=30, per_day=300, now=NOW), cache_days=2)
    assert big.cached_days == []
    big.timelines.touching(NOW.date() - timedelta(days=10))
    generated = set(big.timelines._busy)  # a look at the cache
    assert generated and all(abs((NOW.date() - d).days - 10) <= 4 for d in generated)


def test_nothing_starts_after_now_and_days_after_now_are_empty(org: Org) -> None:
    assert org.timelines.touching(NOW.date() + timedelta(days=1)) == []
    assert all(r[0] < NOW_MS for r in org.timelines.touching(NOW.date()))
    working = [a for a in org.roster.agents if (org.roster.leave_ms(a) or OPEN) > NOW_MS]
    assert sum(r[1] == OPEN for r in org.timelines.touching(NOW.date())) == 2 * len(working)
    assert org.timelines.started(NOW_MS, NOW_MS + DAY_MS) == []
