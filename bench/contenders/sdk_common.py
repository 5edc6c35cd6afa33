"""What the SDK contenders share: login to the emulator, the query body, the result line."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from datetime import datetime
from typing import Any

import PureCloudPlatformClientV2 as sdk

from genesys_analytics.timeutil import fmt, parse_instant

PAGE_SIZE = 100


def parse_args(description: str, extra: list[tuple[str, dict[str, Any]]] | None = None) -> Any:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--start", required=True)
    parser.add_argument("--end", required=True)
    parser.add_argument("--ids", help="write every conversationId received, one a line")
    for name, kwargs in extra or []:
        parser.add_argument(name, **kwargs)
    return parser.parse_args()


def analytics_api(pool_size: int | None = None) -> Any:
    """An ``AnalyticsApi`` logged in with client credentials (from the environment)."""
    client = sdk.ApiClient(host=os.environ["GENESYS_BASE_URL"])
    if pool_size is not None:  # urllib3 allows 4 connections by default; a careful user widens it
        manager = client.get_http_client().rest_client.pool_manager
        manager.connection_pool_kw["maxsize"] = pool_size
        manager.clear()
    client.get_client_credentials_token(
        os.environ["GENESYS_CLIENT_ID"], os.environ["GENESYS_CLIENT_SECRET"]
    )
    return sdk.AnalyticsApi(client)


def details_query(start: datetime, end: datetime, page_number: int) -> Any:
    """The real SDK model: ``ConversationQuery`` with ``interval`` and ``PagingSpec``."""
    query = sdk.ConversationQuery()
    query.interval = f"{fmt(start)}/{fmt(end)}"
    query.order = "asc"
    paging = sdk.PagingSpec()
    paging.page_size = PAGE_SIZE
    paging.page_number = page_number
    query.paging = paging
    return query


def page_count(total_hits: int | None) -> int:
    return max(1, math.ceil((total_hits or 0) / PAGE_SIZE))


def is_429(exc: BaseException) -> bool:
    return getattr(exc, "status", None) == 429 or "429" in str(exc)


def finish(ids: list[str], path: str | None, **figures: Any) -> None:
    """Write the ids (duplicates kept: they are part of the result) and one JSON line."""
    if path:
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(f"{cid}\n" for cid in ids)
    sys.stdout.write(json.dumps({"received": len(ids), **figures}) + "\n")


def instants(args: Any) -> tuple[datetime, datetime]:
    return parse_instant(args.start), parse_instant(args.end)
