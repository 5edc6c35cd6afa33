"""Details-query pages through the SDK, paged by the project's one ``Pager``."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

from genesys_analytics.api.paging import (
    MAX_PAGES,
    RESULT_CAP,
    Page,
    PageNumberInBody,
    Pager,
    PageRequest,
)
from genesys_analytics.api.queries import CONVERSATION_DETAILS
from genesys_analytics.api.retry import RetryPolicy, Rng
from genesys_analytics.sdk.calls import Sleep, _Caller


def query_body(query: Any) -> dict[str, Any]:
    """An SDK model or a camelCase dict (which may hold models) as a plain camelCase dict.

    The SDK sends a dict body as it is, so the ``Pager`` can set ``paging`` in it, compare
    requests and never touch the caller's query.
    """
    from PureCloudPlatformClientV2 import ApiClient

    body = ApiClient().sanitize_for_serialization(query)
    if not isinstance(body, dict):
        raise TypeError(f"a details query is an SDK model or a dict, not {type(query).__name__}")
    return body


def iter_details_pages(
    api: Any,
    query: Any,
    *,
    page_size: int = 100,
    start_page: int = 1,
    max_pages: int | None = None,
    cap: int = RESULT_CAP,
    sleep: Sleep = time.sleep,
    policy: RetryPolicy | None = None,
    rng: Rng | None = None,
) -> Iterator[Page]:
    """Page ``post_analytics_conversations_details_query`` to the end (see package docstring).

    Yields ``genesys_analytics.api.paging.Page`` (``number``, ``items`` — also as
    ``conversations`` —, ``total_hits``), the empty page that ended paging included;
    resume with ``start_page=page.number + 1``.
    """
    caller = _Caller(policy or RetryPolicy(), sleep, rng or random.Random())

    def send(request: PageRequest) -> dict[str, Any]:
        response = caller(api.post_analytics_conversations_details_query, request.json)
        return {
            "conversations": list(response.conversations or []),
            "totalHits": response.total_hits,
        }

    paginator = PageNumberInBody(
        CONVERSATION_DETAILS.query,
        query_body(query),
        page_size=page_size,
        start_page=start_page,
        cap=cap,
    )
    return iter(Pager(send, paginator, max_pages=MAX_PAGES if max_pages is None else max_pages))


def iter_details(api: Any, query: Any, **options: Any) -> Iterator[Any]:
    """Every conversation model of a details query; options as ``iter_details_pages``."""
    for page in iter_details_pages(api, query, **options):
        yield from page.items
