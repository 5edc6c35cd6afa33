"""User details and dimension snapshots through the one engine, into a real DuckDB file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from genesys_analytics.api.paging import Page, PageNumberInBody, Pager, PageRequest
from genesys_analytics.api.queries import USER_DETAILS, DetailsApi, Filters
from genesys_analytics.errors import ConfigError, ServerError
from genesys_analytics.extraction import DATASET_NAMES
from genesys_analytics.extraction.datasets import DATASETS, resolve, statuses
from genesys_analytics.extraction.engine import Exporter, ExportRequest
from genesys_analytics.sinks.store import DuckDBStore
from genesys_analytics.timeutil import Interval

UTC = timezone.utc
DAY = datetime(2024, 5, 1, tzinfo=UTC)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class ListsAndUsers:
    """A fake client: dimension lists, and user details pages over a fixed roster."""

    def __init__(self, items: list[dict[str, Any]] | None = None) -> None:
        self.items = items or []
        self.failures = {"queues": 1}  # the first read of queues fails half-way

    # -- lists
    def users(self, *, state: str = "any", page_size: int = 100) -> Iterator[dict[str, Any]]:
        assert state == "any"
        return iter(
            [{"id": "u1", "name": "Ann", "state": "active"}, {"id": "u2", "state": "deleted"}]
        )

    def queues(self, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        yield {"id": "q1", "name": "Sales"}
        if self.failures["queues"]:
            self.failures["queues"] -= 1
            raise ServerError("dropped", status=503)
        yield {"id": "q2", "name": "Billing"}

    def queue_members(self, queue_id: str, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        return iter([{"id": "u1", "name": "Ann", "joined": True}])

    def wrapup_codes(self, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        return iter([{"id": "w1", "name": "Sold"}])

    def divisions(self, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        return iter([{"id": "d1", "name": "Home", "homeDivision": True}])

    def presence_definitions(self) -> list[dict[str, Any]]:
        return [{"id": "p1", "systemPresence": "OnQueue"}]

    # -- the engine's needs
    def job_availability(self, api: DetailsApi = USER_DETAILS) -> datetime:
        return DAY - timedelta(days=30)

    def interrupt(self) -> None:
        pass

    def resume(self) -> None:
        pass

    def details_pages(
        self,
        body: dict[str, Any],
        *,
        api: DetailsApi,
        start_page: int = 1,
        page_size: int = 100,
        prefetch: int = 1,
    ) -> Iterator[Page]:
        assert api is USER_DETAILS and "paging" not in body

        def send(request: PageRequest) -> dict[str, Any]:
            number = int(request.state)
            chunk = self.items[(number - 1) * page_size : number * page_size]
            return {"totalHits": len(self.items), "userDetails": chunk} if chunk else {}

        paginator = PageNumberInBody(api.query, body, page_size=page_size, items_key=api.items_key)
        return iter(Pager(send, paginator))

    def job_pages(self, body: dict[str, Any], **kw: Any) -> Iterator[Page]:
        raise AssertionError("queries only")


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return sorted(con.execute(sql).fetchall(), key=repr)


def test_every_list_is_a_snapshot_read_whole_and_a_failed_read_is_retried(tmp_path: Path) -> None:
    lists = resolve("users,queues,queue-members,wrapup-codes,divisions,presence-definitions")
    db = tmp_path / "dims.duckdb"
    store = DuckDBStore(db, storages=[d.storage for d in lists])
    request = ExportRequest(Interval(DAY, DAY + timedelta(days=1)), datasets=lists, method="query")
    stats = Exporter(ListsAndUsers(), request).run(store)
    store.commit()
    store.close()
    assert stats.chunks_retried == 1 and stats.methods == {"snapshot": 6}
    assert rows(db, "select queue_id from queues") == [("q1",), ("q2",)]  # no half read left
    assert rows(db, "select user_id, state from users") == [("u1", "active"), ("u2", "deleted")]
    assert rows(db, "select queue_id, user_id from queue_members") == [("q1", "u1"), ("q2", "u1")]
    assert rows(db, "select wrapup_code_id, system from wrapup_codes") == [
        ("ININ-WRAP-UP-TIMEOUT", True),
        ("w1", False),
    ]
    assert rows(db, "select system_presence from presence_definitions") == [("ON_QUEUE",)]


def status(kind: str, start: datetime, minutes: int | None, **fields: str) -> dict[str, Any]:
    record: dict[str, Any] = {"startTime": iso(start), **fields}
    if minutes is not None:
        record["endTime"] = iso(start + timedelta(minutes=minutes))
    return record


def test_user_details_are_exploded_trimmed_by_start_and_kept_unclipped(tmp_path: Path) -> None:
    before = DAY - timedelta(minutes=10)  # started the day before: not in this export
    items = [
        {
            "userId": "u1",
            "primaryPresence": [
                status("p", before, 30, systemPresence="ON_QUEUE"),
                status("p", DAY + timedelta(minutes=20), 60, systemPresence="BREAK"),
            ],
            "routingStatus": [status("r", DAY + timedelta(hours=23), None, routingStatus="IDLE")],
        },
        {
            "userId": "u2",
            "routingStatus": [
                status("r", DAY + timedelta(hours=1), 5, routingStatus="INTERACTING")
            ],
        },
    ]
    db = tmp_path / "users.duckdb"
    dataset = DATASETS["user-details"]
    store = DuckDBStore(db, storages=[dataset.storage])
    request = ExportRequest(
        Interval(DAY, DAY + timedelta(days=1)), datasets=(dataset,), method="query", page_size=1
    )
    stats = Exporter(ListsAndUsers(items), request).run(store)
    store.commit()
    store.close()
    assert stats.records == {"user-details": 3}
    assert rows(db, "select user_id, system_presence, duration_ms from user_presence") == [
        ("u1", "BREAK", 3_600_000)
    ]
    assert rows(db, "select user_id, routing_status, open from user_routing_status") == [
        ("u1", "IDLE", True),
        ("u2", "INTERACTING", False),
    ]


def test_statuses_key_each_record_by_user_kind_and_start() -> None:
    records = list(
        statuses([{"userId": "u", "primaryPresence": [{"startTime": "t"}], "routingStatus": [{}]}])
    )
    assert records == [
        {"recordKey": "u|presence|t", "userId": "u", "kind": "presence", "startTime": "t"}
    ]


def test_user_details_refuse_conversation_filters() -> None:
    body = DATASETS["user-details"].details.query_body
    with pytest.raises(ConfigError, match="by user only"):
        body(Interval(DAY, DAY + timedelta(days=1)), Filters(media_type="voice"))
    filtered = body(Interval(DAY, DAY + timedelta(days=1)), Filters(user_id=["u1", "u2"]))
    assert filtered["userFilters"][0]["predicates"][1]["value"] == "u2"


def test_all_names_every_dataset_once() -> None:
    assert [d.name for d in resolve("all")] == list(DATASETS)
    assert [d.name for d in resolve(["users,conversations", "users"])] == ["conversations", "users"]
    with pytest.raises(ConfigError, match="unknown dataset"):
        resolve("agents")


def test_the_names_help_lists_are_the_datasets_in_order() -> None:
    assert tuple(DATASETS) == DATASET_NAMES
