"""Days serialized once (data/encoded.py): the same bytes as the dicts, and never stale."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import httpx
import orjson
import pytest

from genesys_analytics.emulator import RunningEmulator
from genesys_analytics.emulator.data.encoded import DayIndex, IndexCache, encode, full_json
from genesys_analytics.emulator.data.encoded import query_json as cut_query
from genesys_analytics.emulator.data.org import Org, OrgSpec, query_shape
from genesys_analytics.emulator.routes.jobs import _stream_page, parse_job_query
from genesys_analytics.emulator.state import EmulatorState
from genesys_analytics.timeutil import fmt
from tests.emulator.conftest import NOW, QUERY, FakeClock, day, interval, small_settings


def _org(**spec: object) -> Org:
    return Org(OrgSpec(**{"seed": 5, "days": 3, "per_day": 400, "now": NOW, **spec}))


def test_one_blob_gives_the_job_and_the_query_shape_byte_for_byte() -> None:
    convs = [c for d in range(3) for c in _org(late_data=0.5).day(day(d).date())]
    odd = dict(convs[0])  # participants not last, attributes first: encoded whole, twice
    odd["participants"] = [
        {"attributes": {"a": "1"}, **p} for p in odd.pop("participants")
    ]  # fmt: skip
    odd["extra"] = True
    assert any(len(encode(c)[1]) for c in convs), "some conversations have attributes"
    for conv in [*convs, odd]:
        blob, cuts = encode(conv)
        assert full_json(blob, cuts) == orjson.dumps(conv)
        assert cut_query(blob, cuts) == orjson.dumps(query_shape(conv))


def test_index_bisects_by_start_and_key() -> None:
    convs = _org().day(day(1).date())
    index = DayIndex.build(list(reversed(convs)))
    keys = [(c["conversationStart"], c["conversationId"]) for c in convs]
    assert index.keys == sorted(keys)
    lo, hi = keys[10][0], keys[50][0]
    started = [k for k in keys if lo <= k[0] < hi]
    assert [index.keys[i] for i in index.started(lo, hi)] == started
    assert index.after(keys[20]) == keys.index(keys[20]) + 1


def test_cache_drops_the_least_recently_used_past_its_budget() -> None:
    days = [DayIndex.build(_org().day(day(d).date())) for d in (1, 2)]
    cache = IndexCache(budget=days[0].nbytes + days[1].nbytes - 1)
    cache.put("a", days[0])
    cache.put("b", days[1])
    assert cache.get("a") is None and cache.get("b") is days[1]
    assert cache.nbytes == days[1].nbytes


def test_drift_and_a_later_now_are_served_fresh() -> None:
    org = _org()
    today = NOW.date()
    index = org.index(today)
    ongoing = [key for key, end in zip(index.keys, index.ends, strict=True) if end is None]
    assert ongoing, "some conversations run at now"
    extra = org.make_conversation(NOW - timedelta(hours=3), random.Random(3))
    org.add(extra)
    assert extra["conversationId"] in {k[1] for k in org.index(today).keys}
    later = org.advanced(NOW + timedelta(days=4))  # past the longest lifetime
    position = later.index(today).keys.index(ongoing[0])
    assert later.index(today).ends[position] is not None
    assert b'"conversationEnd"' in later.index(today).query_json(position)


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_details_pages_are_the_dicts_encoded(
    emu: RunningEmulator, api: httpx.Client, order: str
) -> None:
    span = interval(day(2) + timedelta(hours=9), day(1) + timedelta(hours=2))
    org = emu.app_state.org
    convs = sorted(
        (
            c
            for d in (day(2), day(1))
            for c in org.day(d.date())
            if c["conversationStart"] < fmt(day(1) + timedelta(hours=2))
            and c.get("conversationEnd", "~") >= fmt(day(2) + timedelta(hours=9))
        ),
        key=lambda c: (c["conversationStart"], c["conversationId"]),
        reverse=order == "desc",
    )
    for number in (1, 2, len(convs) // 25 + 1, len(convs) // 25 + 2):
        body = {"interval": span, "order": order, "paging": {"pageSize": 25, "pageNumber": number}}
        r = api.post(QUERY, json=body)
        assert r.status_code == 200, r.text
        page = convs[(number - 1) * 25 : number * 25]
        want: dict = {"totalHits": len(convs)}
        if page:
            want["conversations"] = [query_shape(c) for c in page]
        assert r.content == orjson.dumps(want)


def test_job_pages_from_the_index_match_the_dict_scan() -> None:
    state = EmulatorState(small_settings(days=4, per_day=300), FakeClock())
    body = {"interval": interval(day(3) + timedelta(hours=5), day(0) + timedelta(hours=6))}
    fast = parse_job_query(body)
    slow = replace(fast, predicate=lambda conv: True)  # the dict path, every conversation
    after = ""
    offset = pages = 0
    while True:
        page, key, more = _stream_page(state, fast, offset, after, 70)
        dicts, dict_key, dict_more = _stream_page(state, slow, offset, after, 70)
        assert orjson.dumps(page) == orjson.dumps(dicts)
        assert (key, more) == (dict_key, dict_more)
        pages += 1
        if not more:
            break
        offset, after = offset + len(page), key
    assert pages > 3
