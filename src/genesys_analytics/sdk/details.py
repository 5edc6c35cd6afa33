"""Details-query pages through the SDK: page number in the body, the same stop rules."""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from genesys_analytics.api.paging import RESULT_CAP
from genesys_analytics.api.retry import RetryPolicy, Rng
from genesys_analytics.errors import (
    PaginationError,
)
from genesys_analytics.sdk.calls import Sleep, _Caller

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetailsPage:
    """One page of a details query: its number, the reported ``totalHits`` and the models."""

    number: int
    total_hits: int | None
    conversations: list[Any]


def _with_paging(query: Any, page_size: int, number: int) -> Any:
    from PureCloudPlatformClientV2 import PagingSpec

    paging = PagingSpec()
    paging.page_size = page_size
    paging.page_number = number
    if isinstance(query, Mapping):
        return {**query, "paging": paging}
    body = copy.copy(query)  # never mutate the caller's model
    body.paging = paging
    return body


def _conversation_id(conv: Any) -> Any:
    return conv.get("conversationId") if isinstance(conv, Mapping) else conv.conversation_id


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
) -> Iterator[DetailsPage]:
    """Page ``post_analytics_conversations_details_query`` to the end (see module docstring)."""
    if page_size < 1 or start_page < 1:
        raise ValueError("page_size and start_page must be at least 1")
    caller = _Caller(policy or RetryPolicy(), sleep, rng or random.Random())
    number, fetched = start_page, 0
    previous_ids: list[Any] | None = None
    while True:
        if number * page_size > cap:
            if previous_ids is not None and len(previous_ids) < page_size:
                return  # the last page allowed was short: the results ended there
            raise PaginationError(
                f"Page {number} at pageSize {page_size} would reach result "
                f"{number * page_size:,}, past the service's {cap:,}-result cap; "
                "split the interval into smaller ones."
            )
        if max_pages is not None and fetched >= max_pages:
            raise PaginationError(
                f"Stopped after max_pages={max_pages} pages before the end of the results; "
                f"resume with start_page={number}."
            )
        response = caller(
            api.post_analytics_conversations_details_query, _with_paging(query, page_size, number)
        )
        fetched += 1
        conversations = list(response.conversations or [])
        if not conversations:
            log.debug("details page %d is empty: end of results", number)
            return
        total = response.total_hits
        if fetched == 1 and total is not None and total > cap:
            raise PaginationError(
                f"The query matches about {total:,} conversations, more than the service's "
                f"{cap:,}-result cap; split the interval into smaller ones."
            )
        ids = [_conversation_id(c) for c in conversations]
        if ids == previous_ids:
            raise PaginationError(
                f"Page {number} repeated page {number - 1}: the service ignored the page "
                "number (it belongs in the body's paging)."
            )
        yield DetailsPage(number, total, conversations)
        previous_ids = ids
        number += 1


def iter_details(api: Any, query: Any, **options: Any) -> Iterator[Any]:
    """Every conversation model of a details query; options as ``iter_details_pages``."""
    for page in iter_details_pages(api, query, **options):
        yield from page.conversations


# --- async jobs: submit, poll, cursor, delete --------------------------------------------
