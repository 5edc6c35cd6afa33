"""The ``Client`` facade: one object per OAuth client, safe to share between threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import httpx

from genesys_analytics.api import jobs, queries
from genesys_analytics.api.auth import TokenAuth
from genesys_analytics.api.http import Transport
from genesys_analytics.api.pacing import Clock, Limiter, SystemClock
from genesys_analytics.api.paging import NextUri, Page, PageNumberInBody, Pager, PageRequest
from genesys_analytics.api.queries import CONVERSATION_DETAILS, USER_DETAILS, DetailsApi
from genesys_analytics.api.records import page_decoder
from genesys_analytics.api.retry import RetryPolicy, Rng
from genesys_analytics.api.stats import Stats
from genesys_analytics.config import Region, Settings
from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval

Instant = str | datetime | date


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
        timeout: float | None = None,
        rng: Rng | None = None,
        job_policy: jobs.JobPolicy | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or Settings.create(client_id, client_secret, region, base_url)
        self.clock = clock or SystemClock()
        self.job_policy = job_policy or jobs.JobPolicy()
        timeout = self.settings.timeout if timeout is None else timeout
        self._auth = TokenAuth(
            self.settings.client_id,
            self.settings.client_secret,
            self.settings.login_url,
            clock=self.clock,
            timeout=timeout,
            region=None if self.settings.base_url else self.settings.region,
        )
        self._http = Transport(
            self.settings.api_url,
            self._auth,
            transport=transport,
            clock=self.clock,
            policy=policy or RetryPolicy(max_attempts=self.settings.max_attempts),
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

    def _sender(self, items_key: str, fields: Sequence[str]) -> Any:
        """``_send``, with the pages' items as records that keep their JSON when ``fields``
        names the fields to decode of each (:mod:`genesys_analytics.api.records`)."""
        if not fields:
            return self._send
        decode = page_decoder(items_key, fields)

        def send(request: PageRequest) -> Any:
            return self._http.request(
                request.method,
                request.path,
                json=request.json,
                params=request.params,
                decode=decode,
            )

        return send

    def interrupt(self) -> None:
        """Cut short every wait (backoff, pacing, job polls) of every thread until ``resume()``.

        For a caller that is stopping a run; the run calls ``resume()`` once its threads
        have ended, so the client paces and backs off again for whatever comes next.
        """
        interrupt = getattr(self.clock, "interrupt", None)
        if interrupt is not None:
            interrupt()

    def resume(self) -> None:
        """Undo ``interrupt()``: waits wait again."""
        clear = getattr(self.clock, "clear", None)
        if clear is not None:
            clear()

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

    # -- details queries (page number in the body) ------------------------------------------

    def conversation_details(
        self,
        start: Instant,
        end: Instant,
        *,
        page_size: int = 100,
        order: str = "asc",
        prefetch: int = 1,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Every conversation of one details query over ``[start, end)``, paged to the end.

        The service over-returns (whole UTC days); trimming is the caller's job.
        ``prefetch=N`` keeps up to N pages in flight once the first page says how many
        there are.
        """
        body = queries.details_query(_interval(start, end), order=order, **filters)
        for page in self.details_pages(body, page_size=page_size, prefetch=prefetch):
            yield from page.items

    def details_pages(
        self,
        body: dict[str, Any],
        *,
        api: DetailsApi = CONVERSATION_DETAILS,
        start_page: int = 1,
        page_size: int = 100,
        prefetch: int = 1,
        fields: Sequence[str] = (),
    ) -> Iterator[Page]:
        """Pages of a details query, in order; resume with ``start_page=last.number + 1``.

        Stops on the first page without items, never on ``totalHits``. A first page that
        reports more results than the deep-paging cap raises ``ResultCapExceeded``.
        ``fields``: items come as :class:`~genesys_analytics.api.records.JsonRecord`, their
        JSON as it came, with these fields decoded (an export that writes JSON needs no more).
        """
        paginator = PageNumberInBody(
            api.query, body, page_size=page_size, start_page=start_page, items_key=api.items_key
        )
        send = self._sender(api.items_key, fields)
        return iter(Pager(send, paginator, prefetch=prefetch))

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
        for page in self.job_pages(body, page_size=page_size, stop=stop):
            yield from page.items

    def job_pages(
        self,
        body: dict[str, Any],
        *,
        api: DetailsApi = CONVERSATION_DETAILS,
        page_size: int = 1000,
        stop: threading.Event | None = None,
        fields: Sequence[str] = (),
    ) -> Iterator[Page]:
        """Run one async details job: submit, wait, every page of results, delete.

        ``fields``: items come as records that keep their JSON, as ``details_pages``."""
        return jobs.run_job(
            self._http,
            body,
            api=api,
            page_size=page_size,
            policy=self.job_policy,
            stop=stop,
            decode=page_decoder(api.items_key, fields) if fields else None,
        )

    def job_availability(self, api: DetailsApi = CONVERSATION_DETAILS) -> datetime:
        """Up to when the jobs API has data (``dataAvailabilityDate``)."""
        return jobs.availability(self._http, api)

    # -- user details: agent presence and routing status ------------------------------------

    def user_details(
        self, start: Instant, end: Instant, *, page_size: int = 100, **filters: Any
    ) -> Iterator[dict[str, Any]]:
        """Every ``userDetails`` item of one user details query over ``[start, end)``.

        Pages stop only on an absent or empty ``userDetails``: a short page is not the
        last one (the service drops duplicates of records stored under two days).
        Records come unclipped, and include those that ended in the interval.
        """
        body = queries.user_details_query(_interval(start, end), **filters)
        for page in self.details_pages(body, api=USER_DETAILS, page_size=page_size):
            yield from page.items

    def user_details_job(
        self,
        start: Instant,
        end: Instant,
        *,
        page_size: int = 1000,
        stop: threading.Event | None = None,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Every ``userDetails`` item of a user details job over ``[start, end)``."""
        body = queries.user_details_query(_interval(start, end), **filters)
        for page in self.job_pages(body, api=USER_DETAILS, page_size=page_size, stop=stop):
            yield from page.items

    def user_aggregates(self, body: dict[str, Any]) -> dict[str, Any]:
        """Raw response of a user aggregates query (at most 100 ``userId`` predicates)."""
        return self._http.request("POST", queries.USER_AGGREGATES_QUERY, json=body) or {}

    # -- lists and the rest -----------------------------------------------------------------

    def users(self, *, state: str = "any", page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every user in ``state`` (``any`` includes inactive and deleted users)."""
        return self.entities(f"{queries.USERS}?state={state}", page_size=page_size)

    def wrapup_codes(self, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        return self.entities(queries.WRAPUP_CODES, page_size=page_size)

    def divisions(self, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        return self.entities(queries.DIVISIONS, page_size=page_size)

    def queue_members(self, queue_id: str, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """The members of one queue (``nextUri`` paging, no totals)."""
        path = queries.QUEUE_MEMBERS.format(queue_id=queue_id)
        return self.entities(path, page_size=page_size)

    def presence_definitions(self) -> list[dict[str, Any]]:
        """The organization's presence definitions (one unpaged response)."""
        body = self._http.request("GET", queries.PRESENCE_DEFINITIONS) or {}
        entities = body.get("entities") if isinstance(body, dict) else None
        return entities if isinstance(entities, list) else []

    def entities(self, path: str, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every entity of a list endpoint (``nextUri`` paging), e.g. ``/api/v2/routing/queues``."""
        separator = "&" if "?" in path else "?"
        first = f"{path}{separator}pageSize={page_size}&pageNumber=1"
        for page in Pager(self._send, NextUri(first)):
            yield from page.items

    def queues(self, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every routing queue."""
        return self.entities(queries.QUEUES, page_size=page_size)

    def aggregates(self, body: dict[str, Any]) -> dict[str, Any]:
        """Raw response of an aggregates query (see ``queries.aggregates_query``)."""
        return self._http.request("POST", queries.AGGREGATES_QUERY, json=body) or {}

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        """One conversation's details."""
        path = queries.CONVERSATION.format(conversation_id=conversation_id)
        return self._http.request("GET", path) or {}


def _interval(start: Instant, end: Instant) -> Interval:
    for value in (start, end):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ConfigError(f"{value!r} has no timezone; give an aware datetime or ISO string.")
    return Interval.of(start, end)


__all__ = ["Client"]
