"""What each dataset is: declared once here, so the engine, the sinks and the CLI never name one.

A :class:`Dataset` says

- its ``name`` (what ``export(datasets=...)`` and ``--dataset`` take),
- its ``key``: the record field that identifies a record (the newer copy of a key wins),
- how it is read (``source``): a :class:`Details` family, read chunk by chunk with
  details queries (page number in the body) or async jobs (cursor), whose records belong
  to ``[start, end)`` by one ``timestamp`` field (decisions.md §1, §7); or, for the
  dimension lists, a snapshot read whole from a list endpoint each time,
- its ``storage`` (:class:`genesys_analytics.sinks.schema.Storage`): its tables and the
  SQL that flattens a batch of records into them.

Conversations are declared below. A new time-based dataset (user details: records of
presence and routing status, keyed by user, kind and ``startTime``) is a new
``Dataset`` with ``Details(USER_DETAILS, timestamp="startTime", records=...)`` that
explodes each ``userDetails`` item into its status records, plus its ``Storage``; the
engine plans, paces, trims, dedupes and checkpoints it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from genesys_analytics.api import queries
from genesys_analytics.api.queries import CONVERSATION_DETAILS, DetailsApi, Filters
from genesys_analytics.errors import ConfigError
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.schema import Storage
from genesys_analytics.timeutil import Interval

Record = dict[str, Any]


def _same(items: list[Record]) -> Iterable[Record]:
    return items


@dataclass(frozen=True)
class Details:
    """A time-based dataset read through a details family (query and jobs).

    ``records`` turns the items of one page into records (identity for conversations);
    ``page_key`` names the item field used to notice an item seen on two pages of one
    read (the sign that pages shifted under the reader, decisions.md §3).
    """

    api: DetailsApi
    timestamp: str
    query_body: Callable[[Interval, Filters], dict[str, Any]]
    job_body: Callable[[Interval, Filters], dict[str, Any]]
    page_key: str
    records: Callable[[list[Record]], Iterable[Record]] = _same


@dataclass(frozen=True)
class Dataset:
    name: str
    source: Details
    storage: Storage

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
        query_body=lambda interval, filters: queries.details_query(interval, filters=filters),
        job_body=lambda interval, filters: queries.job_query(interval, filters=filters),
        page_key=queries.CONVERSATION_ID,
    ),
    storage=CONVERSATIONS_STORAGE,
)

#: Every dataset, by name, in the order an export reads them.
DATASETS: dict[str, Dataset] = {d.name: d for d in (CONVERSATIONS,)}


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


__all__ = ["CONVERSATIONS", "DATASETS", "Dataset", "Details", "Record", "resolve"]
