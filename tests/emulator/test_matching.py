"""Which conversations a query or a job matches (decisions.md §5), and the filter grammar."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from genesys_analytics.emulator.data.org import Org, OrgSpec
from genesys_analytics.emulator.query.matching import (
    BadFilter,
    ceil_ts,
    compile_filters,
    has_filters,
    job_matcher,
    job_matches,
    lifetime_end,
    query_matcher,
    query_matches,
)
from genesys_analytics.timeutil import UTC, Interval

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)


def conv(start: str, end: str | None = None, **extra: object) -> dict:
    c: dict = {"conversationId": f"c-{start}", "conversationStart": start, "participants": []}
    if end is not None:
        c["conversationEnd"] = end
    c.update(extra)
    return c


def iv(a: str, b: str) -> Interval:
    return Interval.of(a, b)


HOUR_10 = iv("2024-05-14T10:00:00Z", "2024-05-14T11:00:00Z")


# -- lifetime ------------------------------------------------------------------------


def test_lifetime_end_is_end_or_now() -> None:
    assert lifetime_end(conv("2024-05-14T10:00:00.000Z", "2024-05-14T10:05:00.000Z"), NOW) == (
        datetime(2024, 5, 14, 10, 5, tzinfo=UTC)
    )
    assert lifetime_end(conv("2024-05-14T10:00:00.000Z"), NOW) == NOW


# -- details query ---------------------------------------------------------------------


def test_query_half_open_ends() -> None:
    at_start = conv("2024-05-14T10:00:00.000Z", "2024-05-14T10:01:00.000Z")
    at_end = conv("2024-05-14T11:00:00.000Z", "2024-05-14T11:01:00.000Z")
    just_before_end = conv("2024-05-14T10:59:59.999Z", "2024-05-14T11:01:00.000Z")
    assert query_matches(at_start, HOUR_10, NOW)
    assert not query_matches(at_end, HOUR_10, NOW)
    assert query_matches(just_before_end, HOUR_10, NOW)


def test_query_returns_earlier_start_same_day_still_active() -> None:
    active = conv("2024-05-14T08:00:00.000Z")  # ongoing: lifetime runs to now
    ended_before = conv("2024-05-14T08:00:00.000Z", "2024-05-14T09:59:59.999Z")
    spanning = conv("2024-05-14T09:00:00.000Z", "2024-05-14T12:00:00.000Z")
    assert query_matches(active, HOUR_10, NOW)
    assert query_matches(spanning, HOUR_10, NOW)
    assert not query_matches(ended_before, HOUR_10, NOW)


def test_query_ignores_conversations_started_on_an_earlier_day_but_the_job_sees_them() -> None:
    yesterday = conv("2024-05-13T23:00:00.000Z", "2024-05-14T10:30:00.000Z")
    assert not query_matches(yesterday, HOUR_10, NOW)
    assert job_matches(yesterday, HOUR_10, NOW, start_of_day=False)
    assert not job_matches(yesterday, HOUR_10, NOW, start_of_day=True)


def test_ended_exactly_at_interval_start_overlaps_the_closed_lifetime() -> None:
    touching = conv("2024-05-14T09:00:00.000Z", "2024-05-14T10:00:00.000Z")
    assert query_matches(touching, HOUR_10, NOW)
    assert job_matches(touching, HOUR_10, NOW, start_of_day=False)


def test_start_of_day_keeps_same_day_starts() -> None:
    early = conv("2024-05-14T00:00:00.000Z", "2024-05-14T10:30:00.000Z")
    assert job_matches(early, HOUR_10, NOW, start_of_day=True)
    later = conv("2024-05-14T10:30:00.000Z", "2024-05-14T10:40:00.000Z")
    assert job_matches(later, HOUR_10, NOW, start_of_day=True)
    after = conv("2024-05-14T11:00:00.000Z", "2024-05-14T11:05:00.000Z")
    assert not job_matches(after, HOUR_10, NOW, start_of_day=False)


def test_sub_millisecond_bounds_round_up() -> None:
    c = conv("2024-05-14T11:00:00.000Z", "2024-05-14T11:01:00.000Z")
    b = datetime(2024, 5, 14, 11, 0, 0, 500, tzinfo=UTC)  # 0.5 ms after 11:00
    assert ceil_ts(b) == "2024-05-14T11:00:00.001Z"
    assert query_matches(c, Interval(datetime(2024, 5, 14, 10, tzinfo=UTC), b), NOW)


def test_multi_day_query_touches_each_day() -> None:
    span = iv("2024-05-13T22:00:00Z", "2024-05-14T02:00:00Z")
    assert query_matches(conv("2024-05-13T01:00:00.000Z"), span, NOW)  # still active
    assert not query_matches(conv("2024-05-12T23:00:00.000Z"), span, NOW)
    assert not query_matches(conv("2024-05-15T00:00:00.000Z"), span, NOW)


def test_both_rules_are_supersets_of_started_in_interval() -> None:
    org = Org(OrgSpec(seed=4, days=3, per_day=300, now=NOW))
    days = [date(2024, 5, 13), date(2024, 5, 14), date(2024, 5, 15)]
    convs = [c for d in days for c in org.day(d)]
    interval = iv("2024-05-14T09:30:00Z", "2024-05-14T10:15:00Z")
    q, j = query_matcher(interval, NOW), job_matcher(interval, NOW, False)
    started = {c["conversationId"] for c in convs if interval.contains(_at(c))}
    queried = {c["conversationId"] for c in convs if q(c)}
    jobbed = {c["conversationId"] for c in convs if j(c)}
    assert started and started < queried <= jobbed
    # the query only looks at the day the interval touches
    assert all(c["conversationStart"].startswith("2024-05-14") for c in convs if q(c))


def _at(c: dict) -> datetime:
    return datetime.fromisoformat(c["conversationStart"].replace("Z", "+00:00"))


# -- filters ----------------------------------------------------------------------------


def sample() -> dict:
    return {
        "conversationId": "11111111-1111-4111-8111-111111111111",
        "conversationStart": "2024-05-14T10:00:00.000Z",
        "originatingDirection": "inbound",
        "divisionIds": ["div-a"],
        "customerParticipation": True,
        "participants": [
            {
                "purpose": "acd",
                "sessions": [
                    {
                        "mediaType": "voice",
                        "direction": "inbound",
                        "segments": [{"segmentType": "interact", "queueId": "q1"}],
                    }
                ],
            },
            {
                "purpose": "agent",
                "userId": "u1",
                "sessions": [
                    {
                        "mediaType": "callback",
                        "direction": "outbound",
                        "metrics": [{"name": "tTalk", "value": 5000, "emitDate": "x"}],
                        "segments": [
                            {"segmentType": "interact", "queueId": "q2"},
                            {"segmentType": "wrapup", "queueId": "q2", "wrapUpCode": "w1"},
                        ],
                    }
                ],
            },
        ],
    }


def dim(name: str, value: object = None, op: str | None = None) -> dict:
    p: dict = {"type": "dimension", "dimension": name}
    if value is not None:
        p["value"] = value
    if op:
        p["operator"] = op
    return p


def seg_and(*preds: dict) -> list:
    return [{"type": "and", "predicates": list(preds)}]


def test_no_filters_match_everything() -> None:
    assert compile_filters(None, None)(sample())
    assert compile_filters([], [])(sample())


def test_segment_and_is_evaluated_on_one_segment() -> None:
    c = sample()
    assert compile_filters(None, seg_and(dim("mediaType", "voice"), dim("queueId", "q1")))(c)
    # voice is in one session and q2 in another: no single segment has both
    assert not compile_filters(None, seg_and(dim("mediaType", "voice"), dim("queueId", "q2")))(c)
    assert compile_filters(None, seg_and(dim("userId", "u1"), dim("wrapUpCode", "w1")))(c)


def test_or_and_clauses() -> None:
    c = sample()
    either = [{"type": "or", "predicates": [dim("mediaType", "email"), dim("queueId", "q2")]}]
    assert compile_filters(None, either)(c)
    neither = [{"type": "or", "predicates": [dim("mediaType", "email"), dim("queueId", "q9")]}]
    assert not compile_filters(None, neither)(c)
    clauses = [
        {
            "type": "and",
            "clauses": [
                {"type": "or", "predicates": [dim("purpose", "agent"), dim("purpose", "ivr")]},
                {"type": "or", "predicates": [dim("direction", "outbound")]},
            ],
        }
    ]
    assert compile_filters(None, clauses)(c)
    clauses[0]["clauses"][1]["predicates"] = [dim("direction", "inbound")]
    assert not compile_filters(None, clauses)(c)


def test_conversation_filters_and_exists_on_conversation_end() -> None:
    c = sample()
    ongoing = [{"type": "and", "predicates": [dim("conversationEnd", op="notExists")]}]
    ended = [{"type": "and", "predicates": [dim("conversationEnd", op="exists")]}]
    assert compile_filters(ongoing, None)(c)
    assert not compile_filters(ended, None)(c)
    c["conversationEnd"] = "2024-05-14T10:10:00.000Z"
    assert compile_filters(ended, None)(c)
    assert compile_filters(seg_and(dim("divisionId", "div-a")), None)(c)
    assert compile_filters(seg_and(dim("customerParticipation", "true")), None)(c)
    assert not compile_filters(seg_and(dim("originatingDirection", "outbound")), None)(c)


def test_conversation_and_segment_filters_combine_with_and() -> None:
    c = sample()
    conv_ok = seg_and(dim("originatingDirection", "inbound"))
    assert compile_filters(conv_ok, seg_and(dim("queueId", "q1")))(c)
    assert not compile_filters(conv_ok, seg_and(dim("queueId", "nope")))(c)


def test_metric_predicate_with_range() -> None:
    c = sample()
    long_talk = {"type": "metric", "metric": "tTalk", "range": {"gte": 4000, "lt": 6000}}
    assert compile_filters(None, seg_and(long_talk))(c)
    long_talk["range"] = {"gt": 5000}
    assert not compile_filters(None, seg_and(long_talk))(c)


@pytest.mark.parametrize(
    ("conversation", "segment", "needle"),
    [
        (None, seg_and(dim("colour", "red")), "colour"),
        (seg_and(dim("mediaType", "voice")), None, "mediaType"),  # a segment dim at conv level
        (None, seg_and(dim("mediaType", "voice", op="like")), "like"),
        (None, [{"type": "xor", "predicates": [dim("mediaType", "voice")]}], "xor"),
        (None, seg_and({"type": "property", "property": "x"}), "property"),
        (None, seg_and(dim("mediaType")), "value"),
        (None, {"type": "and"}, "list"),
        (None, seg_and({"dimension": "queueId", "range": {"near": 1}}), "range"),
    ],
)
def test_bad_filters_raise_with_a_message_naming_the_problem(
    conversation: list | None, segment: list | None, needle: str
) -> None:
    with pytest.raises(BadFilter, match=needle):
        compile_filters(conversation, segment)


def test_has_filters() -> None:
    assert not has_filters({"interval": "x"})
    assert not has_filters({"segmentFilters": []})
    assert has_filters({"segmentFilters": seg_and(dim("mediaType", "voice"))})
    assert has_filters({"conversationFilters": seg_and(dim("conversationEnd", op="exists"))})


def test_filters_on_generated_data() -> None:
    org = Org(OrgSpec(seed=4, days=2, per_day=200, now=NOW))
    convs = org.day(date(2024, 5, 14))
    voice = compile_filters(None, seg_and(dim("mediaType", "voice")))
    assert 0.4 * len(convs) < sum(map(voice, convs)) < 0.8 * len(convs)
    queue = org.queues[0]["id"]
    by_queue = compile_filters(None, seg_and(dim("queueId", queue)))
    assert 0 < sum(map(by_queue, convs)) < len(convs)
    assert timedelta(0) < org.max_lifetime
