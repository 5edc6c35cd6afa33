"""I/O-free paginators and the one loop that drives them.

A paginator answers "given this page, what is the next request?" (``None`` = done).
``Pager`` sends, counts pages and items, guards against a repeated request or page and
against endless paging, and exposes ``resume`` (the page number, cursor or URI of the
next request) so a caller can continue later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from genesys_analytics.api.queries import with_paging
from genesys_analytics.errors import PaginationError

RESULT_CAP = 100_000


@dataclass(frozen=True)
class PageRequest:
    method: str
    path: str
    params: dict[str, Any] | None = None
    json: dict[str, Any] | None = None
    state: Any = None  # page number, cursor or URI this request asks for

    def key(self) -> bytes:
        return orjson.dumps(
            [self.method, self.path, self.params, self.json], option=orjson.OPT_SORT_KEYS
        )


@dataclass(frozen=True)
class Page:
    number: int  # the page number for page-number paging, else the 1-based sequence number
    items: list[dict[str, Any]]
    body: dict[str, Any] = field(repr=False)


class Paginator(Protocol):
    @property
    def items_key(self) -> str: ...

    def first(self) -> PageRequest: ...

    def next(self, request: PageRequest, body: dict[str, Any]) -> PageRequest | None: ...


def _items(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = body.get(key)
    return items if isinstance(items, list) else []


@dataclass(frozen=True)
class PageNumberInBody:
    """Details query: ``paging.pageNumber`` in the POST body; stop on absent/empty items."""

    path: str
    body: dict[str, Any]
    page_size: int = 100
    start_page: int = 1
    cap: int = RESULT_CAP
    items_key: str = "conversations"

    def _request(self, number: int) -> PageRequest:
        if number * self.page_size > self.cap:
            raise PaginationError(
                f"page {number} at pageSize {self.page_size} would go past the service's "
                f"{self.cap:,}-result cap; split the interval into smaller ones so each "
                f"has fewer than {self.cap:,} conversations."
            )
        body = with_paging(self.body, page_size=self.page_size, page_number=number)
        return PageRequest("POST", self.path, json=body, state=number)

    def first(self) -> PageRequest:
        return self._request(self.start_page)

    def next(self, request: PageRequest, body: dict[str, Any]) -> PageRequest | None:
        items = _items(body, self.items_key)
        if not items:
            return None
        number = int(request.state) + 1
        if number * self.page_size > self.cap and len(items) < self.page_size:
            return None  # a short page just under the cap: nothing lies beyond it
        return self._request(number)


@dataclass(frozen=True)
class Cursor:
    """Job results: ``cursor`` query parameter; stop when the response has no cursor."""

    path: str
    page_size: int | None = None
    cursor: str | None = None
    items_key: str = "conversations"

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
        return self._request(str(cursor))


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
        self._empty = 0 if _items(body, self.items_key) else self._empty + 1
        uri = body.get("nextUri")
        if not uri or self._empty >= self.max_empty:
            return None
        return PageRequest("GET", str(uri), state=str(uri))


Send = Callable[[PageRequest], Any]


class Pager:
    """The one paging loop: iterate to get pages; ``resume`` tells where it would continue."""

    def __init__(self, send: Send, paginator: Paginator, *, max_pages: int = 10_000) -> None:
        self._send = send
        self._paginator = paginator
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
        request: PageRequest | None = self._paginator.first()
        seen: set[bytes] = set()
        last_items: bytes | None = None
        while request is not None:
            self.next_request = request
            key = request.key()
            if key in seen:
                raise PaginationError(
                    f"the service sent the same next page twice ({request.state})."
                )
            seen.add(key)
            if self.pages >= self._max_pages:
                raise PaginationError(f"more than {self._max_pages} pages; stopping.")
            body = self._send(request)
            body = body if isinstance(body, dict) else {}
            items = _items(body, self._paginator.items_key)
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
                request = self._paginator.next(request, body)
            except PaginationError as exc:  # raised after the caller has this page
                request, error = None, exc
            self.next_request = request
            yield Page(number, items, body)
            if error is not None:
                raise error
        self.done = True


def paginate(send: Send, paginator: Paginator, *, max_pages: int = 10_000) -> Iterator[Page]:
    """Convenience: iterate the pages of one ``Pager``."""
    return iter(Pager(send, paginator, max_pages=max_pages))


def _fingerprint(items: list[Any]) -> bytes:
    """Enough of a page to tell it from the next one: its size and its first and last items.

    Serializing whole pages (1,000 job results) on every request cost more than the guard is worth.
    """
    return orjson.dumps([len(items), items[0], items[-1]])


__all__ = [
    "RESULT_CAP",
    "Cursor",
    "NextUri",
    "Page",
    "PageNumberInBody",
    "PageRequest",
    "Pager",
    "Paginator",
    "paginate",
]
