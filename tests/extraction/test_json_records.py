"""An export that writes JSON hands on each record's bytes as the service sent them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import orjson

from genesys_analytics import export
from genesys_analytics.api.records import JsonRecord
from genesys_analytics.extraction.engine import Exporter, ExportRequest
from genesys_analytics.timeutil import Interval
from tests.api.test_client import DETAILS, JOBS, make_client
from tests.conftest import FakeApi, FakeClock, json_response

START, END = "2024-05-01T00:00:00.000Z", "2024-05-02T00:00:00.000Z"
#: Conversations as a service might send them: compact with "1.50" and escapes, indented.
ITEMS = [
    b'{"conversationStart":"2024-05-01T03:00:00.000Z","conversationId":"c1",'
    b'"conversationEnd":"2024-05-01T03:10:00.000Z","mediaStatsMinConversationMos":1.50,'
    b'"note":"caf\\u00e9\\nline","participants":[]}',
    b'{\n    "conversationId": "c2",\n    "conversationStart": "2024-05-01T04:00:00.000Z"\n  }',
    b'{"conversationId":"out","conversationStart":"2024-05-02T04:00:00.000Z"}',  # trimmed
]


def serve_details(api: FakeApi) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        number = orjson.loads(request.content)["paging"]["pageNumber"]
        items = b",\n  ".join(ITEMS) if number == 1 else b""
        body = b'{\n  "totalHits": 3,\n  "conversations": [\n  ' + items + b"\n]}"
        return httpx.Response(200, content=body)

    api.route("POST", DETAILS, handle)


def test_a_jsonl_export_writes_each_record_as_it_came(
    fake_api: FakeApi, fake_clock: FakeClock, tmp_path: Path
) -> None:
    serve_details(fake_api)
    out = tmp_path / "day.jsonl"
    with make_client(fake_api, fake_clock) as client:
        result = export(client, START, END, out=out, format="jsonl", method="query")
    assert result.conversations == 2
    lines = out.read_bytes().splitlines()
    # the compact record byte for byte ("1.50" and "\u00e9" would read "1.5" and "é" had it
    # been decoded and encoded again); the indented one on one line, encoded again
    assert lines == [ITEMS[0], orjson.dumps(json.loads(ITEMS[1]))]
    assert [json.loads(line) for line in lines] == [json.loads(item) for item in ITEMS[:2]]


class Recording:
    """A sink that keeps what it is given; ``json_records`` says whether it asks for JSON."""

    def __init__(self, json_records: bool) -> None:
        self.json_records = json_records
        self.records: list[Any] = []

    def write(self, dataset: str, records: list[Any]) -> int:
        self.records.extend(records)
        return len(records)

    def checkpoint(self, dataset: str, chunk_key: str, meta: dict[str, Any]) -> None:
        pass

    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]:
        return {}

    def begin_snapshot(self, dataset: str) -> None:
        pass


def test_only_a_sink_that_asks_for_json_gets_records_that_keep_it(
    fake_api: FakeApi, fake_clock: FakeClock
) -> None:
    """A report's collector reads records as dicts: they are decoded whole for it, as before."""
    serve_details(fake_api)
    request = ExportRequest(Interval.of(START, END), method="query")
    with make_client(fake_api, fake_clock) as client:
        for asks, kind in ((True, JsonRecord), (False, dict)):
            sink = Recording(asks)
            stats = Exporter(client, request).run(sink)
            assert stats.conversations == 2
            assert [type(r) for r in sink.records] == [kind, kind]
            assert [r["conversationId"] for r in sink.records] == ["c1", "c2"]
            assert sink.records[0]["mediaStatsMinConversationMos"] == 1.5


def test_job_results_come_as_records_that_keep_their_json(
    fake_api: FakeApi, fake_clock: FakeClock
) -> None:
    results: dict[str, Any] = {
        "conversations": [{"conversationId": "j1", "conversationStart": START}],
        "cursor": None,
    }
    fake_api.route("POST", JOBS, json_response(202, {"jobId": "J"}))
    fake_api.route("GET", f"{JOBS}/J", json_response(200, {"state": "FULFILLED"}))
    fake_api.route("GET", f"{JOBS}/J/results", json_response(200, results))
    fake_api.route("DELETE", f"{JOBS}/J", json_response(202))
    with make_client(fake_api, fake_clock) as client:
        pages = list(client.job_pages({}, fields=("conversationId",)))
        plain = list(client.job_pages({}))
    (record,) = pages[0].items
    assert type(record) is JsonRecord and record.get("conversationId") == "j1"
    assert record.json == orjson.dumps(results["conversations"][0])
    assert type(plain[0].items[0]) is dict
