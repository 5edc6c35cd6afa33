"""Reports from a DuckDB store written by ``export``, instead of from the API.

:class:`StoredExport` opens the file **read-only** and gives, for an interval, what the
API path of a report would have read: the raw conversations that started in it (the
store keeps each one losslessly as ``raw``), the user-details records that started in
it or in the ``LEAD`` before it, and ids → names from the dimension snapshots. The
reports then run the very same code on them, so both paths print the same numbers.

Before reading a dataset it checks that the store's checkpoints cover the interval asked
for (with the same filters), and otherwise says which interval to export into the file:
a store that holds only part of an interval would give a report that is silently short.
Chunks recorded as *live* count as covered: their rows are what the service had when
they were exported (``export --incremental`` refreshes them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import orjson

from genesys_analytics.api.queries import Filters
from genesys_analytics.errors import ConfigError, GenesysError
from genesys_analytics.extraction.checkpoints import matching
from genesys_analytics.extraction.plan import remaining
from genesys_analytics.reports.agents import LEAD, Status, StatusCollector
from genesys_analytics.reports.details import Facts, facts_of
from genesys_analytics.reports.kpi import digests_table, report_of
from genesys_analytics.reports.kpi_names import Names
from genesys_analytics.reports.kpi_observations import digest
from genesys_analytics.reports.model import VolumeReport
from genesys_analytics.reports.queue_names import QueueNames
from genesys_analytics.sinks.checkpoints import CHUNKS_TABLE, UNNAMED_CHECKPOINTS
from genesys_analytics.timeutil import Interval, fmt

CONVERSATIONS = "conversations"
USER_DETAILS = "user-details"
#: The tables each dataset is read from (``raw`` holds the record as the API gave it).
_TABLES = {
    CONVERSATIONS: ("conversations",),
    USER_DETAILS: ("user_presence", "user_routing_status"),
}
_FETCH = 1000


class StoredExport:
    """One DuckDB file written by ``genesys-analytics export``, opened read-only."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise ConfigError(
                f"--from {self.path}: no such file; give a DuckDB file written by "
                "`genesys-analytics export` (e.g. --from genesys.duckdb)."
            )
        if not self.path.is_file():
            raise ConfigError(f"--from {self.path} is a directory; give a DuckDB file.")
        try:
            self.con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as exc:
            raise ConfigError(_unreadable(self.path, exc)) from None
        try:
            self.con.execute("SET TimeZone = 'UTC'")
            self.tables = {
                name
                for (name,) in self.con.execute(
                    "SELECT table_name FROM information_schema.tables"
                ).fetchall()
            }
            if CHUNKS_TABLE not in self.tables:
                raise ConfigError(
                    f"--from {self.path} is a DuckDB file but not an export of "
                    "genesys-analytics (it has no export checkpoints); give the --out "
                    "file of `genesys-analytics export`."
                )
            self._chunks = self.con.execute(
                f"SELECT chunk_key, meta FROM {CHUNKS_TABLE}"
            ).fetchall()
        except BaseException:
            self.con.close()
            raise

    # -- context manager --------------------------------------------------------------

    def __enter__(self) -> StoredExport:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # -- what the store covers ----------------------------------------------------------

    def checkpoints(self, dataset: str) -> dict[str, dict[str, Any]]:
        done = {}
        for key, text in self._chunks:
            meta = orjson.loads(text) if text else {}
            if meta.get("dataset", UNNAMED_CHECKPOINTS) == dataset:
                done[key] = meta
        return done

    def covered(self, dataset: str, filters: Filters | None = None) -> list[Interval]:
        """The spans the store's checkpoints of ``dataset`` (with these filters) cover."""
        spans = []
        for meta in matching(self.checkpoints(dataset), filters or Filters()).values():
            try:
                spans.append(Interval.of(meta["start"], meta["end"]))
            except (KeyError, GenesysError):
                continue
        return sorted(spans)

    def require(
        self, dataset: str, needed: Interval, filters: Filters | None = None, *, why: str = ""
    ) -> None:
        """ConfigError, naming what to export, unless the store covers ``needed``."""
        held = all(t in self.tables for t in _TABLES[dataset])
        missing = remaining(needed, self.covered(dataset, filters)) if held else [needed]
        if not missing:
            return
        gap = Interval(missing[0].start, missing[-1].end)
        described = (filters or Filters()).describe()
        options = _filter_options(filters or Filters())
        reason = f" ({why})" if why else ""
        raise ConfigError(
            f"{self.path} does not hold {dataset} for {gap}"
            + (f" with filters {described}" if described else "")
            + f"{reason}: run `genesys-analytics export --dataset {dataset} "
            f"--start {fmt(needed.start)} --end {fmt(needed.end)}{options} "
            f"--out {self.path} --resume` first, or report on an interval it holds."
        )

    # -- records ------------------------------------------------------------------------

    def conversations(
        self, interval: Interval, filters: Filters | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every conversation that started in ``interval``, as the API gave it."""
        self.require(CONVERSATIONS, interval, filters)
        yield from self._raw(
            "SELECT raw FROM conversations WHERE conversation_start >= ? "
            "AND conversation_start < ? ORDER BY conversation_start, conversation_id",
            interval,
        )

    def user_details(self, interval: Interval, *, why: str = "") -> Iterator[dict[str, Any]]:
        """Every presence and routing-status record that started in ``interval``."""
        self.require(USER_DETAILS, interval, why=why)
        for table in _TABLES[USER_DETAILS]:
            yield from self._raw(
                f"SELECT raw FROM {table} WHERE start_time >= ? AND start_time < ? "
                "ORDER BY start_time, record_key",
                interval,
            )

    def _raw(self, sql: str, interval: Interval) -> Iterator[dict[str, Any]]:
        cursor = self.con.execute(sql, [interval.start, interval.end])
        while rows := cursor.fetchmany(_FETCH):
            for (raw,) in rows:
                yield orjson.loads(raw)

    # -- dimension snapshots ------------------------------------------------------------

    def snapshot(self, table: str) -> list[dict[str, Any]]:
        """The raw entities of a dimension snapshot (``queues``, ``users``, ...)."""
        dataset = table.replace("_", "-")
        if table not in self.tables or not self.checkpoints(dataset):
            raise ConfigError(
                f"{self.path} holds no {dataset} list, which this report needs for names: "
                f"run `genesys-analytics export --dataset {dataset} --out {self.path}` first."
            )
        sql = f"SELECT raw FROM {table} ORDER BY 1"
        return [orjson.loads(raw) for (raw,) in self.con.execute(sql).fetchall()]

    def fetched_at(self, table: str) -> datetime | None:
        """When the snapshot in ``table`` was read (``None`` without one)."""
        if table not in self.tables:
            return None
        row = self.con.execute(f"SELECT max(fetched_at) FROM {table}").fetchone()
        return row[0] if row else None

    def queues(self, *, page_size: int = 500) -> Iterator[Mapping[str, Any]]:
        """The queues snapshot, shaped like ``Client.queues`` (for filter names)."""
        del page_size
        yield from self.snapshot("queues")

    def queue_names(self) -> QueueNames:
        return QueueNames(lambda: self.snapshot("queues"))

    def user_names(self) -> QueueNames:
        return QueueNames(lambda: self.snapshot("users"))


def stored_facts(
    store: StoredExport, interval: Interval, filters: Filters | None = None
) -> list[Facts]:
    """What ``collect_facts`` reads from the API, read from the store."""
    return [facts_of(conv) for conv in store.conversations(interval, filters)]


def stored_statuses(store: StoredExport, interval: Interval) -> list[Status]:
    """What ``collect_statuses`` reads from the API (``LEAD`` included), from the store."""
    lead = Interval(interval.start - LEAD, interval.end)
    why = (
        f"time in a status over {interval} counts records that began up to {LEAD.days} days before"
    )
    collector = StatusCollector()
    collector.write(USER_DETAILS, store.user_details(lead, why=why))
    return list(collector.statuses.values())


def stored_names(store: StoredExport, *, users: bool = True, wrapups: bool = True) -> Names:
    """What ``Names.of`` reads from the API (queues always: their service-level targets).

    The export's list also holds the system wrap-up codes (``system``: true); ``Names``
    names them itself from the same definition (``extraction.datasets.SYSTEM_WRAPUP_CODES``),
    so the stored copies are left out: a store written by an older version named them
    otherwise.
    """
    codes = store.snapshot("wrapup_codes") if wrapups else []
    return Names.from_lists(
        store.snapshot("queues"),
        store.snapshot("users") if users else (),
        [code for code in codes if code.get("system") is not True],
    )


def stored_kpis(
    store: StoredExport, interval: Interval, by: tuple[str, ...], time_zone: str
) -> tuple[VolumeReport, Names]:
    """The ``kpi --source details`` report, from the store."""
    names = stored_names(store, users="user" in by, wrapups="wrapUpCode" in by)
    digests = [digest(conv, names) for conv in store.conversations(interval)]
    table = digests_table(digests, interval, by, time_zone)
    return report_of(table, interval, "details", time_zone), names


def _unreadable(path: Path, exc: duckdb.Error) -> str:
    text = str(exc)
    if "lock" in text.lower():
        return (
            f"--from {path} is being written by another process (an export?); "
            "run the report when it has finished."
        )
    return (
        f"--from {path} is not a DuckDB file (DuckDB says: {text.splitlines()[0][:160]}); "
        "give the --out file of `genesys-analytics export`."
    )


def _filter_options(filters: Filters) -> str:
    meta = filters.as_meta()
    names = {
        "media_type": "--media-type",
        "queue_id": "--queue",
        "originating_direction": "--direction",
    }
    return "".join(
        f" {names[k]} {','.join(v)}" for k, v in meta.items() if k in names and isinstance(v, list)
    )


__all__ = [
    "CONVERSATIONS",
    "USER_DETAILS",
    "StoredExport",
    "stored_facts",
    "stored_kpis",
    "stored_names",
    "stored_statuses",
]
