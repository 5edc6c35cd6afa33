"""The ``Client`` facade: one object per OAuth client, safe to share between threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx

from genesys_analytics.api import jobs, queries
from genesys_analytics.api.auth import TokenAuth
from genesys_analytics.api.http import Stats, Transport
from genesys_analytics.api.pacing import Clock, Limiter, SystemClock
from genesys_analytics.api.paging import RESULT_CAP, NextUri, PageNumberInBody, Pager, PageRequest
from genesys_analytics.api.retry import RetryPolicy, Rng
from genesys_analytics.config import Region, Settings
from genesys_analytics.errors import ConfigError, PaginationError
from genesys_analytics.timeutil import Interval

Instant = str | datetime | date


@dataclass(frozen=True)
class DetailsPage:
    number: int
    total_hits: int
    conversations: list[dict[str, Any]]


class Client:
    """Genesys Cloud analytics, paced and retried. Use as a context manager or ``close()``."""

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        region: str | Region | None = None,
        base_url: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
        rng: Rng | None = None,
        job_policy: jobs.JobPolicy | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or Settings.create(client_id, client_secret, region, base_url)
        self.clock = clock or SystemClock()
        self.job_policy = job_policy or jobs.JobPolicy()
        self._auth = TokenAuth(
            self.settings.client_id,
            self.settings.client_secret,
            self.settings.login_url,
            clock=self.clock,
        )
        self._http = Transport(
            self.settings.api_url,
            self._auth,
            transport=transport,
            clock=self.clock,
            policy=policy or RetryPolicy(),
            limiter=Limiter(self.clock),
            timeout=timeout,
            rng=rng,
        )

    @classmethod
    def from_env(cls, **overrides: Any) -> Client:
        """Credentials from ``GENESYS_*`` (or ``GENESYSCLOUD_*``) variables and ``.env``.

        ``client_id``, ``client_secret``, ``region`` and ``base_url`` override the
        environment; any other keyword goes to the constructor (``transport``, ``clock``...).
        """
        names = ("client_id", "client_secret", "region", "base_url")
        settings = Settings.from_env(**{k: overrides.pop(k) for k in names if k in overrides})
        return cls(settings=settings, **overrides)

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def stats(self) -> Stats:
        return self._http.stats

    @property
    def limiter(self) -> Limiter:
        return self._http.limiter

    def request(self, method: str, path: str, *, json: Any = None, params: Any = None) -> Any:
        """Send one API request (paced, retried, errors mapped); return decoded JSON."""
        return self._http.request(method, path, json=json, params=params)

    def _send(self, request: PageRequest) -> Any:
        return self._http.request(
            request.method, request.path, json=request.json, params=request.params
        )

    def interrupt(self) -> None:
        """Cut short every wait (backoff, pacing) of every thread: the caller is stopping."""
        interrupt = getattr(self.clock, "interrupt", None)
        if interrupt is not None:
            interrupt()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        s = self.settings
        where = s.base_url or s.region.key
        return f"Client(client_id={s.client_id!r}, at={where!r})"

    # -- details query (page number in the body) --------------------------------------------

    def conversation_details(
        self,
        start: Instant,
        end: Instant,
        *,
        page_size: int = 100,
        order: str = "asc",
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Every conversation of one details query over ``[start, end)``, paged to the end.

        The service over-returns (whole UTC days); trimming is the caller's job.
        """
        body = queries.details_query(
            _interval(start, end), page_size=page_size, order=order, **filters
        )
        for page in self.details_pages(body, page_size=page_size):
            yield from page.conversations

    def details_pages(
        self, body: dict[str, Any], *, start_page: int = 1, page_size: int = 100
    ) -> Iterator[DetailsPage]:
        """Pages of a details query; resume with ``start_page=last.number + 1``."""
        paginator = PageNumberInBody(
            queries.DETAILS_QUERY, body, page_size=page_size, start_page=start_page
        )
        for page in Pager(self._send, paginator):
            yield DetailsPage(page.number, queries.total_hits(page.body), page.items)

    def details_page(
        self, body: dict[str, Any], number: int, *, page_size: int = 100
    ) -> DetailsPage:
        """One page of a details query (``conversations`` empty past the last page).

        Safe to call from several threads at once for different pages of one query.
        """
        if number < 1 or number * page_size > RESULT_CAP:
            raise PaginationError(
                f"page {number} at pageSize {page_size} is outside the service's "
                f"{RESULT_CAP:,}-result cap; split the interval into smaller ones."
            )
        paged = queries.with_paging(body, page_size=page_size, page_number=number)
        response = self._http.request("POST", queries.DETAILS_QUERY, json=paged)
        response = response if isinstance(response, dict) else {}
        return DetailsPage(number, queries.total_hits(response), queries.conversations_of(response))

    def details_total_hits(self, body: dict[str, Any]) -> int:
        """One ``pageSize=1`` probe: the service's (approximate) ``totalHits``."""
        probe = queries.with_paging(body, page_size=1, page_number=1)
        return queries.total_hits(self._http.request("POST", queries.DETAILS_QUERY, json=probe))

    # -- async jobs (cursor) ----------------------------------------------------------------

    def conversation_job(
        self,
        start: Instant,
        end: Instant,
        *,
        start_of_day: bool = True,
        page_size: int = 1000,
        stop: threading.Event | None = None,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Submit a job over ``[start, end)``, wait, yield every result; always deletes it.

        ``stop`` lets another thread end the wait for the job early (it is then deleted).
        """
        body = queries.job_query(_interval(start, end), start_of_day=start_of_day, **filters)
        return jobs.run_job(
            self._http, body, page_size=page_size, policy=self.job_policy, stop=stop
        )

    def job_availability(self) -> datetime:
        """Up to when the jobs API has data (``dataAvailabilityDate``)."""
        return jobs.availability(self._http)

    # -- the rest ---------------------------------------------------------------------------

    def aggregates(self, body: dict[str, Any]) -> dict[str, Any]:
        """Raw response of an aggregates query (see ``queries.aggregates_query``)."""
        return self._http.request("POST", queries.AGGREGATES_QUERY, json=body) or {}

    def queues(self, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every routing queue (``nextUri`` paging)."""
        path = f"{queries.QUEUES}?pageSize={page_size}&pageNumber=1"
        for page in Pager(self._send, NextUri(path)):
            yield from page.items

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        """One conversation's details."""
        path = queries.CONVERSATION.format(conversation_id=conversation_id)
        return self._http.request("GET", path) or {}


def _interval(start: Instant, end: Instant) -> Interval:
    for value in (start, end):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ConfigError(f"{value!r} has no timezone; give an aware datetime or ISO string.")
    return Interval.of(start, end)


__all__ = ["Client", "DetailsPage"]
