from __future__ import annotations

import weakref
from collections import deque
from typing import Any

import pytest

from genesys_analytics.api.paging import (
    Cursor,
    NextUri,
    PageNumberInBody,
    Pager,
    PageRequest,
)
from genesys_analytics.errors import PaginationError

QUERY = {"interval": "2024-05-01T00:00:00.000Z/2024-05-02T00:00:00.000Z"}


def convs(*ids: str) -> list[dict[str, Any]]:
    return [{"conversationId": i} for i in ids]


class Script:
    """A fake ``send`` that answers from a list and records the requests."""

    def __init__(self, *bodies: dict[str, Any]) -> None:
        self.bodies = list(bodies)
        self.requests: list[PageRequest] = []

    def __call__(self, request: PageRequest) -> dict[str, Any]:
        self.requests.append(request)
        return self.bodies.pop(0)


# -- page number in the body -----------------------------------------------------------------


def test_page_number_stops_when_conversations_absent() -> None:
    send = Script(
        {"totalHits": 3, "conversations": convs("a", "b")},
        {"totalHits": 3, "conversations": convs("c")},
        {"totalHits": 3},
    )
    pages = list(Pager(send, PageNumberInBody("/q", QUERY, page_size=2)))
    assert [p.number for p in pages] == [1, 2, 3]
    assert [c["conversationId"] for p in pages for c in p.items] == ["a", "b", "c"]
    assert [r.json["paging"] for r in send.requests] == [  # type: ignore[index]
        {"pageSize": 2, "pageNumber": 1},
        {"pageSize": 2, "pageNumber": 2},
        {"pageSize": 2, "pageNumber": 3},
    ]
    assert send.requests[0].method == "POST"
    assert send.requests[0].json["interval"] == QUERY["interval"]  # type: ignore[index]
    assert "paging" not in QUERY  # the caller's body is not mutated


def test_page_number_stops_on_empty_list_not_on_total_hits() -> None:
    send = Script(
        {"totalHits": 1, "conversations": convs("a")},  # totalHits drifts: keep going
        {"totalHits": 1, "conversations": convs("b")},
        {"totalHits": 2, "conversations": []},
    )
    pager = Pager(send, PageNumberInBody("/q", QUERY, page_size=1))
    assert sum(len(p.items) for p in pager) == 2
    assert pager.pages == 3 and pager.items == 2 and pager.done
    assert pager.resume is None


def test_page_number_refuses_to_pass_the_cap_before_sending() -> None:
    send = Script({"conversations": convs("a", "b")}, {"conversations": convs("c", "d")})
    paginator = PageNumberInBody("/q", QUERY, page_size=2, cap=4)
    it = iter(Pager(send, paginator))
    next(it)
    next(it)
    with pytest.raises(PaginationError, match="cap"):
        next(it)
    assert len(send.requests) == 2


def test_page_number_short_page_at_the_cap_ends_cleanly() -> None:
    send = Script({"conversations": convs("a", "b")}, {"conversations": convs("c")})
    pages = list(Pager(send, PageNumberInBody("/q", QUERY, page_size=2, cap=4)))
    assert len(pages) == 2


def test_start_page_beyond_cap_is_refused() -> None:
    with pytest.raises(PaginationError, match="100,000"):
        list(Pager(Script(), PageNumberInBody("/q", QUERY, page_size=100, start_page=1001)))


def test_page_number_resume_state() -> None:
    send = Script({"conversations": convs("a")}, {"conversations": convs("b")}, {})
    pager = Pager(send, PageNumberInBody("/q", QUERY, page_size=1, start_page=5))
    it = iter(pager)
    first = next(it)
    assert first.number == 5
    assert pager.resume == 6  # stop here, continue later with start_page=6
    list(it)
    assert pager.resume is None


def test_bound_on_pages() -> None:
    bodies = [{"conversations": convs(str(i))} for i in range(10)]
    with pytest.raises(PaginationError, match="more than 3 pages"):
        list(Pager(Script(*bodies), PageNumberInBody("/q", QUERY, page_size=1), max_pages=3))


def test_same_page_twice_in_a_row_is_an_error() -> None:
    send = Script({"conversations": convs("a", "b")}, {"conversations": convs("a", "b")})
    with pytest.raises(PaginationError, match="same page twice"):
        list(Pager(send, PageNumberInBody("/q", QUERY, page_size=2)))


# -- cursor ----------------------------------------------------------------------------------


def test_cursor_stops_when_cursor_absent() -> None:
    send = Script(
        {"conversations": convs("a"), "cursor": "c1"},
        {"conversations": convs("b"), "cursor": "c2"},
        {"conversations": convs("c")},
    )
    pages = list(Pager(send, Cursor("/results", page_size=1000)))
    assert [c["conversationId"] for p in pages for c in p.items] == ["a", "b", "c"]
    assert [r.params for r in send.requests] == [
        {"pageSize": 1000},
        {"pageSize": 1000, "cursor": "c1"},
        {"pageSize": 1000, "cursor": "c2"},
    ]
    assert [p.number for p in pages] == [1, 2, 3]


def test_cursor_continues_past_an_empty_page_with_a_cursor() -> None:
    send = Script({"conversations": [], "cursor": "c1"}, {"conversations": convs("a")})
    assert sum(len(p.items) for p in Pager(send, Cursor("/results"))) == 1


def test_repeated_cursor_is_an_error() -> None:
    send = Script(
        {"conversations": convs("a"), "cursor": "c1"}, {"conversations": convs("b"), "cursor": "c1"}
    )
    with pytest.raises(PaginationError, match="same cursor twice"):
        list(Pager(send, Cursor("/results")))


def test_cursor_cycle_is_an_error() -> None:
    send = Script(
        {"conversations": convs("a"), "cursor": "c1"},
        {"conversations": convs("b"), "cursor": "c2"},
        {"conversations": convs("c"), "cursor": "c1"},
    )
    with pytest.raises(PaginationError, match="same next page twice"):
        list(Pager(send, Cursor("/results")))


def test_cursor_resume() -> None:
    send = Script({"conversations": convs("a"), "cursor": "c1"}, {"conversations": convs("b")})
    pager = Pager(send, Cursor("/results"))
    it = iter(pager)
    next(it)
    assert pager.resume == "c1"
    rest = list(
        Pager(Script({"conversations": convs("b")}), Cursor("/results", cursor=pager.resume))
    )
    assert rest[0].items == convs("b")


# -- nextUri ---------------------------------------------------------------------------------


def test_next_uri_follows_until_absent() -> None:
    send = Script(
        {"entities": [{"id": "q1"}], "nextUri": "/api/v2/routing/queues?pageNumber=2"},
        {"entities": [{"id": "q2"}]},
    )
    pages = list(Pager(send, NextUri("/api/v2/routing/queues?pageNumber=1")))
    assert [e["id"] for p in pages for e in p.items] == ["q1", "q2"]
    assert send.requests[1].path == "/api/v2/routing/queues?pageNumber=2"


def test_next_uri_stops_after_three_empty_pages() -> None:
    send = Script(*[{"entities": [], "nextUri": f"/x?cursor={i}"} for i in range(10)])
    pages = list(Pager(send, NextUri("/x")))
    assert len(pages) == 3


def test_next_uri_empty_pages_counter_resets_on_data() -> None:
    send = Script(
        {"entities": [], "nextUri": "/x?p=2"},
        {"entities": [], "nextUri": "/x?p=3"},
        {"entities": [{"id": 1}], "nextUri": "/x?p=4"},
        {"entities": [], "nextUri": "/x?p=5"},
        {"entities": [], "nextUri": "/x?p=6"},
        {"entities": [], "nextUri": "/x?p=7"},
    )
    assert len(list(Pager(send, NextUri("/x")))) == 6


def test_next_uri_repeated_uri_is_an_error() -> None:
    send = Script({"entities": [{"id": 1}], "nextUri": "/x"})
    with pytest.raises(PaginationError):
        list(Pager(send, NextUri("/x")))


def test_next_uri_repeated_page_body_is_an_error() -> None:
    send = Script(
        {"entities": [{"id": 1}], "nextUri": "/x?p=2"},
        {"entities": [{"id": 1}], "nextUri": "/x?p=3"},
    )
    with pytest.raises(PaginationError, match="same page twice"):
        list(Pager(send, NextUri("/x")))


def test_prefetch_sends_predicted_pages_at_once_and_yields_them_in_order() -> None:
    import threading

    arrived = threading.Barrier(3, timeout=10)  # pages 2, 3 and 4 must be in flight together
    sent: list[int] = []
    lock = threading.Lock()

    def send(request: PageRequest) -> dict[str, Any]:
        number = int(request.state)
        with lock:
            sent.append(number)
        if 2 <= number <= 4:
            arrived.wait()
        ids = [f"p{number}-{i}" for i in range(2)] if number <= 4 else []
        return {"totalHits": 8, "conversations": convs(*ids)}

    pager = Pager(send, PageNumberInBody("/q", QUERY, page_size=2), prefetch=3)
    pages = list(pager)
    assert [p.number for p in pages] == [1, 2, 3, 4, 5]
    assert [c["conversationId"] for p in pages for c in p.items][:3] == ["p1-0", "p1-1", "p2-0"]
    assert sorted(sent) == [1, 2, 3, 4, 5] and pager.done


def test_prefetch_cancels_what_the_empty_page_made_unnecessary() -> None:
    sent: list[int] = []

    def send(request: PageRequest) -> dict[str, Any]:
        number = int(request.state)
        sent.append(number)
        return {"totalHits": 400, "conversations": convs(f"c{number}") if number < 3 else []}

    pager = Pager(send, PageNumberInBody("/q", QUERY, page_size=1), prefetch=2)
    assert [p.number for p in pager] == [1, 2, 3]
    assert max(sent) <= 5, "totalHits promised 400 pages; only the window was sent"


def test_a_cursor_that_keeps_returning_empty_pages_is_an_error() -> None:
    bodies = [{"conversations": [], "cursor": f"c{n}"} for n in range(30)]
    with pytest.raises(PaginationError, match="empty pages in a row"):
        list(Pager(Script(*bodies), Cursor("/results", max_empty=5)))


class Rec(dict[str, Any]):
    """A record a test can watch with a weak reference."""


def test_a_page_is_let_go_before_the_next_is_fetched() -> None:
    held: list[weakref.ref[Rec]] = []
    kept: list[int] = []  # requests sent while an earlier page was still alive

    def send(request: PageRequest) -> dict[str, Any]:
        if any(r() is not None for r in held):
            kept.append(len(held))
        rec = Rec(conversationId=str(len(held)))
        held.append(weakref.ref(rec))
        return {"conversations": [rec], **({"cursor": f"c{len(held)}"} if len(held) < 3 else {})}

    deque(Pager(send, Cursor("/results")), maxlen=0)  # each page dropped once yielded
    assert (len(held), kept) == (3, [])
