"""The distinct keys of a chunk: counted once, held only for days not yet passed."""

from __future__ import annotations

from datetime import datetime, timezone

from genesys_analytics.extraction.datasets import CONVERSATIONS
from genesys_analytics.extraction.keys import DistinctKeys

UTC = timezone.utc


def rec(cid: object, start: str) -> dict[str, object]:
    return {"conversationId": cid, "conversationStart": start}


def test_a_key_is_new_once_whatever_page_it_comes_on() -> None:
    keys = DistinctKeys(CONVERSATIONS)
    assert keys.add([rec("a", "2024-05-01T10:00:00.000Z"), rec("b", "2024-05-02T10:00:00Z")]) == 2
    assert keys.add([rec("a", "2024-05-01T10:00:00.000Z"), rec(7, "2024-05-01T11:00:00Z")]) == 0
    assert len(keys) == keys.held == 2


def test_days_passed_are_counted_and_forgotten() -> None:
    keys = DistinctKeys(CONVERSATIONS)
    # 23:30 at UTC-2 is the next UTC day: keys fall on the UTC day of their timestamp
    keys.add([rec("a", "2024-05-01T10:00:00Z"), rec("b", "2024-05-01T23:30:00-02:00")])
    keys.add([rec("c", "2024-05-02T12:00:00Z")])
    keys.passed(datetime(2024, 5, 2, tzinfo=UTC))
    assert (len(keys), keys.held) == (3, 2)  # "a" forgotten; "b" and "c" are of May 2
    assert keys.add([rec("c", "2024-05-02T12:00:00Z"), rec("d", "2024-05-03T00:00:00Z")]) == 1
    keys.passed(datetime(2024, 5, 4, tzinfo=UTC))
    assert (len(keys), keys.held) == (4, 0)
