"""Query bodies: the only place API field names are spelled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval

AGGREGATES_QUERY = "/api/v2/analytics/conversations/aggregates/query"
CONVERSATION = "/api/v2/analytics/conversations/{conversation_id}/details"
USER_AGGREGATES_QUERY = "/api/v2/analytics/users/aggregates/query"
QUEUES = "/api/v2/routing/queues"
QUEUE_MEMBERS = "/api/v2/routing/queues/{queue_id}/members"
USERS = "/api/v2/users"
WRAPUP_CODES = "/api/v2/routing/wrapupcodes"
DIVISIONS = "/api/v2/authorization/divisions"
PRESENCE_DEFINITIONS = "/api/v2/presence/definitions"
USER_ID = "userId"
START_TIME = "startTime"

CONVERSATION_ID = "conversationId"
CONVERSATION_START = "conversationStart"


@dataclass(frozen=True)
class DetailsApi:
    """One details family: a paged query, async jobs with cursor results, their availability.

    Conversations and user details share this shape (and its limits); only the paths and
    the key that holds a page's items differ.
    """

    query: str
    jobs: str
    items_key: str
    max_page_size: int = 100  # details query ``pageSize`` limit
    max_job_page_size: int = 1000  # job results ``pageSize`` limit

    @property
    def availability(self) -> str:
        return f"{self.jobs}/availability"

    def job(self, job_id: str) -> str:
        return f"{self.jobs}/{job_id}"

    def results(self, job_id: str) -> str:
        return f"{self.jobs}/{job_id}/results"


CONVERSATION_DETAILS = DetailsApi(
    "/api/v2/analytics/conversations/details/query",
    "/api/v2/analytics/conversations/details/jobs",
    "conversations",
)
USER_DETAILS = DetailsApi(
    "/api/v2/analytics/users/details/query",
    "/api/v2/analytics/users/details/jobs",
    "userDetails",
)

Values = str | Sequence[str] | None


@dataclass(frozen=True)
class Filters:
    """Keyword filters shared by every query; ``None`` means "no filter on this"."""

    media_type: Values = None
    queue_id: Values = None
    direction: Values = None
    user_id: Values = None
    originating_direction: Values = None
    ongoing: bool | None = None

    @property
    def empty(self) -> bool:
        return self == Filters()

    def as_meta(self) -> dict[str, Any]:
        """The filters as plain, ordered JSON (recorded with each checkpoint)."""
        out: dict[str, Any] = {}
        for name in ("media_type", "queue_id", "direction", "user_id", "originating_direction"):
            values = sorted(set(_values(getattr(self, name))))
            if values:
                out[name] = values
        if self.ongoing is not None:
            out["ongoing"] = self.ongoing
        return out

    def describe(self) -> str:
        """``media_type=voice, queue_id=q1|q2`` (empty without filters)."""
        return ", ".join(
            f"{k}={'|'.join(v) if isinstance(v, list) else v}" for k, v in self.as_meta().items()
        )


_SEGMENT_DIMENSIONS = {
    "media_type": "mediaType",
    "queue_id": "queueId",
    "direction": "direction",
    "user_id": "userId",
}


def _values(value: Values) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _matches(dimension: str, values: list[str]) -> list[dict[str, Any]]:
    return [
        {"type": "dimension", "dimension": dimension, "operator": "matches", "value": v}
        for v in values
    ]


def _segment_filters(f: Filters) -> list[dict[str, Any]]:
    out = []
    for attr, dimension in _SEGMENT_DIMENSIONS.items():
        values = _values(getattr(f, attr))
        if values:
            out.append({"type": "or", "predicates": _matches(dimension, values)})
    return out


def _conversation_filters(f: Filters) -> list[dict[str, Any]]:
    out = []
    values = _values(f.originating_direction)
    if values:
        out.append({"type": "or", "predicates": _matches("originatingDirection", values)})
    if f.ongoing is not None:
        operator = "notExists" if f.ongoing else "exists"
        predicate = {"type": "dimension", "dimension": "conversationEnd", "operator": operator}
        out.append({"type": "and", "predicates": [predicate]})
    return out


def _detail_body(interval: Interval, order: str, f: Filters) -> dict[str, Any]:
    body: dict[str, Any] = {
        "interval": interval.iso(),
        "order": order,
        "orderBy": "conversationStart",
    }
    segment, conversation = _segment_filters(f), _conversation_filters(f)
    if segment:
        body["segmentFilters"] = segment
    if conversation:
        body["conversationFilters"] = conversation
    return body


def details_query(
    interval: Interval,
    *,
    page_size: int = 100,
    page_number: int = 1,
    order: str = "asc",
    filters: Filters | None = None,
    **by_name: Any,
) -> dict[str, Any]:
    """Body of ``POST .../conversations/details/query``; filters as ``Filters`` or keywords."""
    body = _detail_body(interval, order, filters or Filters(**by_name))
    body["paging"] = {"pageSize": page_size, "pageNumber": page_number}
    return body


def job_query(
    interval: Interval,
    *,
    start_of_day: bool = True,
    order: str = "asc",
    limit: int | None = None,
    filters: Filters | None = None,
    **by_name: Any,
) -> dict[str, Any]:
    """Body of ``POST .../conversations/details/jobs``; filters as ``Filters`` or keywords."""
    body = _detail_body(interval, order, filters or Filters(**by_name))
    body["startOfDayIntervalMatching"] = start_of_day
    if limit is not None:
        body["limit"] = limit
    return body


def user_details_query(
    interval: Interval, *, order: str = "asc", filters: Filters | None = None, **by_name: Any
) -> dict[str, Any]:
    """Body of ``POST .../users/details/query`` and of user details jobs (no paging).

    The service filters user details by ``userId`` only; other filters are refused.
    """
    f = filters or Filters(**by_name)
    other = {k: v for k, v in f.as_meta().items() if k != "user_id"}
    if other:
        raise ConfigError(
            f"user details can be filtered by user only, not by {', '.join(sorted(other))}."
        )
    body: dict[str, Any] = {"interval": interval.iso(), "order": order}
    users = _values(f.user_id)
    if users:
        body["userFilters"] = [{"type": "or", "predicates": _matches(USER_ID, users)}]
    return body


#: The most ``userId`` predicates one user aggregates query may carry.
MAX_USER_PREDICATES = 100


def user_aggregates_query(
    interval: Interval,
    *,
    granularity: str | None = None,
    metrics: Sequence[str] = ("tAgentRoutingStatus", "tSystemPresence"),
    time_zone: str | None = None,
    user_ids: Sequence[str] = (),
) -> dict[str, Any]:
    """Body of ``POST .../users/aggregates/query``, grouped by ``userId``."""
    if len(user_ids) > MAX_USER_PREDICATES:
        raise ConfigError(
            f"a user aggregates query takes at most {MAX_USER_PREDICATES} users; "
            f"split the {len(user_ids)} into batches."
        )
    body: dict[str, Any] = {
        "interval": interval.iso(),
        "groupBy": ["userId"],
        "metrics": list(metrics),
    }
    if granularity:
        body["granularity"] = granularity
    if time_zone:
        body["timeZone"] = time_zone
    if user_ids:
        body["filter"] = {"type": "or", "predicates": _matches(USER_ID, list(user_ids))}
    return body


def aggregates_query(
    interval: Interval,
    *,
    granularity: str | None = None,
    group_by: Sequence[str] = ("mediaType",),
    metrics: Sequence[str] = ("nOffered", "nConnected"),
    filters: Filters | None = None,
    time_zone: str | None = None,
) -> dict[str, Any]:
    """Body of ``POST .../conversations/aggregates/query``."""
    body: dict[str, Any] = {
        "interval": interval.iso(),
        "groupBy": list(group_by),
        "metrics": list(metrics),
    }
    if granularity:
        body["granularity"] = granularity
    if time_zone:
        body["timeZone"] = time_zone
    f = filters or Filters()
    clauses = []
    for attr, dimension in {
        **_SEGMENT_DIMENSIONS,
        "originating_direction": "originatingDirection",
    }.items():
        values = _values(getattr(f, attr))
        if values:
            clauses.append({"type": "or", "predicates": _matches(dimension, values)})
    if clauses:
        body["filter"] = {"type": "and", "clauses": clauses}
    return body


__all__ = [
    "AGGREGATES_QUERY",
    "CONVERSATION",
    "CONVERSATION_DETAILS",
    "DIVISIONS",
    "MAX_USER_PREDICATES",
    "PRESENCE_DEFINITIONS",
    "QUEUES",
    "QUEUE_MEMBERS",
    "USERS",
    "USER_AGGREGATES_QUERY",
    "USER_DETAILS",
    "WRAPUP_CODES",
    "DetailsApi",
    "Filters",
    "aggregates_query",
    "details_query",
    "job_query",
    "user_aggregates_query",
    "user_details_query",
]
