"""What each dataset is: declared once here, so the engine, the sinks and the CLI never name one.

A :class:`Dataset` says

- its ``name`` (what ``export(datasets=...)`` and ``--dataset`` take),
- how it is read (``source``): a :class:`Details` family, read chunk by chunk with
  details queries (page number in the body) or async jobs (cursor), whose records belong
  to ``[start, end)`` by one ``timestamp`` field (decisions.md §1, §7); or a
  :class:`Snapshot`, a dimension list read whole from its list endpoints each time,
- its ``storage`` (:class:`genesys_analytics.sinks.schema.Storage`): its tables, the
  record field that keys a record (the newer copy of a key wins), and the SQL that
  flattens a batch of records into the tables.

The engine plans, paces, trims, dedupes and checkpoints every dataset the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from genesys_analytics.api import queries
from genesys_analytics.api.queries import (
    CONVERSATION_DETAILS,
    USER_DETAILS,
    DetailsApi,
    Filters,
)
from genesys_analytics.errors import ConfigError
from genesys_analytics.sinks.dimensions import (
    DIVISIONS_STORAGE,
    PRESENCE_DEFINITIONS_STORAGE,
    QUEUE_MEMBERS_STORAGE,
    QUEUES_STORAGE,
    USERS_STORAGE,
    WRAPUP_CODES_STORAGE,
)
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.schema import Storage
from genesys_analytics.sinks.user_details import USER_DETAILS_STORAGE
from genesys_analytics.timeutil import Interval

Record = dict[str, Any]


def _same(items: list[Record]) -> Iterable[Record]:
    return items


@dataclass(frozen=True)
class Details:
    """A time-based dataset read through a details family (query and jobs).

    ``records`` turns the items of one page into records (identity for conversations);
    ``page_key`` names the item field used to notice an item seen on two pages of one
    read (the sign that pages shifted under the reader, decisions.md §3), or ``None``
    where one item may rightly span pages (a user's statuses), so only a change of
    ``totalHits`` shows that a read moved. A record without its ``end`` field is open
    (still running): its chunk is read again by incremental runs until it closes.
    """

    api: DetailsApi
    timestamp: str
    end: str
    query_body: Callable[[Interval, Filters], dict[str, Any]]
    job_body: Callable[[Interval, Filters], dict[str, Any]]
    page_key: str | None
    records: Callable[[list[Record]], Iterable[Record]] = _same

    @property
    def items_are_records(self) -> bool:
        """Whether a page's items are its records as they came (``records`` is no transform)."""
        return self.records is _same


class ListClient(Protocol):
    """What a snapshot reads from a client (``genesys_analytics.Client`` has it)."""

    def users(self, *, state: str = "any", page_size: int = 100) -> Iterator[Record]: ...
    def queues(self, *, page_size: int = 100) -> Iterator[Record]: ...
    def queue_members(self, queue_id: str, *, page_size: int = 100) -> Iterator[Record]: ...
    def wrapup_codes(self, *, page_size: int = 100) -> Iterator[Record]: ...
    def divisions(self, *, page_size: int = 100) -> Iterator[Record]: ...
    def presence_definitions(self) -> list[Record]: ...


@dataclass(frozen=True)
class Snapshot:
    """A dimension list: read whole by each export that asks for it, replacing the last.

    It has no interval of its own: an export reads it as it is when the export runs.
    """

    read: Callable[[ListClient], Iterable[Record]]


@dataclass(frozen=True)
class Dataset:
    name: str
    source: Details | Snapshot
    storage: Storage

    @property
    def details(self) -> Details:
        """How a time-based dataset is read (a snapshot has no details family)."""
        if not isinstance(self.source, Details):
            raise TypeError(f"the {self.name} dataset is a snapshot, read whole")
        return self.source

    @property
    def snapshot(self) -> bool:
        return isinstance(self.source, Snapshot)

    @property
    def key(self) -> str:
        """The record field that identifies a record (the newer copy of a key wins)."""
        return self.storage.key_field

    @property
    def description(self) -> str:
        return f"{self.name} (tables {', '.join(t.name for t in self.storage.tables)})"


CONVERSATIONS = Dataset(
    name="conversations",
    source=Details(
        api=CONVERSATION_DETAILS,
        timestamp=queries.CONVERSATION_START,
        end="conversationEnd",
        query_body=lambda interval, filters: queries.details_query(interval, filters=filters),
        job_body=lambda interval, filters: queries.job_query(interval, filters=filters),
        page_key=queries.CONVERSATION_ID,
    ),
    storage=CONVERSATIONS_STORAGE,
)


def statuses(items: list[Record]) -> Iterator[Record]:
    """Each ``userDetails`` item's presence and routing-status records, one by one.

    A record keeps its own fields and gains ``userId``, ``kind`` and ``recordKey``
    (user, kind and start: decisions.md §7).
    """
    for item in items:
        user = item.get(queries.USER_ID)
        if not isinstance(user, str):
            continue
        for kind, field in (("presence", "primaryPresence"), ("routing", "routingStatus")):
            for record in item.get(field) or ():
                start = record.get(queries.START_TIME) if isinstance(record, dict) else None
                if isinstance(start, str) and start:
                    key = f"{user}|{kind}|{start}"
                    yield {"recordKey": key, "userId": user, "kind": kind, **record}


USER_DETAILS_DATASET = Dataset(
    name="user-details",
    source=Details(
        api=USER_DETAILS,
        timestamp=queries.START_TIME,
        end="endTime",
        query_body=lambda interval, filters: queries.user_details_query(interval, filters=filters),
        job_body=lambda interval, filters: queries.user_details_query(interval, filters=filters),
        page_key=None,
        records=statuses,
    ),
    storage=USER_DETAILS_STORAGE,
)

#: System wrap-up codes conversations carry that the wrap-up code list does not hold.
SYSTEM_WRAPUP_CODES = (
    {
        "id": "ININ-WRAP-UP-TIMEOUT",
        "name": "Wrap-up timed out (system)",
        "description": "System code: the agent chose no wrap-up code before the timeout.",
        "system": True,
    },
)


def _wrapup_codes(client: ListClient) -> Iterator[Record]:
    yield from client.wrapup_codes()
    yield from SYSTEM_WRAPUP_CODES


def _queue_members(client: ListClient) -> Iterator[Record]:
    for queue in list(client.queues()):
        queue_id = queue.get("id")
        if not isinstance(queue_id, str):
            continue
        for member in client.queue_members(queue_id):
            key = f"{queue_id}|{member.get('id')}"
            yield {**member, "queueId": queue_id, "memberKey": key}


SNAPSHOTS = (
    Dataset("users", Snapshot(lambda client: client.users(state="any")), USERS_STORAGE),
    Dataset("queues", Snapshot(lambda client: client.queues()), QUEUES_STORAGE),
    Dataset("queue-members", Snapshot(_queue_members), QUEUE_MEMBERS_STORAGE),
    Dataset("wrapup-codes", Snapshot(_wrapup_codes), WRAPUP_CODES_STORAGE),
    Dataset("divisions", Snapshot(lambda client: client.divisions()), DIVISIONS_STORAGE),
    Dataset(
        "presence-definitions",
        Snapshot(lambda client: client.presence_definitions()),
        PRESENCE_DEFINITIONS_STORAGE,
    ),
)

#: Every dataset, by name, in the order an export reads them.
DATASETS: dict[str, Dataset] = {
    d.name: d for d in (CONVERSATIONS, USER_DETAILS_DATASET, *SNAPSHOTS)
}


def resolve(names: str | Sequence[str]) -> tuple[Dataset, ...]:
    """Datasets by name (``"all"`` for every one), in :data:`DATASETS` order, once each."""
    wanted: list[str] = []
    for entry in [names] if isinstance(names, str) else list(names):
        wanted.extend(part.strip() for part in str(entry).split(",") if part.strip())
    if not wanted:
        raise ConfigError(f"name one or more datasets: {', '.join(DATASETS)} or all.")
    if "all" in wanted:
        return tuple(DATASETS.values())
    unknown = [n for n in wanted if n not in DATASETS]
    if unknown:
        raise ConfigError(
            f"unknown dataset {unknown[0]!r}; use {', '.join(DATASETS)} or all (comma-separated)."
        )
    return tuple(d for name, d in DATASETS.items() if name in wanted)


__all__ = [
    "CONVERSATIONS",
    "DATASETS",
    "SNAPSHOTS",
    "SYSTEM_WRAPUP_CODES",
    "USER_DETAILS_DATASET",
    "Dataset",
    "Details",
    "ListClient",
    "Record",
    "Snapshot",
    "resolve",
    "statuses",
]
