"""Details query: day-touch matching, paging to the end, limits, filters, order; by id."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from genesys_analytics.emulator import RunningEmulator, run_emulator
from tests.emulator.conftest import QUERY, all_pages, api_client, day, interval, small_settings


def _error(r: httpx.Response, status: int = 400) -> str:
    assert r.status_code == status, r.text
    message: str = r.json()["message"]
    return message


def test_paging_to_the_end_returns_the_truth_superset(
    emu: RunningEmulator, api: httpx.Client
) -> None:
    a, b = day(3) + timedelta(hours=9), day(3) + timedelta(hours=11)
    convs = all_pages(api, {"interval": interval(a, b)})
    ids = [c["conversationId"] for c in convs]
    assert len(ids) == len(set(ids))
    trimmed = sorted(c["conversationId"] for c in convs if a <= _start(c) < b)
    assert trimmed == emu.truth(a, b)["ids"]
    assert len(trimmed) > 10
    # started on the touched day, lifetime overlapping [a, b): some start before a
    assert all(_start(c).date() == a.date() for c in convs)
    assert any(_start(c) < a for c in convs)
    starts = [c["conversationStart"] for c in convs]
    assert starts == sorted(starts)


def _start(conv: dict):  # type: ignore[no-untyped-def]
    from genesys_analytics.timeutil import parse_instant

    return parse_instant(conv["conversationStart"])


def test_past_last_page_has_total_hits_only(api: httpx.Client) -> None:
    body = {"interval": interval(day(2), day(1)), "paging": {"pageSize": 100, "pageNumber": 1}}
    first = api.post(QUERY, json=body).json()
    total = first["totalHits"]
    assert len(first["conversations"]) == 100
    beyond = total // 100 + 2
    r = api.post(QUERY, json={**body, "paging": {"pageSize": 100, "pageNumber": beyond}})
    assert r.json() == {"totalHits": total}


def test_query_shape_has_no_attributes(api: httpx.Client) -> None:
    body = {"interval": interval(day(2), day(1)), "paging": {"pageSize": 50}}
    convs = api.post(QUERY, json=body).json()["conversations"]
    assert len(convs) == 50
    assert all("attributes" not in p for c in convs for p in c["participants"])


def test_default_page_size_is_25(api: httpx.Client) -> None:
    r = api.post(QUERY, json={"interval": interval(day(2), day(1))})
    assert len(r.json()["conversations"]) == 25


def test_interval_limits_7_days_unfiltered_31_filtered(api: httpx.Client) -> None:
    eight = interval(day(8), day(0))
    message = _error(api.post(QUERY, json={"interval": eight}))
    assert "7 days" in message
    seven = interval(day(7), day(0))
    assert api.post(QUERY, json={"interval": seven}).status_code == 200
    flt = [{"type": "and", "predicates": [{"dimension": "mediaType", "value": "voice"}]}]
    assert api.post(QUERY, json={"interval": eight, "segmentFilters": flt}).status_code == 200
    long = interval(day(32), day(0))
    assert "31 days" in _error(api.post(QUERY, json={"interval": long, "segmentFilters": flt}))


@pytest.mark.parametrize(
    "bad",
    [None, "", "2024-05-01", "2024-05-02T00:00:00Z/2024-05-01T00:00:00Z", "x/y", 5],
)
def test_bad_intervals_are_400(api: httpx.Client, bad: object) -> None:
    body = {} if bad is None else {"interval": bad}
    r = api.post(QUERY, json=body)
    assert r.status_code == 400
    assert r.json()["code"] in ("bad.request", "invalid.date")


def test_page_size_over_max_names_the_max(api: httpx.Client) -> None:
    body = {"interval": interval(day(2), day(1)), "paging": {"pageSize": 101}}
    assert "100" in _error(api.post(QUERY, json=body))
    body["paging"] = {"pageSize": 10, "pageNumber": 0}
    assert _error(api.post(QUERY, json=body))


def test_deep_paging_cap_message() -> None:
    settings = small_settings(days=2, per_day=50, deep_paging_cap=500)
    with run_emulator(settings) as emu, api_client(emu) as api:
        body = {"interval": interval(day(1), day(0))}
        ok = api.post(QUERY, json={**body, "paging": {"pageSize": 100, "pageNumber": 5}})
        assert ok.status_code == 200
        r = api.post(QUERY, json={**body, "paging": {"pageSize": 100, "pageNumber": 6}})
        assert _error(r).startswith("Pagination may not exceed 500 results.")
    with run_emulator(small_settings(days=1, per_day=5)) as emu, api_client(emu) as api:
        body = {"interval": interval(day(1), day(0))}
        r = api.post(QUERY, json={**body, "paging": {"pageSize": 100, "pageNumber": 1001}})
        message = _error(r)
        assert message.startswith("Pagination may not exceed 100000 results.")
        assert "smaller intervals" in message


def _segment_filter(dimension: str, value: str) -> list[dict]:
    return [{"type": "and", "predicates": [{"dimension": dimension, "value": value}]}]


def test_segment_filter_media_type(api: httpx.Client) -> None:
    body = {
        "interval": interval(day(2), day(1)),
        "segmentFilters": _segment_filter("mediaType", "chat"),
    }
    convs = all_pages(api, body)
    assert convs
    for conv in convs:
        media = {s["mediaType"] for p in conv["participants"] for s in p["sessions"]}
        assert "chat" in media
    everything = api.post(QUERY, json={"interval": interval(day(2), day(1))}).json()
    assert len(convs) < everything["totalHits"]


def test_conversation_filter_and_unknown_dimension(api: httpx.Client) -> None:
    flt = [
        {"type": "and", "predicates": [{"dimension": "originatingDirection", "value": "outbound"}]}
    ]
    body = {"interval": interval(day(2), day(1)), "conversationFilters": flt}
    convs = all_pages(api, body)
    assert convs and all(c["originatingDirection"] == "outbound" for c in convs)
    body["segmentFilters"] = _segment_filter("noSuchDimension", "x")
    assert api.post(QUERY, json=body).status_code == 400


def test_order_desc_and_order_by_end(api: httpx.Client) -> None:
    base = {"interval": interval(day(2), day(1)), "paging": {"pageSize": 100}}
    asc = api.post(QUERY, json=base).json()["conversations"]
    desc = api.post(QUERY, json={**base, "order": "desc"}).json()["conversations"]
    assert [c["conversationStart"] for c in desc] == sorted(
        (c["conversationStart"] for c in desc), reverse=True
    )
    assert asc[0]["conversationId"] != desc[0]["conversationId"]
    by_end = api.post(QUERY, json={**base, "orderBy": "conversationEnd"}).json()["conversations"]
    ends = [c["conversationEnd"] for c in by_end]
    assert ends == sorted(ends)
    r = api.post(QUERY, json={**base, "orderBy": "wrapUp"})
    assert (r.status_code, r.json()["code"]) == (400, "invalid.value")
    r = api.post(QUERY, json={**base, "order": "sideways"})
    assert r.json()["code"] == "invalid.value"


def test_ongoing_conversations_near_now_have_no_end(api: httpx.Client) -> None:
    convs = all_pages(api, {"interval": interval(day(0), day(0) + timedelta(hours=12))})
    assert convs
    assert any("conversationEnd" not in c for c in convs)


def test_conversation_by_id_and_multi_get(api: httpx.Client) -> None:
    body = {"interval": interval(day(2), day(1)), "paging": {"pageSize": 3}}
    convs = api.post(QUERY, json=body).json()["conversations"]
    one = api.get(f"/api/v2/analytics/conversations/{convs[0]['conversationId']}/details")
    assert one.status_code == 200
    assert one.json() == convs[0]
    ids = ",".join(c["conversationId"] for c in convs)
    many = api.get("/api/v2/analytics/conversations/details", params={"id": ids}).json()
    assert [c["conversationId"] for c in many["conversations"]] == ids.split(",")
    missing = api.get(
        "/api/v2/analytics/conversations/00000000-0000-4000-8000-000000000000/details"
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "not.found")


def test_body_must_be_a_json_object(api: httpx.Client) -> None:
    assert api.post(QUERY, content=b"[1,2]").status_code == 400
    assert (
        api.post(QUERY, json={"interval": interval(day(2), day(1)), "paging": 3}).status_code == 400
    )
