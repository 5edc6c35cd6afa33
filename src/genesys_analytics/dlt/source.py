"""``genesys_source``: a dlt source with one resource per dataset, on the export engine.

Each resource runs the engine (:class:`~genesys_analytics.extraction.engine.Exporter`:
planning, one pacing limiter per client shared by every resource, trimming to
``[start, end)``, the completeness rules, retries) into a private DuckDB staging store in
a temporary directory (:class:`~genesys_analytics.sinks.store.DuckDBStore`: the newer copy
of a key wins, the records flattened into our tables), then hands dlt that store's tables
as Arrow batches and forgets it. The resume point and lookback live in the resource's dlt
state (:mod:`genesys_analytics.dlt.window`), so a later run continues where the last one
ended and re-reads the lookback window; what a failed run extracted is not loaded, and its
state is not saved, so the next run reads it again.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from genesys_analytics.dlt.tables import arrow_batches, table_hints
from genesys_analytics.dlt.window import DEFAULT_LOOKBACK, lookback_of, reading_window, remember
from genesys_analytics.errors import ConfigError
from genesys_analytics.extraction.checkpoints import incremental_start
from genesys_analytics.extraction.datasets import DATASETS, Dataset, resolve
from genesys_analytics.extraction.engine import Exporter, ExportRequest, Method
from genesys_analytics.extraction.fetch import ExportClient
from genesys_analytics.sinks.store import DuckDBStore
from genesys_analytics.timeutil import UTC, Interval, parse_instant

Instant = str | datetime | date
TABLE_FORMATS = ("delta", "iceberg")
RESOURCES = frozenset(name.replace("-", "_") for name in DATASETS)


class _IntendedHints(logging.Filter):
    """Drops dlt's warning that our resources' column hints differ from their Arrow schema:
    they do on purpose (JSON text loaded as the destination's JSON type, keys not null)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "when merging arrow schema with dlt schema" not in message:
            return True
        resource = message.removeprefix("In resource: ").split(",", 1)[0]
        return resource not in RESOURCES


logging.getLogger("dlt").addFilter(_IntendedHints())


@dlt.source(name="genesys")
def genesys_source(
    start: Instant,
    end: Instant | None = None,
    datasets: str | Sequence[str] = ("conversations",),
    client: ExportClient | None = None,
    lookback: timedelta | str = DEFAULT_LOOKBACK,
    method: Method = "auto",
    workers: int = 4,
    table_format: str | None = None,
) -> list[DltResource]:
    """Genesys Cloud analytics as dlt resources, one per dataset.

    ``start``: where the first run starts (later runs continue from their state); ``end``:
    defaults to the time each run starts. ``datasets``: ``conversations``,
    ``user-details``, ``users``, ``queues``, ``queue-members``, ``wrapup-codes``,
    ``divisions``, ``presence-definitions`` or ``all`` (a list, or comma-separated).
    ``client``: a :class:`genesys_analytics.Client`; by default one from the same
    ``GENESYS_*`` variables and ``.env`` as the CLI. ``lookback`` (default 72 h): how much
    before the last resume point each run reads again. ``table_format``: ``"delta"`` (or
    ``"iceberg"``) for the ``filesystem`` destination, where plain Parquet files can only
    be appended to, not merged into.
    """
    chosen = resolve([d.replace("_", "-") for d in _names(datasets)])
    first = parse_instant(_aware(start))
    last = parse_instant(_aware(end)) if end is not None else None
    if last is not None and first >= last:
        raise ConfigError(f"start {start} is not before end {end}; give an earlier start.")
    span = lookback_of(lookback)
    if method not in ("auto", "query", "job"):
        raise ConfigError(f"unknown method {method!r}; use auto, query or job.")
    if workers < 1:
        raise ConfigError("workers must be at least 1.")
    if table_format is not None and table_format not in TABLE_FORMATS:
        raise ConfigError(
            f"unknown table_format {table_format!r}; use {' or '.join(TABLE_FORMATS)}, or none."
        )
    api = client if client is not None else _client_from_env()
    settings = _Run(api, span, method, workers)
    return [_resource(d, settings, first, last, table_format) for d in chosen]


class _Run:
    """What every resource of one source shares: the client (so one limiter) and settings."""

    def __init__(self, client: ExportClient, lookback: timedelta, method: Method, workers: int):
        self.client = client
        self.lookback = lookback
        self.method: Method = method
        self.workers = workers

    def export(self, dataset: Dataset, interval: Interval) -> Iterator[tuple[str, Any, Any]]:
        """Run the engine over ``interval`` into a staging store; yield its tables' batches,
        then ``("", None, resume point)``."""
        with tempfile.TemporaryDirectory(prefix="genesys-dlt-") as tmp:
            store = DuckDBStore(
                Path(tmp) / "staging.duckdb",
                storages=[dataset.storage],
                scratch_dir=Path(tmp) / "batches",
            )
            try:
                request = ExportRequest(
                    interval=interval,
                    datasets=(dataset,),
                    method=self.method,
                    workers=self.workers,
                )
                Exporter(self.client, request).run(store)
                store.commit()
                for table in store.tables:
                    for batch in arrow_batches(store.con, table):
                        yield table.name, batch, None
                yield "", None, incremental_start(store.done_chunks(dataset.name))
            finally:
                store.close()


def _resource(
    dataset: Dataset, run: _Run, start: datetime, end: datetime | None, table_format: str | None
) -> DltResource:
    def read() -> Iterator[Any]:
        state = dlt.current.resource_state()
        end_at = end if end is not None else datetime.now(UTC)
        if dataset.snapshot:  # a list is read whole, as it is now
            interval: Interval | None = Interval(end_at - timedelta(milliseconds=1), end_at)
        else:
            interval = reading_window(state, start, end_at, run.lookback)
        if interval is None:
            return
        resume = None
        for table, batch, point in run.export(dataset, interval):
            if table:
                yield dlt.mark.with_table_name(batch, table)
            else:
                resume = point
        if not dataset.snapshot:
            remember(state, interval, resume, run.lookback)

    # Every item names its table; each table has hints of its own (a variant), which
    # start from the resource's: so the resource itself carries none.
    resource = dlt.resource(read, name=dataset.name.replace("-", "_"))
    for table in dataset.storage.tables:
        hints = table_hints(dataset, table, table_format=table_format)
        resource.apply_hints(create_table_variant=True, **hints)
    return resource


def _client_from_env() -> ExportClient:
    from genesys_analytics.api.client import Client

    return Client.from_env()


def _names(datasets: str | Sequence[str]) -> list[str]:
    return [datasets] if isinstance(datasets, str) else [str(d) for d in datasets]


def _aware(value: Instant) -> Instant:
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ConfigError(f"{value!r} has no timezone; give an aware datetime or an ISO string.")
    return value


__all__ = ["TABLE_FORMATS", "genesys_source"]
