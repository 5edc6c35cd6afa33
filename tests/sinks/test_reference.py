from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesys_analytics.sinks.columns import TABLES, conversation_tables
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.ndjson import conversation_tables_json, read_tables
from genesys_analytics.sinks.schema import SCHEMA
from genesys_analytics.sinks.vectors import arrow_schema
from tests.sinks.reference import Rows, flatten, flatten_many, parse_ts

UTC = timezone.utc


def conversation() -> dict[str, Any]:
    """A voice call with a callback, routed through an IVR to an agent (job-results shape)."""
    return {
        "conversationId": "c-0001",
        "conversationStart": "2024-05-01T23:58:00.000Z",
        "conversationEnd": "2024-05-02T00:03:30.500Z",
        "originatingDirection": "inbound",
        "divisionIds": ["div-1", "div-2", "div-1"],
        "mediaStatsMinConversationMos": 4.38,
        "participants": [
            {
                "participantId": "p-cust",
                "participantName": "Ada Customer",
                "purpose": "customer",
                "attributes": {"accountId": "A-17", "vip": "true"},
                "sessions": [
                    {
                        "sessionId": "s-voice",
                        "mediaType": "voice",
                        "direction": "inbound",
                        "ani": "tel:+15551230000",
                        "dnis": "tel:+18005550100",
                        "segments": [
                            {
                                "segmentStart": "2024-05-01T23:58:00.000Z",
                                "segmentEnd": "2024-05-01T23:59:00.000Z",
                                "segmentType": "interact",
                            },
                            {
                                "segmentStart": "2024-05-01T23:59:00.000Z",
                                "segmentEnd": "2024-05-02T00:03:30.500Z",
                                "segmentType": "teleporting",  # an enum value we do not know
                                "queueId": "q-sales",
                                "disconnectType": "quantumTunnel",
                            },
                        ],
                        "metrics": [
                            {
                                "name": "nConnected",
                                "value": 1,
                                "emitDate": "2024-05-01T23:58:01.000Z",
                            },
                            {
                                "name": "tTalk",
                                "value": 210000,
                                "emitDate": "2024-05-02T00:03:30.500Z",
                            },
                        ],
                    }
                ],
            },
            {
                "participantId": "p-agent",
                "purpose": "agent",
                "userId": "u-42",
                "sessions": [
                    {
                        "sessionId": "s-cb",
                        "mediaType": "callback",
                        "direction": "outbound",
                        "segments": [
                            {
                                "segmentStart": "2024-05-02T00:00:00.000Z",
                                "segmentEnd": "2024-05-02T00:01:00.000Z",
                                "segmentType": "wrapup",
                                "queueId": "q-support",
                                "wrapUpCode": "wc-sold",
                            }
                        ],
                    },
                    {"sessionId": "s-v2", "mediaType": "voice", "direction": "outbound"},
                ],
            },
        ],
    }


def conv_row(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(SCHEMA["conversations"].names, row, strict=True))


def test_conversation_row() -> None:
    rows = flatten(conversation())
    assert len(rows.conversations) == 1
    row = conv_row(rows.conversations[0])
    assert row["conversation_id"] == "c-0001"
    assert row["conversation_start"] == datetime(2024, 5, 1, 23, 58, tzinfo=UTC)
    assert row["conversation_end"] == datetime(2024, 5, 2, 0, 3, 30, 500000, tzinfo=UTC)
    assert row["conversation_start"].tzinfo is not None
    assert row["ongoing"] is False
    assert row["originating_direction"] == "inbound"
    assert row["media_types"] == ["callback", "voice"]
    assert row["division_ids"] == ["div-1", "div-2"]
    assert row["queue_ids"] == ["q-sales", "q-support"]
    assert row["participant_count"] == 2
    assert row["duration_ms"] == 330_500
    assert row["conversation_date"] == date(2024, 5, 1)  # the UTC day it started


def test_raw_is_the_record_losslessly() -> None:
    conv = conversation()
    raw = conv_row(flatten(conv).conversations[0])["raw"]
    assert isinstance(raw, str)
    assert orjson.loads(raw) == conv
    assert raw == orjson.dumps(conv).decode()  # key order kept


def test_child_rows() -> None:
    rows = flatten(conversation())
    assert rows.participants == [
        ("c-0001", "p-cust", "customer", None, "Ada Customer", '{"accountId":"A-17","vip":"true"}'),
        ("c-0001", "p-agent", "agent", "u-42", None, None),
    ]
    assert [s[2:4] for s in rows.sessions] == [
        ("s-voice", "voice"),
        ("s-cb", "callback"),
        ("s-v2", "voice"),
    ]
    assert rows.sessions[0] == (
        "c-0001",
        "p-cust",
        "s-voice",
        "voice",
        "inbound",
        "tel:+15551230000",
        "tel:+18005550100",
    )
    assert rows.sessions[2][5:] == (None, None)
    assert [(s[1], s[2], s[3]) for s in rows.segments] == [
        ("s-voice", 0, "interact"),
        ("s-voice", 1, "teleporting"),
        ("s-cb", 0, "wrapup"),
    ]
    seg = rows.segments[1]
    assert seg[4] == datetime(2024, 5, 1, 23, 59, tzinfo=UTC)
    assert seg[6:] == ("q-sales", None, "quantumTunnel")  # unknown enums pass through
    assert rows.segments[2][7] == "wc-sold"
    assert rows.session_metrics == [
        ("c-0001", "s-voice", "nConnected", 1, datetime(2024, 5, 1, 23, 58, 1, tzinfo=UTC)),
        ("c-0001", "s-voice", "tTalk", 210000, datetime(2024, 5, 2, 0, 3, 30, 500000, tzinfo=UTC)),
    ]


def test_rows_match_the_schema_width() -> None:
    rows = flatten(conversation())
    for name, table in ((t.name, t) for t in CONVERSATIONS_STORAGE.tables):
        for r in rows.table(name):
            assert len(r) == len(table.columns), name


def test_ongoing_conversation_has_no_end_and_no_duration() -> None:
    conv = conversation()
    del conv["conversationEnd"]
    row = conv_row(flatten(conv).conversations[0])
    assert row["ongoing"] is True
    assert row["conversation_end"] is None
    assert row["duration_ms"] is None


def test_missing_keys_become_null() -> None:
    rows = flatten({"conversationId": "bare"})
    row = conv_row(rows.conversations[0])
    assert row["conversation_start"] is None
    assert row["conversation_date"] is None
    assert row["originating_direction"] is None
    assert row["media_types"] == [] and row["queue_ids"] == [] and row["division_ids"] == []
    assert row["participant_count"] == 0
    assert rows.participants == rows.sessions == rows.segments == rows.session_metrics == []
    # a participant and a session with nothing but the list structure
    rows = flatten({"conversationId": "x", "participants": [{"sessions": [{"segments": [{}]}]}]})
    assert rows.participants == [("x", None, None, None, None, None)]
    assert rows.sessions == [("x", None, None, None, None, None, None)]
    assert rows.segments == [("x", None, 0, None, None, None, None, None, None)]


def test_unknown_media_type_passes_through() -> None:
    conv = conversation()
    conv["participants"][1]["sessions"][1]["mediaType"] = "hologram"
    row = conv_row(flatten(conv).conversations[0])
    assert row["media_types"] == ["callback", "hologram", "voice"]


def test_flatten_many_concatenates() -> None:
    a, b = conversation(), copy.deepcopy(conversation())
    b["conversationId"] = "c-0002"
    rows = flatten_many([a, b])
    assert isinstance(rows, Rows) and len(rows) == 2
    assert [r[0] for r in rows.conversations] == ["c-0001", "c-0002"]
    assert len(rows.segments) == 6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:00:00.000Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T12:00:00.250+02:00", datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=UTC)),
        ("2024-05-01T10:00:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
        (None, None),
        (17, None),
    ],
)
def test_parse_ts(text: Any, expected: datetime | None) -> None:
    got = parse_ts(text)
    assert got == expected
    if got is not None:
        assert got.utcoffset() == timedelta(0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
keys = st.sampled_from(
    [
        "participantId",
        "sessions",
        "segments",
        "metrics",
        "mediaType",
        "queueId",
        "value",
        "segmentStart",
        "emitDate",
        "attributes",
        "purpose",
        "divisionIds",
        "conversationEnd",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    shape=st.recursive(
        json_values,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=20,
    )
)
def test_flatten_never_raises_on_odd_shapes(shape: Any) -> None:
    conv = {"conversationId": "odd", "participants": shape, "divisionIds": shape}
    rows = flatten(conv)
    assert len(rows.conversations) == 1
    assert orjson.loads(conv_row(rows.conversations[0])["raw"]) == conv
    for name, table in ((t.name, t) for t in CONVERSATIONS_STORAGE.tables):
        assert all(len(r) == len(table.columns) for r in rows.table(name))
    assert_columns_match_the_reference([conv, conversation()])


def assert_columns_match_the_reference(convs: list[dict[str, Any]]) -> None:
    """The columnar flatten (sinks/columns.py), from dicts and from JSON lines
    (sinks/ndjson.py), gives exactly the reference's rows, in order."""
    expected = flatten_many(convs)
    for tables in (
        conversation_tables(convs),
        conversation_tables_json([orjson.dumps(c) for c in convs]),
    ):
        assert tuple(tables) == TABLES
        for name, table in tables.items():
            assert table.schema == arrow_schema(SCHEMA[name]), name
            got = [tuple(r.values()) for r in table.to_pylist()]
            assert got == expected.table(name), name


def test_columns_match_the_reference() -> None:
    odd = conversation()
    odd["participants"].insert(0, 5)  # not an object: skipped, as the reference does
    odd["participants"][2]["sessions"][0]["segments"].insert(0, None)  # still counted
    odd["participants"][1]["sessions"][0]["metrics"].extend(
        [{"name": "a", "value": 2.5}, {"name": "b", "value": 3.5}, {"value": True}, None]
    )
    odd["divisionIds"] = ["d", 5, None, "c", "d"]
    timed = copy.deepcopy(conversation())
    timed["conversationStart"] = "2024-05-01T23:58:00+02:00"  # an offset: parsed in Python
    timed["conversationEnd"] = "2024-02-30T00:00:00Z"  # the API's form, not a date
    assert_columns_match_the_reference([conversation(), odd, timed, {"conversationId": 7}, {}])
    assert conversation_tables([])["conversations"].num_rows == 0


@pytest.mark.parametrize("value", [True, False, 2.5, 3.5, -0.5, 2**60, "7"])
def test_a_metric_value_alone_is_typed_as_the_reference_types_it(value: Any) -> None:
    conv = conversation()  # well formed but for this one value
    conv["participants"][0]["sessions"][0]["metrics"][1]["value"] = value
    assert_columns_match_the_reference([conv])


def test_columns_null_what_bigint_cannot_hold() -> None:
    conv = {"conversationId": "c", "participants": [{"sessions": [{"metrics": [{}]}]}]}
    values = [2**63, 2**64 - 1, -1e300, 2**62]  # orjson holds up to 64-bit unsigned
    conv["participants"][0]["sessions"][0]["metrics"] = [{"value": v} for v in values]
    got = conversation_tables([conv])["session_metrics"].column("value").to_pylist()
    assert got == [None, None, None, 2**62]
    lines = [orjson.dumps(conv)]
    got = conversation_tables_json(lines)["session_metrics"].column("value").to_pylist()
    assert got == [None, None, None, 2**62]


@pytest.mark.parametrize(
    "odd",
    [
        {"participants": [None]},  # a null participant: not counted
        {"divisionIds": ["d", None]},  # a null division id: skipped
        {"divisionIds": ["d", "e", "d"]},  # a repeated one: kept once
        {"conversationStart": 5},  # a number where a string belongs: Arrow refuses
        {"participants": [{"participantId": "p", "attributes": "vip"}]},  # not an object
    ],
)
def test_json_lines_arrow_would_type_loosely_are_flattened_from_dicts(odd: dict[str, Any]) -> None:
    convs = [well_formed(), {**well_formed(), "conversationId": "c-odd", **odd}]
    assert read_tables([orjson.dumps(c) for c in convs]) is None
    assert_columns_match_the_reference(convs)


def well_formed() -> dict[str, Any]:
    """:func:`conversation` with its division ids each once: what Arrow reads exactly."""
    conv = conversation()
    conv["divisionIds"] = ["div-1", "div-2"]
    return conv


@pytest.mark.parametrize("value", [2.5, 3.5, -0.5, 0, -(2**53) + 1, 2**53 - 1, 1e-300])
def test_well_formed_json_lines_are_read_by_arrow_as_the_reference_reads_them(
    value: float,
) -> None:
    conv, ongoing, bare = well_formed(), well_formed(), {"conversationId": "c-bare"}
    conv["participants"][0]["sessions"][0]["metrics"][1]["value"] = value
    ongoing["conversationId"] = "c-ongoing"
    del ongoing["conversationEnd"], ongoing["participants"][0]["attributes"]
    ongoing["conversationStart"] = "2024-05-01T23:58:00+02:00"  # parsed in Python
    convs = [conv, ongoing, bare]
    tables = read_tables([orjson.dumps(c) for c in convs])
    assert tables is not None
    expected = flatten_many(convs)
    for name, table in tables.items():
        assert [tuple(r.values()) for r in table.to_pylist()] == expected.table(name), name
    assert expected.participants[0][-1] == '{"accountId":"A-17","vip":"true"}'


def test_attributes_of_any_participant_are_read_as_the_reference_reads_them() -> None:
    first, second, third = well_formed(), well_formed(), well_formed()
    del first["participants"][0]["attributes"]
    second["conversationId"], third["conversationId"] = "c-2", "c-3"
    second["participants"][0]["attributes"] = None
    second["participants"][1]["attributes"] = {}
    third["participants"][1]["attributes"] = {"a": {"b": [1, "é"]}}
    convs = [first, second, third]
    tables = read_tables([orjson.dumps(c) for c in convs])
    assert tables is not None
    got = tables["participants"].column("attributes").to_pylist()
    assert got == [row[-1] for row in flatten_many(convs).participants]
    assert got.count(None) == len(got) - 3


timestamp_like = st.builds(
    "{}-{}-{}{}{}:{}:{}{}{}".format,
    st.sampled_from(["2024", "0999", "1970", "9999", "20x4"]),
    st.sampled_from(["01", "02", "12", "13", "00"]),
    st.sampled_from(["01", "28", "29", "30", "31", "00"]),
    st.sampled_from(["T", " ", "t"]),
    st.sampled_from(["00", "23", "24"]),
    st.sampled_from(["00", "59", "60"]),
    st.sampled_from(["00", "59", "60"]),
    st.sampled_from(["", ".5", ".123", ".1234", ".123456", ".1234567"]),
    st.sampled_from(["Z", "z", "", "+00:00", "+02:00", "-05:30", "+24:00"]),
)


@settings(max_examples=300, deadline=None)
@given(stamps=st.lists(timestamp_like | st.text(max_size=8), min_size=1, max_size=4))
def test_timestamps_parse_as_the_reference_does(stamps: list[str]) -> None:
    convs = [{"conversationId": "t", "conversationStart": s} for s in stamps]
    lines = [orjson.dumps(c) for c in convs]
    for tables in (conversation_tables(convs), conversation_tables_json(lines)):
        starts = tables["conversations"].column("conversation_start")
        assert starts.to_pylist() == [parse_ts(s) for s in stamps]


def test_a_timestamp_beyond_year_9999_in_utc_is_null() -> None:
    stamps = ["9999-12-31T23:00:00-05:30", "0001-01-01T00:30:00+01:00"]
    convs = [{"conversationId": str(i), "conversationStart": s} for i, s in enumerate(stamps)]
    lines = [orjson.dumps(c) for c in convs]
    for tables in (conversation_tables(convs), conversation_tables_json(lines)):
        assert tables["conversations"].column("conversation_start").to_pylist() == [None, None]
