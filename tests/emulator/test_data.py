"""The synthetic org: determinism, volume patterns, shapes valid against the SDK models."""

from __future__ import annotations

import random
import re
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from PureCloudPlatformClientV2 import models

from genesys_analytics.emulator.data.org import (
    DRIFT_BASE,
    Org,
    OrgSpec,
    conversation_id,
    media_types,
    parse_conversation_id,
    query_shape,
    truth,
)
from genesys_analytics.timeutil import UTC, parse_instant

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
API_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def org() -> Org:
    return Org(OrgSpec(seed=7, days=14, per_day=400, now=NOW), cache_days=20)


def all_conversations(org: Org) -> list[dict]:
    out: list[dict] = []
    d = org.first_day
    while d <= org.last_day:
        out.extend(org.day(d))
        d += timedelta(days=1)
    return out


# -- determinism --------------------------------------------------------------------


def test_same_seed_same_days_and_order_of_generation_does_not_matter() -> None:
    spec = OrgSpec(seed=3, days=5, per_day=200, now=NOW)
    forward, backward = Org(spec), Org(spec)
    days = [NOW.date() - timedelta(days=i) for i in range(5)]
    a = {d: forward.day(d) for d in days}
    b = {d: backward.day(d) for d in reversed(days)}
    assert a == b
    assert a[days[1]]  # not trivially empty


def test_different_seed_differs() -> None:
    d = date(2024, 5, 13)
    one = Org(OrgSpec(seed=1, per_day=100, now=NOW)).day(d)
    two = Org(OrgSpec(seed=2, per_day=100, now=NOW)).day(d)
    assert [c["conversationId"] for c in one] != [c["conversationId"] for c in two]


def test_reference_data_is_seeded(org: Org) -> None:
    again = Org(org.spec)
    assert again.queues == org.queues and again.users == org.users
    assert len(org.queues) == 8 and len(org.users) == 48  # 46 agents, 2 supervisors
    assert [u["state"] for u in org.users].count("active") == 42
    assert again.wrapups == org.wrapups and again.members == org.members
    assert {"id", "name", "division", "memberCount", "selfUri", "dateCreated"} <= set(org.queues[0])


# -- volume and timing -----------------------------------------------------------------


def test_counts_follow_per_day_and_the_weekly_pattern(org: Org) -> None:
    full_days = [org.first_day + timedelta(days=i) for i in range(13)]  # NOW's day is partial
    counts = {d: len(org.day(d)) for d in full_days}
    mean = sum(counts.values()) / len(counts)
    assert 0.85 * 400 < mean < 1.15 * 400
    weekday = [n for d, n in counts.items() if d.weekday() < 5]
    weekend = [n for d, n in counts.items() if d.weekday() >= 5]
    assert min(weekday) > 1.5 * max(weekend)


def test_hour_pattern_busy_days_quiet_nights(org: Org) -> None:
    hours = Counter(parse_instant(c["conversationStart"]).hour for c in all_conversations(org))
    business = sum(hours[h] for h in range(9, 17)) / 8
    night = sum(hours[h] for h in range(0, 5)) / 5
    assert business > 8 * night > 0


def test_days_are_sorted_and_bounded(org: Org) -> None:
    d = date(2024, 5, 10)
    convs = org.day(d)
    keys = [(c["conversationStart"], c["conversationId"]) for c in convs]
    assert keys == sorted(keys)
    assert all(c["conversationStart"].startswith("2024-05-10") for c in convs)
    assert org.day(org.first_day - timedelta(days=1)) == []
    assert org.day(org.last_day + timedelta(days=1)) == []
    assert org.first_day == date(2024, 5, 2) and org.last_day == date(2024, 5, 15)


def test_nothing_starts_at_or_after_now(org: Org) -> None:
    today = org.day(NOW.date())
    assert today and max(c["conversationStart"] for c in today) < "2024-05-15T12:00:00.000Z"


# -- ids ------------------------------------------------------------------------------


def test_ids_are_unique_uuids_and_lookup_finds_them(org: Org) -> None:
    convs = all_conversations(org)
    ids = [c["conversationId"] for c in convs]
    assert len(set(ids)) == len(ids)
    for c in convs[::97]:
        assert str(uuid.UUID(c["conversationId"])) == c["conversationId"]
        assert org.conversation(c["conversationId"]) == c
    assert org.conversation("20240510-ffff-4fff-8000-000000000000") is None
    assert org.conversation("not-an-id") is None
    assert org.conversation("20240101-0000-4000-8000-000000000000") is None  # outside range


def test_id_roundtrip() -> None:
    rng = random.Random(1)
    for index in (0, 1, 4095, 4096, 70_000, DRIFT_BASE + 5):
        cid = conversation_id(date(2024, 2, 29), index, rng)
        uuid.UUID(cid)
        assert parse_conversation_id(cid) == (date(2024, 2, 29), index)


def test_participant_and_session_ids_are_unique(org: Org) -> None:
    seen: set[str] = set()
    total = 0
    for c in org.day(date(2024, 5, 13)):
        for p in c["participants"]:
            for key in [p["participantId"], *(s["sessionId"] for s in p["sessions"])]:
                seen.add(key)
                total += 1
    assert len(seen) == total


# -- content --------------------------------------------------------------------------


def test_media_mix_and_multi_media(org: Org) -> None:
    convs = all_conversations(org)
    mix = Counter(m for c in convs for m in media_types(c))
    share = {m: n / len(convs) for m, n in mix.items()}
    assert set(share) == {"voice", "callback", "chat", "email", "message"}
    assert 0.50 < share["voice"] < 0.65
    multi = sum(1 for c in convs if len(media_types(c)) > 1) / len(convs)
    assert 0.015 < multi < 0.05


def test_ongoing_conversations_only_near_now(org: Org) -> None:
    ongoing = [c for c in all_conversations(org) if "conversationEnd" not in c]
    assert ongoing
    horizon = NOW - org.max_lifetime
    for c in ongoing:
        assert parse_instant(c["conversationStart"]) >= horizon
        last = [s["segments"][-1] for p in c["participants"] for s in p["sessions"]]
        assert any("segmentEnd" not in seg for seg in last)
        for p in c["participants"]:
            for s in p["sessions"]:
                assert all(
                    m["emitDate"] <= "2024-05-15T12:00:00.000Z" for m in s.get("metrics", [])
                )
    recent = [
        c for c in ongoing if parse_instant(c["conversationStart"]) > NOW - timedelta(hours=1)
    ]
    assert recent  # voice/chat still running in the last hour


def test_ended_conversations_end_before_now_and_within_max_lifetime(org: Org) -> None:
    for c in all_conversations(org):
        if "conversationEnd" in c:
            start, end = parse_instant(c["conversationStart"]), parse_instant(c["conversationEnd"])
            assert start <= end <= NOW
            assert end - start <= org.max_lifetime


def test_email_threads_span_days(org: Org) -> None:
    spanning = [
        c
        for c in all_conversations(org)
        if "conversationEnd" in c
        and parse_instant(c["conversationEnd"]) - parse_instant(c["conversationStart"])
        > timedelta(days=1)
    ]
    assert spanning
    assert all(media_types(c) == {"email"} for c in spanning)


def test_abandoned_and_transferred_exist(org: Org) -> None:
    names = Counter(
        m["name"]
        for c in all_conversations(org)
        for p in c["participants"]
        for s in p["sessions"]
        for m in s.get("metrics", [])
    )
    assert {"nOffered", "tAbandon", "nTransferred", "tHandle", "tTalk", "tHeld"} <= set(names)
    assert 0.03 < names["tAbandon"] / names["nOffered"] < 0.12


def test_agent_segments_carry_queue_and_wrapup(org: Org) -> None:
    agents = [
        p for c in org.day(date(2024, 5, 13)) for p in c["participants"] if p["purpose"] == "agent"
    ]
    assert agents and all(p["userId"] in {u["id"] for u in org.users} for p in agents)
    queue_ids = {q["id"] for q in org.queues}
    inbound = [s for p in agents for s in p["sessions"] if s["direction"] == "inbound"]
    assert all(s["segments"][0]["queueId"] in queue_ids for s in inbound)
    wrapups = [s["segments"][-1] for s in inbound if s["segments"][-1]["segmentType"] == "wrapup"]
    assert len(wrapups) > 0.9 * len(inbound)
    assert all("wrapUpCode" in seg for seg in wrapups if "segmentEnd" in seg)


def test_query_shape_drops_attributes_only(org: Org) -> None:
    conv = org.day(date(2024, 5, 13))[0]
    assert any("attributes" in p for p in conv["participants"])
    shaped = query_shape(conv)
    assert all("attributes" not in p for p in shaped["participants"])
    assert any("attributes" in p for p in conv["participants"])  # the original is untouched
    assert [p["participantId"] for p in shaped["participants"]] == [
        p["participantId"] for p in conv["participants"]
    ]


# -- the SDK models are the schema ------------------------------------------------------

_LIST = re.compile(r"^list\[(.+)\]$")


def check_against_model(value: Any, swagger_type: str, path: str) -> None:
    """Every key known to the model, every enum allowed, every date in API format."""
    inner = _LIST.match(swagger_type)
    if inner:
        assert isinstance(value, list), path
        for i, item in enumerate(value):
            check_against_model(item, inner.group(1), f"{path}[{i}]")
        return
    if swagger_type.startswith("dict("):
        assert isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ), path
        return
    if swagger_type == "datetime":
        assert isinstance(value, str) and API_TS.match(value), f"{path}: {value!r}"
        return
    primitive = {"str": str, "int": int, "float": float, "bool": bool}
    if swagger_type in primitive:
        assert isinstance(value, primitive[swagger_type]), f"{path}: {value!r}"
        return
    cls = getattr(models, swagger_type)
    instance = cls()
    by_json = {json_key: attr for attr, json_key in instance.attribute_map.items()}
    assert isinstance(value, dict), path
    for key, item in value.items():
        assert key in by_json, f"{path}.{key} is not in {swagger_type}"
        attr = by_json[key]
        check_against_model(item, instance.swagger_types[attr], f"{path}.{key}")
        if instance.swagger_types[attr] == "str":
            setattr(instance, attr, item)  # enum setters replace unknown values
            assert getattr(instance, attr) != "outdated_sdk_version", f"{path}.{key}={item!r}"


def test_every_key_and_enum_exists_in_the_sdk_models(org: Org) -> None:
    convs = all_conversations(org)
    sample = convs[::7] + [c for c in convs if "conversationEnd" not in c]
    for conv in sample:
        check_against_model(conv, "AnalyticsConversation", conv["conversationId"])
        check_against_model(
            query_shape(conv), "AnalyticsConversationWithoutAttributes", conv["conversationId"]
        )


def test_queues_match_the_sdk_queue_model(org: Org) -> None:
    for queue in org.queues:
        check_against_model(queue, "Queue", queue["name"])
    for division in org.divisions:
        check_against_model(division, "AuthzDivision", division["name"])
    for code in org.wrapups:
        check_against_model(code, "WrapupCode", code["name"])
    for definition in org.presence_definitions:
        check_against_model(definition, "OrganizationPresenceDefinition", definition["name"])
    for user in org.users:
        check_against_model(user, "User", user["name"])


def test_the_walker_catches_bad_keys_and_enums() -> None:
    with pytest.raises(AssertionError):
        check_against_model({"conversationIdd": "x"}, "AnalyticsConversation", "c")
    with pytest.raises(AssertionError):
        check_against_model({"originatingDirection": "sideways"}, "AnalyticsConversation", "c")
    with pytest.raises(AssertionError):
        check_against_model({"conversationStart": "2024-05-01"}, "AnalyticsConversation", "c")


# -- laziness, drift, truth -------------------------------------------------------------


def test_nothing_is_generated_until_a_day_is_asked_for() -> None:
    big = Org(OrgSpec(seed=5, days=30, per_day=50_000, now=NOW), cache_days=2)
    assert big.cached_days == []
    big.make_conversation(datetime(2024, 5, 1, 9, tzinfo=UTC), random.Random(0))
    assert big.conversation("20240101-0000-4000-8000-000000000000") is None
    assert big.cached_days == []


def test_cache_keeps_only_a_few_days() -> None:
    org = Org(OrgSpec(seed=5, days=30, per_day=300, now=NOW), cache_days=2)
    for i in range(30):
        org.day(org.first_day + timedelta(days=i))
        assert len(org.cached_days) <= 2
    assert org.cached_days == [org.last_day - timedelta(days=1), org.last_day]
    first = org.day(org.first_day)  # evicted, regenerated identically
    assert org.cached_days[-1] == org.first_day
    assert first == Org(org.spec).day(org.first_day)


def test_add_inserts_in_order_and_is_found() -> None:
    small = Org(OrgSpec(seed=9, days=3, per_day=50, now=NOW))
    d = date(2024, 5, 14)
    before = small.day(d)
    conv = small.make_conversation(datetime(2024, 5, 14, 10, 30, tzinfo=UTC), random.Random(4))
    assert parse_conversation_id(conv["conversationId"]) == (d, DRIFT_BASE)
    small.add(conv)
    after = small.day(d)
    assert len(after) == len(before) + 1
    keys = [(c["conversationStart"], c["conversationId"]) for c in after]
    assert keys == sorted(keys)
    assert small.conversation(conv["conversationId"]) is conv


def test_truth_counts_distinct_conversations_per_media(org: Org) -> None:
    start, end = datetime(2024, 5, 13, 6, tzinfo=UTC), datetime(2024, 5, 14, 6, tzinfo=UTC)
    got = truth(org, start, end)
    expected = [
        c
        for d in (date(2024, 5, 13), date(2024, 5, 14))
        for c in org.day(d)
        if "2024-05-13T06:00:00.000Z" <= c["conversationStart"] < "2024-05-14T06:00:00.000Z"
    ]
    assert got["total"] == len(expected) == len(got["ids"])
    assert got["ids"] == sorted(c["conversationId"] for c in expected)
    assert got["counts"]["voice"] == sum(1 for c in expected if "voice" in media_types(c))
    assert sum(got["counts"].values()) > got["total"]  # multi-media counted under each
    assert got["start"] == "2024-05-13T06:00:00.000Z"


def test_iter_started_is_half_open(org: Org) -> None:
    conv = org.day(date(2024, 5, 12))[10]
    at = parse_instant(conv["conversationStart"])
    assert conv in list(org.iter_started(at, at + timedelta(milliseconds=1)))
    assert conv not in list(org.iter_started(at - timedelta(seconds=1), at))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_timelines_are_consistent_for_any_seed(seed: int) -> None:
    small = Org(OrgSpec(seed=seed, days=4, per_day=250, now=NOW))
    now = "2024-05-15T12:00:00.000Z"
    for d in (small.first_day + timedelta(days=i) for i in range(4)):
        for c in small.day(d):
            start, end = c["conversationStart"], c.get("conversationEnd", now)
            assert parse_instant(end) - parse_instant(start) <= small.max_lifetime
            for p in c["participants"]:
                assert p["sessions"]
                for s in p["sessions"]:
                    for seg in s["segments"]:
                        assert start <= seg["segmentStart"] <= seg.get("segmentEnd", now) <= end
                    for m in s.get("metrics", []):
                        assert start <= m["emitDate"] <= end and m["value"] >= 0
            check_against_model(c, "AnalyticsConversation", c["conversationId"])
