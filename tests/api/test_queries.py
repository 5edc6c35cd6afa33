from __future__ import annotations

import pytest

from genesys_analytics.api.paging import total_hits, with_paging
from genesys_analytics.api.queries import (
    Filters,
    aggregates_query,
    details_query,
    job_query,
)
from genesys_analytics.timeutil import Interval

DAY = Interval.of("2024-05-01", "2024-05-02")
ISO = "2024-05-01T00:00:00.000Z/2024-05-02T00:00:00.000Z"


def test_plain_details_query_orders_ascending_by_start() -> None:
    assert details_query(DAY) == {
        "interval": ISO,
        "order": "asc",
        "orderBy": "conversationStart",
        "paging": {"pageSize": 100, "pageNumber": 1},
    }


def test_segment_filters_one_per_keyword_values_or_ed() -> None:
    body = details_query(DAY, media_type=["voice", "callback"], queue_id="q-1", page_size=50)
    assert body["paging"] == {"pageSize": 50, "pageNumber": 1}
    assert body["segmentFilters"] == [
        {
            "type": "or",
            "predicates": [
                {
                    "type": "dimension",
                    "dimension": "mediaType",
                    "operator": "matches",
                    "value": "voice",
                },
                {
                    "type": "dimension",
                    "dimension": "mediaType",
                    "operator": "matches",
                    "value": "callback",
                },
            ],
        },
        {
            "type": "or",
            "predicates": [
                {"type": "dimension", "dimension": "queueId", "operator": "matches", "value": "q-1"}
            ],
        },
    ]
    assert "conversationFilters" not in body


def test_direction_and_user_are_segment_dimensions() -> None:
    body = details_query(DAY, direction="inbound", user_id="u-1")
    dims = [f["predicates"][0]["dimension"] for f in body["segmentFilters"]]
    assert dims == ["direction", "userId"]


@pytest.mark.parametrize(("ongoing", "operator"), [(True, "notExists"), (False, "exists")])
def test_ongoing_filter(ongoing: bool, operator: str) -> None:
    body = details_query(DAY, ongoing=ongoing, originating_direction="outbound")
    assert body["conversationFilters"] == [
        {
            "type": "or",
            "predicates": [
                {
                    "type": "dimension",
                    "dimension": "originatingDirection",
                    "operator": "matches",
                    "value": "outbound",
                }
            ],
        },
        {
            "type": "and",
            "predicates": [
                {"type": "dimension", "dimension": "conversationEnd", "operator": operator}
            ],
        },
    ]


def test_unknown_filter_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        details_query(DAY, colour="red")


def test_job_query_has_no_paging_and_start_of_day() -> None:
    body = job_query(DAY, media_type="email")
    assert "paging" not in body
    assert body["startOfDayIntervalMatching"] is True
    assert body["interval"] == ISO and body["order"] == "asc"
    assert body["segmentFilters"][0]["predicates"][0]["value"] == "email"
    assert job_query(DAY, start_of_day=False, limit=10)["limit"] == 10


def test_aggregates_query() -> None:
    body = aggregates_query(
        DAY,
        granularity="PT1H",
        group_by=["mediaType", "queueId"],
        metrics=["nConnected"],
        filters=Filters(media_type="voice"),
        time_zone="Europe/Paris",
    )
    assert body == {
        "interval": ISO,
        "groupBy": ["mediaType", "queueId"],
        "metrics": ["nConnected"],
        "granularity": "PT1H",
        "timeZone": "Europe/Paris",
        "filter": {
            "type": "and",
            "clauses": [
                {
                    "type": "or",
                    "predicates": [
                        {
                            "type": "dimension",
                            "dimension": "mediaType",
                            "operator": "matches",
                            "value": "voice",
                        }
                    ],
                }
            ],
        },
    }
    assert "filter" not in aggregates_query(DAY)


def test_helpers() -> None:
    body = details_query(DAY)
    assert with_paging(body, page_size=1, page_number=1)["paging"] == {
        "pageSize": 1,
        "pageNumber": 1,
    }
    assert body["paging"]["pageSize"] == 100
    assert total_hits({"totalHits": 42}) == 42
    assert total_hits({}) is None and total_hits(None) is None
    assert total_hits({"totalHits": True}) is None
