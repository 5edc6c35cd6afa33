"""I/O-free paginators and the one loop that drives them.

A paginator answers "given this page, what is the next request?" (``None`` = done), and
may predict the requests after the first page (``ahead``: the pages 2..N a details
query's ``totalHits`` promises). ``Pager`` is the one paging loop of the project: it
sends, counts pages and items, refuses a query over the result cap, guards against a
repeated request, a repeated page and endless paging, exposes ``resume`` (the page
number, cursor or URI of the next request), and, with ``prefetch > 1``, keeps that many
predicted pages in flight at once while still yielding them in order. The client, the
export and the ``sdk`` helpers all page through it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from genesys_analytics.api.records import JsonRecord
from genesys_analytics.errors import PaginationError

#: The details queries' deep-paging cap: ``pageNumber * pageSize`` may not pass it.
RESULT_CAP = 100_000
#: Pages one loop reads at most before it decides the service is paging forever.
MAX_PAGES = 10_000
#: Empty result pages in a row that still carry a cursor, before a job's paging is an error.
MAX_EMPTY_PAGES = 20


class ResultCapExceeded(PaginationError):
    """A query matches more results than the deep-paging cap lets it page: split it."""

    def __init__(self, message: str, *, total: int | None = None) -> None:
        super().__init__(message)
        self.total = total


@dataclass(frozen=True)
class PageRequest:
    method: str
    path: str
    params: dict[str, Any] | None = None
    json: dict[str, Any] | None = None
    state: Any = None  # page number, cursor or URI this request asks for

    def key(self) -> bytes:
        return orjson.dumps(
            [self.method, self.path, self.params, self.json],
            option=orjson.OPT_SORT_KEYS,
            default=_plain,
        )


@dataclass(frozen=True)
class Page:
    """One page: its number, its items, the ``totalHits`` it reported (if any), its body."""

    number: int  # the page number for page-number paging, else the 1-based sequence number
    items: list[Any]
    total_hits: int | None = None
    body: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def conversations(self) -> list[Any]:
        """The items of a conversation details page (the same list as ``items``)."""
        return self.items


class Paginator(Protocol):
    @property
    def items_key(self) -> str: ...

    def first(self) -> PageRequest: ...

    def next(self, request: PageRequest, body: dict[str, Any]) -> PageRequest | None: ...

    def ahead(self, request: PageRequest, body: dict[str, Any]) -> Sequence[PageRequest]:
        """The requests the first page promises after ``next`` (may be empty)."""
        ...

    def total(self, body: dict[str, Any]) -> int | None: ...


def items_of(body: Any, key: str) -> list[Any]:
    items = body.get(key) if isinstance(body, dict) else None
    return items if isinstance(items, list) else []


def total_hits(body: Any) -> int | None:
    value = body.get("totalHits") if isinstance(body, dict) else None
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def with_paging(body: dict[str, Any], *, page_size: int, page_number: int) -> dict[str, Any]:
    """``body`` with ``paging`` set; the caller's dict is not mutated."""
    return {**body, "paging": {"pageSize": page_size, "pageNumber": page_number}}


@dataclass(frozen=True)
class PageNumberInBody:
    """Details queries: ``paging.pageNumber`` in the POST body; stop on absent/empty items.

    Never stops on ``totalHits`` (approximate, drifting): it only sizes the prefetch.
    The first page reporting more than ``cap`` results raises ``ResultCapExceeded``.
    """

    path: str
    body: dict[str, Any]
    page_size: int = 100
    start_page: int = 1
    cap: int = RESULT_CAP
    items_key: str = "conversations"

    def _request(self, number: int) -> PageRequest:
        if number * self.page_size > self.cap:
            raise ResultCapExceeded(
                f"page {number} at pageSize {self.page_size} would go past the service's "
                f"{self.cap:,}-result cap; split the interval into smaller ones so each "
                f"has fewer than {self.cap:,} results."
            )
        body = with_paging(self.body, page_size=self.page_size, page_number=number)
        return PageRequest("POST", self.path, json=body, state=number)

    def first(self) -> PageRequest:
        if self.page_size < 1 or self.start_page < 1:
            raise ValueError("page_size and start_page must be at least 1")
        return self._request(self.start_page)

    def next(self, request: PageRequest, body: dict[str, Any]) -> PageRequest | None:
        items = items_of(body, self.items_key)
        if not items:
            return None
        number = int(request.state) + 1
        if number * self.page_size > self.cap and len(items) < self.page_size:
            return None  # a short page just under the cap: nothing lies beyond it
        return self._request(number)

    def ahead(self, request: PageRequest, body: dict[str, Any]) -> Sequence[PageRequest]:
        hits = self.total(body) or 0
        last = min(math.ceil(hits / self.page_size), self.cap // self.page_size)
        return [self._request(n) for n in range(int(request.state) + 1, last + 1)]

    def total(self, body: dict[str, Any]) -> int | None:
        return total_hits(body)


@dataclass
class Cursor:
    """Job results: ``cursor`` query parameter; stop when the response has no cursor.

    More than ``max_empty`` empty pages in a row that still name a next cursor are an
    error (a service cycling through cursors without results).
    """

    path: str
    page_size: int | None = None
    cursor: str | None = None
    items_key: str = "conversations"
    max_empty: int = MAX_EMPTY_PAGES
    _empty: int = 0

    def _request(self, cursor: str | None) -> PageRequest:
        params: dict[str, Any] = {}
        if self.page_size is not None:
            params["pageSize"] = self.page_size
        if cursor is not None:
            params["cursor"] = cursor
        return PageRequest("GET", self.path, params=params or None, state=cursor)

    def first(self) -> PageRequest:
        return self._request(self.cursor)

    def next(self, request: PageRequest, body: dict[str, Any]) -> PageRequest | None:
        cursor = body.get("cursor")
        if not cursor:
            return None
        if cursor == request.state:
            raise PaginationError(f"the service returned the same cursor twice ({cursor[:40]}).")
        self._empty = 0 if items_of(body, self.items_key) else self._empty + 1
        if self._empty > self.max_empty:
            raise PaginationError(
                f"the service returned {self._empty} empty pages in a row, each with a next "
                "cursor; stopping."
            )
        return self._request(str(cursor))

    def ahead(self, request: PageRequest, body: dict[str, Any]) -> Sequence[PageRequest]:
        return ()

    def total(self, body: dict[str, Any]) -> int | None:
        return None


@dataclass
class NextUri:
    """List endpoints: follow ``nextUri``; stop when absent or after 3 empty pages in a row."""

    path: str
    items_key: str = "entities"
    max_empty: int = 3
    _empty: int = 0

    def first(self) -> PageRequest:
        return PageRequest("GET", self.path, state=self.path)

    def next(self, request: PageRequest, body: dict[str, Any]) -> PageRequest | None:
        self._empty = 0 if items_of(body, self.items_key) else self._empty + 1
        uri = body.get("nextUri")
        if not uri or self._empty >= self.max_empty:
            return None
        return PageRequest("GET", str(uri), state=str(uri))

    def ahead(self, request: PageRequest, body: dict[str, Any]) -> Sequence[PageRequest]:
        return ()

    def total(self, body: dict[str, Any]) -> int | None:
        return None


Send = Callable[[PageRequest], Any]


class Pager:
    """The one paging loop: iterate to get pages; ``resume`` tells where it would continue.

    ``prefetch=N`` (N > 1) sends up to N of the requests the first page predicts at once
    (from a pool of its own, so ``send`` must be thread-safe) and yields them in order;
    pages past the prediction are read one by one until the paginator says done.
    Closing the iterator early cancels what is still queued.
    """

    def __init__(
        self,
        send: Send,
        paginator: Paginator,
        *,
        prefetch: int = 1,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self._send = send
        self._paginator = paginator
        self._prefetch = max(1, prefetch)
        self._max_pages = max_pages
        self.pages = 0
        self.items = 0
        self.next_request: PageRequest | None = None
        self.done = False

    @property
    def resume(self) -> Any:
        """The page number / cursor / URI of the next request (``None`` when done)."""
        return None if self.next_request is None else self.next_request.state

    def __iter__(self) -> Iterator[Page]:
        paginator = self._paginator
        request: PageRequest | None = paginator.first()
        seen: set[bytes] = set()
        last_items: bytes | None = None
        window: deque[tuple[bytes, Future[Any]]] = deque()
        upcoming: Iterator[PageRequest] = iter(())
        pool: ThreadPoolExecutor | None = None
        try:
            while request is not None:
                self.next_request = request
                key = request.key()
                if key in seen:
                    raise PaginationError(
                        f"the service sent the same next page twice ({request.state})."
                    )
                seen.add(key)
                if self.pages >= self._max_pages:
                    raise PaginationError(
                        f"more than {self._max_pages:,} pages; stopping. Resume from "
                        f"{request.state} to continue."
                    )
                body = self._receive(request, key, window)
                items = items_of(body, paginator.items_key)
                total = paginator.total(body)
                if self.pages == 0 and total is not None and total > paginator_cap(paginator):
                    raise ResultCapExceeded(
                        f"the query matches about {total:,} results, more than the "
                        f"{paginator_cap(paginator):,} it can page; split it into smaller "
                        "intervals.",
                        total=total,
                    )
                if items:
                    digest = _fingerprint(items)
                    if digest == last_items:
                        raise PaginationError(
                            f"the service returned the same page twice in a row ({request.state})."
                        )
                    last_items = digest
                self.pages += 1
                self.items += len(items)
                number = request.state if isinstance(request.state, int) else self.pages
                error: PaginationError | None = None
                try:
                    following = paginator.next(request, body)
                except PaginationError as exc:  # raised after the caller has this page
                    following, error = None, exc
                if self.pages == 1 and self._prefetch > 1 and following is not None:
                    predicted = paginator.ahead(request, body)
                    if len(predicted) > 1:
                        pool = ThreadPoolExecutor(self._prefetch, thread_name_prefix="page")
                        upcoming = iter(predicted)
                if following is None:
                    _cancel(window)
                elif pool is not None:
                    while len(window) < self._prefetch:
                        ahead = next(upcoming, None)
                        if ahead is None:
                            break
                        window.append((ahead.key(), pool.submit(self._send, ahead)))
                self.next_request = following
                yield Page(number, items, total, body)
                # Not held while the next page is fetched: the caller may be done with it.
                del body, items
                if error is not None:
                    raise error
                request = following
            self.done = True
        finally:
            _cancel(window)
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _receive(
        self, request: PageRequest, key: bytes, window: deque[tuple[bytes, Future[Any]]]
    ) -> dict[str, Any]:
        if window and window[0][0] == key:
            body = window.popleft()[1].result()
        else:
            _cancel(window)  # the pages went another way than predicted
            body = self._send(request)
        return body if isinstance(body, dict) else {}


def paginator_cap(paginator: Paginator) -> int:
    cap = getattr(paginator, "cap", None)
    return cap if isinstance(cap, int) else RESULT_CAP


def _cancel(window: deque[tuple[bytes, Future[Any]]]) -> None:
    while window:
        window.popleft()[1].cancel()


def _plain(value: Any) -> Any:
    """orjson fallback: a record's own JSON, SDK models (``to_dict``), else its text."""
    if type(value) is JsonRecord:
        return orjson.Fragment(value.json)
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else str(value)


def _fingerprint(items: list[Any]) -> bytes:
    """Enough of a page to tell it from the next one: its size and its first and last items.

    Serializing whole pages (1,000 job results) on every request cost more than the guard is worth.
    """
    return orjson.dumps([len(items), items[0], items[-1]], default=_plain)


__all__ = [
    "MAX_EMPTY_PAGES",
    "MAX_PAGES",
    "RESULT_CAP",
    "Cursor",
    "NextUri",
    "Page",
    "PageNumberInBody",
    "PageRequest",
    "Pager",
    "Paginator",
    "ResultCapExceeded",
    "items_of",
    "total_hits",
    "with_paging",
]
