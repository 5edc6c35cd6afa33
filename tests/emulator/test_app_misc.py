"""Aggregates, the queue listing with nextUri paging, and the truth endpoint."""

from __future__ import annotations

from datetime import timedelta

import httpx

from genesys_analytics.emulator import RunningEmulator
from tests.emulator.conftest import AGGREGATES, QUEUES, day, interval


def test_aggregates_group_by_media_type(api: httpx.Client) -> None:
    body = {
        "interval": interval(day(2), day(1)),
        "granularity": "PT6H",
        "groupBy": ["mediaType"],
        "metrics": ["nOffered", "tHandle"],
    }
    r = api.post(AGGREGATES, json=body)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    media = {row["group"]["mediaType"] for row in results}
    assert {"voice", "chat", "email"} <= media
    for row in results:
        assert 1 <= len(row["data"]) <= 4
        for bucket in row["data"]:
            for metric in bucket["metrics"]:
                if metric["metric"] == "tHandle":
                    assert {"max", "min", "count", "sum"} <= set(metric["stats"])


def test_aggregates_errors(api: httpx.Client) -> None:
    base = {"interval": interval(day(2), day(1)), "metrics": ["nOffered"]}
    bad_filter = {"type": "and", "predicates": [{"dimension": "bogus", "value": "x"}]}
    assert api.post(AGGREGATES, json={**base, "filter": bad_filter}).status_code == 400
    too_long = {**base, "interval": interval(day(40), day(0))}
    assert api.post(AGGREGATES, json=too_long).status_code == 400
    many_buckets = {**base, "granularity": "PT1M"}  # 1440 buckets > 1000
    assert api.post(AGGREGATES, json=many_buckets).status_code == 400


def test_aggregates_results_absent_when_empty(api: httpx.Client) -> None:
    future = {"interval": interval(day(-2), day(-3)), "metrics": ["nOffered"]}
    r = api.post(AGGREGATES, json=future)
    assert r.status_code == 200
    assert "results" not in r.json()


def test_queue_listing_pages_with_next_uri(api: httpx.Client) -> None:
    first = api.get(QUEUES, params={"pageSize": 3}).json()
    assert first["pageNumber"] == 1 and first["pageSize"] == 3
    assert first["pageCount"] == -(-first["total"] // 3)
    assert "previousUri" not in first
    assert first["selfUri"] == f"{QUEUES}?pageSize=3&pageNumber=1"
    assert first["nextUri"] == f"{QUEUES}?pageSize=3&pageNumber=2"
    names: list[str] = []
    page = first
    while True:
        names.extend(q["name"] for q in page["entities"])
        if "nextUri" not in page:
            break
        page = api.get(page["nextUri"]).json()
        assert "previousUri" in page
    assert len(names) == first["total"] == len(set(names))
    assert names == sorted(names, key=str.lower)
    assert page["selfUri"] == page["lastUri"]


def test_queue_listing_name_and_sort(api: httpx.Client) -> None:
    desc = api.get(QUEUES, params={"sortOrder": "desc", "pageSize": 100}).json()["entities"]
    assert [q["name"] for q in desc] == sorted(
        (q["name"] for q in desc), key=str.lower, reverse=True
    )
    sales = api.get(QUEUES, params={"name": "Sales"}).json()
    assert [q["name"] for q in sales["entities"]] == ["Sales"]
    assert "name=Sales" in sales["selfUri"]
    assert api.get(QUEUES, params={"pageSize": 501}).status_code == 400


def test_truth_endpoint(emu: RunningEmulator) -> None:
    a, b = day(2), day(2) + timedelta(hours=6)
    t = emu.truth(a, b)
    assert t["total"] == len(t["ids"]) > 0
    assert t["ids"] == sorted(t["ids"])
    assert sum(t["counts"].values()) >= t["total"]
    r = httpx.get(f"{emu.base_url}/_emulator/truth", params={"start": "nope", "end": "x"})
    assert r.status_code == 400
