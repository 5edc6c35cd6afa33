"""Agent activity reports: clipping, buckets, occupancy, and the aggregates decoding."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from genesys_analytics.errors import ConfigError
from genesys_analytics.reports.agents import (
    Status,
    agents_from_aggregates,
    agents_from_details,
    compare_agents,
    parse_by,
)
from genesys_analytics.reports.queue_names import QueueNames
from genesys_analytics.reports.render import render
from genesys_analytics.timeutil import Interval, fmt

UTC = timezone.utc
DAY = datetime(2024, 5, 1, tzinfo=UTC)
IV = Interval(DAY, DAY + timedelta(days=2))
H = timedelta(hours=1)


def st(user: str, kind: str, status: str, start: datetime, hours: float | None) -> Status:
    return Status(user, kind, status, start, None if hours is None else start + hours * H)


STATUSES = [
    st("u1", "routing", "IDLE", DAY - H, 2),  # one hour of it before the interval
    st("u1", "routing", "INTERACTING", DAY + H, 3),
    st("u1", "routing", "IDLE", DAY + 23 * H, 2),  # spans midnight
    st("u1", "presence", "ON_QUEUE", DAY - H, 30),
    st("u2", "routing", "OFF_QUEUE", DAY + 47 * H, None),  # open: counts up to the end
]


def test_records_are_clipped_to_the_interval_and_the_buckets() -> None:
    report = agents_from_details(STATUSES, IV, ("user", "day"), now=DAY + 3 * 24 * H)
    rows = {r.key: r.values for r in report.rows}
    first = rows[("u1", "2024-05-01")]
    assert first["routingIdleMs"] == 2 * 3_600_000  # 00-01 and 23-24
    assert first["routingInteractingMs"] == 3 * 3_600_000
    assert first["occupancy"] == pytest.approx(3 / 5)
    assert first["presenceOnQueueMs"] == 24 * 3_600_000
    assert rows[("u1", "2024-05-02")]["routingIdleMs"] == 3_600_000
    assert rows[("u2", "2024-05-02")]["routingOffQueueMs"] == 3_600_000
    assert rows[("u2", "2024-05-02")]["occupancy"] is None  # nobody ready: no denominator
    assert report.totals["routingIdleMs"] == 3 * 3_600_000


def test_an_open_record_counts_up_to_now_when_now_is_inside() -> None:
    now = DAY + 47 * H + timedelta(minutes=30)
    report = agents_from_details(STATUSES[-1:], IV, ("user",), now=now)
    assert report.rows[0].values["routingOffQueueMs"] == 30 * 60_000


def test_hours_follow_the_time_zone() -> None:
    report = agents_from_details(STATUSES[1:2], IV, ("hour",), "America/New_York")
    hours = {r.key[0]: r.values["routingInteractingMs"] for r in report.rows}
    assert hours == {"21": 3_600_000, "22": 3_600_000, "23": 3_600_000}  # 01-04 UTC = 21-24 EDT


class UserAggregates:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def user_aggregates(self, body: dict[str, Any]) -> dict[str, Any]:
        self.bodies.append(body)
        bucket = {
            "interval": body["interval"],
            "metrics": [
                {"metric": "tAgentRoutingStatus", "qualifier": "IDLE", "stats": {"sum": 7_200_000}},
                {
                    "metric": "tAgentRoutingStatus",
                    "qualifier": "INTERACTING",
                    "stats": {"sum": 3_600_000},
                },
                {
                    "metric": "tSystemPresence",
                    "qualifier": "ON_QUEUE",
                    "stats": {"sum": 10_800_000},
                },
            ],
        }
        return {"results": [{"group": {"userId": "u1"}, "data": [bucket]}]}


def test_aggregates_are_read_by_qualifier_and_grouped_by_user() -> None:
    client = UserAggregates()
    report = agents_from_aggregates(client, IV, ("user",))
    assert client.bodies[0]["groupBy"] == ["userId"] and "granularity" not in client.bodies[0]
    values = report.rows[0].values
    assert report.rows[0].key == ("u1",)
    assert values["routingIdleMs"] == 7_200_000 and values["presenceOnQueueMs"] == 10_800_000
    assert values["occupancy"] == pytest.approx(1 / 3)
    both = compare_agents(agents_from_details([], IV, ("user",)), report)
    assert both.rows[0].values["differenceMs"] == 10_800_000 and both.notes


def test_json_rows_carry_the_user_name_and_id() -> None:
    report = agents_from_details(STATUSES, IV, ("user",), now=DAY + 72 * H)
    text = render(report, "json", users=QueueNames.fixed({"u1": "Ann"}))
    data = orjson.loads(text)
    assert data["rows"][0]["user"] == "Ann" and data["rows"][0]["userId"] == "u1"
    assert data["start"] == fmt(IV.start) and "occupancy" in data["totals"]


def test_unknown_dimensions_are_refused() -> None:
    with pytest.raises(ConfigError, match="queue"):
        parse_by("user,queue")
