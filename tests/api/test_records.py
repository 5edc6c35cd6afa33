"""Records that keep their JSON: a page split into each item's exact bytes, a few fields read."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from genesys_analytics.api.records import JsonRecord, page_decoder, record_json

FIELDS = ("conversationId", "conversationStart", "conversationEnd")
decode = page_decoder("conversations", FIELDS)


def test_items_keep_their_exact_bytes_and_decode_the_fields_asked_for() -> None:
    first = (
        b'{"conversationId":"c1","conversationStart":"2024-05-01T00:00:00.000Z","x":[1,{"y":2}]}'
    )
    second = b'{"conversationStart":"2024-05-01T01:00:00.000Z","conversationId":"c2","n":1.50}'
    body = decode(b'{"totalHits":7,"conversations":[' + first + b"," + second + b"]}")
    assert body["totalHits"] == 7
    one, two = body["conversations"]
    assert isinstance(one, JsonRecord) and isinstance(two, JsonRecord)
    assert (one.json, two.json) == (first, second)  # byte for byte: "1.50" is not "1.5"
    assert record_json(two) == second
    assert one.get("conversationId") == "c1" and two["conversationStart"].startswith("2024")
    assert one.get("conversationEnd") is None and "conversationEnd" not in one
    # any other field decodes the record whole, and it means what its JSON means
    assert one["x"] == [1, {"y": 2}] and dict(one) == orjson.loads(first)
    assert one == orjson.loads(first) and len(two) == 3


def test_records_missing_the_key_or_the_timestamp_read_as_absent() -> None:
    body = decode(
        b'{"conversations":[{"conversationEnd":null},{"conversationId":5},{}],"cursor":"n2"}'
    )
    no_key, odd_key, empty = body["conversations"]
    assert body["cursor"] == "n2"
    assert no_key.get("conversationId") is None and no_key.get("conversationStart", "?") == "?"
    assert "conversationEnd" in no_key and no_key["conversationEnd"] is None  # null, not absent
    assert odd_key.get("conversationId") == 5  # decoded as it is, not validated
    with pytest.raises(KeyError):
        empty["conversationId"]
    assert (empty.json, dict(empty)) == (b"{}", {})


def test_line_breaks_and_unicode_escapes() -> None:
    """A pretty-printed page's records are one line each (encoded again, compactly)."""
    page: dict[str, Any] = {
        "totalHits": 2,
        "conversations": [
            {"conversationId": "c\u00e9\n1", "note": "line\nbreak\ttab \u2028"},
            {"conversationId": "c2", "nested": {"a": [1, 2]}},
        ],
    }
    text = json.dumps(page, indent=2).encode()  # ensure_ascii: \u00e9, \n escaped in strings
    assert b"\\u00e9" in text and b"\n" in text
    for content in (text, text.replace(b"\n", b"\r\n")):
        records = decode(content)["conversations"]
        assert [r.get("conversationId") for r in records] == ["c\u00e9\n1", "c2"]
        for record, item in zip(records, page["conversations"], strict=True):
            assert record_json(record) == orjson.dumps(item)
            assert orjson.loads(record_json(record)) == item == dict(record)
    compact = b'{"conversations":[{"conversationId" :"a"},{"conversationId":"b\\u00e9"}]}'
    records = decode(compact)["conversations"]  # on one line: kept as it came
    assert [r.json for r in records] == [
        b'{"conversationId" :"a"}',
        b'{"conversationId":"b\\u00e9"}',
    ]


def test_what_cannot_be_split_is_decoded_whole_as_before() -> None:
    odd = [
        b'{"conversations":[1,2],"totalHits":2}',  # items that are not objects
        b'{"conversations":[{"conversationId":"a"}],"aggregations":[]}',  # another field
        b'{"conversations":null}',
        b"[1,2]",
    ]
    for content in odd:
        assert decode(content) == orjson.loads(content)
    assert all(type(c) is dict for c in decode(odd[1])["conversations"])
    with pytest.raises(orjson.JSONDecodeError):
        decode(b'{"conversations":[{"conversationId":"a"}')
    assert decode(b'{"totalHits":0}') == {"totalHits": 0}
    assert decode(b'{"totalHits":0,"conversations":[]}') == {"totalHits": 0, "conversations": []}


def test_record_json_of_dicts_and_of_records_inside_dicts() -> None:
    record = decode(b'{"conversations":[{"conversationId":"a","v":[true]}]}')["conversations"][0]
    assert record_json({"conversationId": "b"}) == b'{"conversationId":"b"}'
    assert record_json({"wrapped": record}) == b'{"wrapped":{"conversationId":"a","v":[true]}}'
    assert "conversationId" in repr(record)
