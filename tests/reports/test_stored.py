"""Reading a store for a report: what its checkpoints cover, read-only, records as stored."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from genesys_analytics.api.queries import Filters
from genesys_analytics.errors import ConfigError
from genesys_analytics.reports.stored import StoredExport, stored_names, stored_statuses
from genesys_analytics.sinks.dimensions import QUEUES_STORAGE, WRAPUP_CODES_STORAGE
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.store import DuckDBStore
from genesys_analytics.sinks.user_details import USER_DETAILS_STORAGE
from genesys_analytics.timeutil import Interval

DAY1 = Interval.of("2024-05-01", "2024-05-02")
DAY2 = Interval.of("2024-05-02", "2024-05-03")


def conversation(cid: str, start: str) -> dict[str, Any]:
    return {
        "conversationId": cid,
        "conversationStart": start,
        "participants": [{"sessions": [{"mediaType": "voice", "note": "kept as sent ✓"}]}],
    }


def meta(interval: Interval, **extra: Any) -> dict[str, Any]:
    return {"start": interval.iso().split("/")[0], "end": interval.iso().split("/")[1], **extra}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    sink = DuckDBStore(
        path,
        storages=(
            CONVERSATIONS_STORAGE,
            USER_DETAILS_STORAGE,
            QUEUES_STORAGE,
            WRAPUP_CODES_STORAGE,
        ),
    )
    sink.write(
        "conversations",
        [
            conversation("c1", "2024-05-01T10:00:00.000Z"),
            conversation("c2", "2024-05-02T10:00:00.000Z"),
        ],
    )
    sink.checkpoint("conversations", "day1", meta(DAY1, filters={}))
    sink.checkpoint("conversations", "day2", meta(DAY2, filters={}, live=True))
    sink.checkpoint("conversations", "voice", meta(DAY1, filters={"media_type": ["voice"]}))
    sink.write(
        "user-details",
        [
            {
                "recordKey": "u1|routing|1",
                "userId": "u1",
                "kind": "routing",
                "routingStatus": "IDLE",
                "startTime": "2024-04-29T23:00:00.000Z",
                "endTime": "2024-05-02T01:00:00.000Z",
            }
        ],
    )
    sink.checkpoint("user-details", "ud", meta(Interval.of("2024-04-28", "2024-05-03")))
    sink.begin_snapshot("wrapup-codes")
    sink.write(
        "wrapup-codes",
        [
            {"id": "w1", "name": "Sold"},
            {"id": "ININ-WRAP-UP-TIMEOUT", "name": "Wrap-up timeout", "system": True},
        ],
    )
    sink.checkpoint("wrapup-codes", "snap", meta(DAY1))
    sink.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_records_come_back_as_they_were_exported_and_the_file_is_not_touched(
    store: Path,
) -> None:
    before = digest(store)
    with StoredExport(store) as stored:
        both = Interval(DAY1.start, DAY2.end)
        assert list(stored.conversations(both)) == [
            conversation("c1", "2024-05-01T10:00:00.000Z"),
            conversation("c2", "2024-05-02T10:00:00.000Z"),
        ]
        assert [c["conversationId"] for c in stored.conversations(DAY2)] == ["c2"]
        # a status that began before the interval is read with the lead, then clipped
        statuses = stored_statuses(stored, DAY2)
        assert [(s.user, s.status) for s in statuses] == [("u1", "IDLE")]
    assert digest(store) == before


def test_coverage_names_the_gap_and_the_export_to_run(store: Path) -> None:
    with StoredExport(store) as stored:
        later = Interval.of("2024-05-02T12:00:00Z", "2024-05-04")
        with pytest.raises(ConfigError) as err:
            list(stored.conversations(later))
        text = str(err.value)
        assert "does not hold conversations for 2024-05-03T00:00:00.000Z/2024-05-04" in text
        assert "--start 2024-05-02T12:00:00.000Z --end 2024-05-04T00:00:00.000Z" in text
        assert "--resume" in text
        # the statuses of DAY1 need three days of lead: 2024-04-28 is held, not before
        with pytest.raises(ConfigError, match="user-details for 2024-04-27"):
            stored_statuses(stored, Interval.of("2024-04-30", "2024-05-01"))


def test_a_filtered_export_covers_only_reports_with_its_filters(store: Path) -> None:
    voice = Filters(media_type=["voice"])
    with StoredExport(store) as stored:
        assert stored.covered("conversations", voice) == [DAY1]
        assert len(list(stored.conversations(DAY1, voice))) == 1
        with pytest.raises(ConfigError, match="with filters media_type=voice"):
            list(stored.conversations(DAY2, voice))


def test_names_leave_the_system_codes_to_the_kpi_names(store: Path) -> None:
    with StoredExport(store) as stored:
        with pytest.raises(ConfigError, match="holds no queues list"):
            stored_names(stored)  # queues always: the service-level targets
        with pytest.raises(ConfigError, match="--dataset users"):
            stored.user_names().name("u1")
        codes = stored.snapshot("wrapup_codes")
    assert {c["id"] for c in codes} == {"w1", "ININ-WRAP-UP-TIMEOUT"}


def test_a_file_that_is_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        StoredExport(tmp_path / "missing.duckdb")
    with pytest.raises(ConfigError, match="is a directory"):
        StoredExport(tmp_path)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"\0not duckdb" * 500)
    with pytest.raises(ConfigError, match="is not a DuckDB file"):
        StoredExport(junk)
