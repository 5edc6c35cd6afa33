"""The dlt source end to end: emulator → engine → dlt → duckdb, filesystem (Delta) and Postgres.

One emulator with late data (some conversations are served stale, then revised: a wrap-up
code added, a metric corrected) is read by a first ``pipeline.run``; then its "now" moves
on a day (ongoing conversations and open statuses close, revisions land, a day of new
data appears) and a second run of the same pipeline continues from dlt's state,
re-reading the default 72 h lookback. After each run the warehouse must equal a fresh
export of the same interval by our own ``export()`` (every column of every table) and
the emulator's truth (the keys of each dataset, and the latest content of every
conversation and status record): the new rows added, the changed ones updated, nothing
twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import duckdb
import psycopg2
import pytest
from deltalake import DeltaTable

from genesys_analytics import Client, export
from genesys_analytics.dlt import genesys_source
from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.extraction.checkpoints import incremental_start
from genesys_analytics.extraction.datasets import DATASETS
from genesys_analytics.sinks.checkpoints import Checkpoints
from genesys_analytics.sinks.schema import Table
from genesys_analytics.timeutil import fmt, parse_instant

from .conftest import NOW
from .postgres_server import postgres_bin, running_postgres

FIRST_NOW, LATER_NOW = NOW, NOW + timedelta(days=1)
START = datetime(2024, 5, 12, tzinfo=NOW.tzinfo)  # the emulator's first day
LOOKBACK = timedelta(hours=72)  # the default: revisions land up to 60 h after a start
TABLES: list[Table] = [t for d in DATASETS.values() for t in d.storage.tables]
Rows = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def emulator() -> Iterator[Any]:
    """Its own per test: its "now" only moves forward."""
    settings = EmulatorSettings(
        seed=5, days=4, per_day=40, now=FIRST_NOW, late_data=0.3, rate_limit=(6000, 60)
    )
    with run_emulator(settings) as emu:
        yield emu


def client_of(emu: Any) -> Client:
    return Client(emu.client_id, emu.client_secret, base_url=emu.base_url)


def fresh_export(emu: Any, end: datetime, datasets: list[str], out: Path) -> Rows:
    """Every table of a fresh export of ``[START, end)`` by our own ``export()``."""
    with client_of(emu) as client:
        export(client, START, end, out=out, datasets=datasets, method="query")
    return duckdb_reader(out, "main")(names_of(datasets))


def resume_points(store: Path) -> dict[str, datetime]:
    """Where `export --incremental` would continue each time-based dataset of ``store``."""
    found = {}
    for resource, dataset in (("conversations", "conversations"), ("user_details", "user-details")):
        point = incremental_start(Checkpoints(store).done_chunks(dataset))
        assert point is not None, dataset
        found[resource] = point
    return found


def names_of(datasets: list[str]) -> set[str]:
    return {t.name for d in datasets for t in DATASETS[d].storage.tables}


# -- reading a warehouse back, in one shape whatever the destination -------------------


def select(table: Table, schema: str) -> str:
    return f"SELECT {', '.join(table.names)} FROM {schema}.{table.name}"


def normal(value: Any, sql_type: str) -> Any:
    """One spelling per value: JSON parsed and re-dumped, instants in the API's format."""
    if value is None:
        return None
    if sql_type == "READ_AT":
        return "set"
    if sql_type == "JSON" or sql_type.endswith("[]"):
        parsed = json.loads(value) if isinstance(value, str) else value
        return json.dumps(parsed, sort_keys=True)
    if isinstance(value, datetime):
        return fmt(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def read_tables(
    fetch: Callable[[Table], list[tuple[Any, ...]]], names: set[str] | None = None
) -> Rows:
    """The tables' rows, normalized and sorted (``fetched_at``: only whether it is set)."""
    rows = {}
    for table in TABLES:
        if names is not None and table.name not in names:
            continue
        types = ["READ_AT" if c.name == "fetched_at" else c.sql_type for c in table.columns]
        got = [tuple(normal(v, t) for v, t in zip(row, types, strict=True)) for row in fetch(table)]
        rows[table.name] = sorted(got, key=repr)
    return rows


Reader = Callable[[set[str]], Rows]


def duckdb_reader(path: Path, schema: str = "genesys") -> Reader:
    def read(names: set[str]) -> Rows:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return read_tables(lambda t: con.sql(select(t, schema)).fetchall(), names)
        finally:
            con.close()

    return read


def postgres_reader(url: str) -> Reader:
    def read(names: set[str]) -> Rows:
        with psycopg2.connect(url) as con, con.cursor() as cur:

            def fetch(table: Table) -> list[tuple[Any, ...]]:
                cur.execute(select(table, "genesys"))
                return list(cur.fetchall())

            return read_tables(fetch, names)

    return read


def delta_reader(root: Path) -> Reader:
    def fetch(table: Table) -> list[tuple[Any, ...]]:
        data = DeltaTable(str(root / "genesys" / table.name)).to_pyarrow_table()
        return [tuple(row[n] for n in table.names) for row in data.select(table.names).to_pylist()]

    return lambda names: read_tables(fetch, names)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    bindir = postgres_bin()
    if bindir is None:
        message = "PostgreSQL server binaries (Debian's postgresql package) are not installed"
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run installs them")
        pytest.skip(message)
    with running_postgres(bindir) as url:
        yield url


@pytest.fixture
def dlt_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """dlt's files in the test's directory, none in ~; no telemetry; no .env around."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    for name in list(os.environ):
        if name.startswith(("GENESYS", "GENESYSCLOUD")):
            monkeypatch.delenv(name)
    return tmp_path


# -- the tests --------------------------------------------------------------------------


LISTS = {
    "users": "users",
    "queues": "queues",
    "wrapup-codes": "wrapup_codes",
    "divisions": "divisions",
    "presence-definitions": "presence_definitions",
}


def assert_truth(emu: Any, rows: Rows, end: datetime, datasets: list[str]) -> None:
    """Each dataset is the emulator's truth over ``[START, end)``: keys and latest content."""
    truth = emu.truth(START, end, content=True)
    assert sorted(r[0] for r in rows["conversations"]) == truth["ids"]
    raw = {r[0]: json.loads(r[-1]) for r in rows["conversations"]}
    assert raw == truth["conversations"], "every conversation as the service has it now"
    statuses = emu.truth(START, end, dataset="user-details", content=True)
    for table, kind in (("user_presence", "presence"), ("user_routing_status", "routing")):
        got = sorted([r[1], r[2]] for r in rows[table])  # user_id, start_time
        assert got == sorted(statuses[kind]), table
    records = [json.loads(r[-1]) for t in ("user_presence", "user_routing_status") for r in rows[t]]
    for record in records:
        del record["recordKey"]
    assert sorted(records, key=_status_key) == sorted(statuses["records"], key=_status_key)
    for dataset, table in LISTS.items():
        if dataset in datasets:
            got = sorted(r[0] for r in rows[table] if not str(r[0]).startswith("ININ-"))
            assert got == sorted(emu.truth(dataset=dataset)["ids"]), dataset


def _status_key(record: dict[str, Any]) -> tuple[str, str, str]:
    return record["userId"], record["kind"], record["startTime"]


#: Every dataset into DuckDB; into the others, a time-based dataset of each kind and a list
#: (what differs between destinations is how tables merge, not which dataset fills them).
DATASETS_INTO = {
    "duckdb": list(DATASETS),
    "filesystem": ["conversations", "user-details", "users"],
    "postgres": ["conversations", "user-details", "users"],
}


class Warehouse:
    """One destination, its dlt pipeline and a reader of what it holds."""

    def __init__(self, kind: str, home: Path, postgres_url: str) -> None:
        self.kind = kind
        self.datasets = DATASETS_INTO[kind]
        self.table_format: str | None = None
        if kind == "duckdb":
            destination: Any = dlt.destinations.duckdb(str(home / "warehouse.duckdb"))
            self.reader = duckdb_reader(home / "warehouse.duckdb")
        elif kind == "filesystem":
            destination = dlt.destinations.filesystem((home / "lake").as_uri())
            self.reader, self.table_format = delta_reader(home / "lake"), "delta"
        else:
            destination = dlt.destinations.postgres(postgres_url)
            self.reader = postgres_reader(postgres_url)
        self.pipeline = dlt.pipeline(
            pipeline_name=f"genesys_{kind}",
            destination=destination,
            dataset_name="genesys",
            pipelines_dir=str(home / "pipelines"),
        )

    def run(self, end: datetime, client: Client | None) -> Rows:
        source = genesys_source(
            start=fmt(START),
            end=end,
            datasets=self.datasets,
            client=client,
            method="query",
            table_format=self.table_format,
        )
        self.pipeline.run(source)
        return self.reader(names_of(self.datasets))

    def state(self, resource: str) -> dict[str, Any]:
        state: dict[str, Any] = self.pipeline.state["sources"]["genesys"]["resources"][resource]
        return state


@pytest.mark.timeout(300)  # ~40 s on an idle machine; two cores shared with others take longer
def test_three_destinations_load_the_truth_then_add_and_update_exactly_what_changed(
    emulator: Any, dlt_home: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouses = [Warehouse(k, dlt_home, postgres_url) for k in DATASETS_INTO]

    # First runs: credentials from the environment, as the CLI takes them.
    monkeypatch.setenv("GENESYS_CLIENT_ID", emulator.client_id)
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", emulator.client_secret)
    monkeypatch.setenv("GENESYS_BASE_URL", emulator.base_url)
    first = {w.kind: w.run(FIRST_NOW, None) for w in warehouses}
    fresh = fresh_export(emulator, FIRST_NOW, list(DATASETS), dlt_home / "first.duckdb")
    # The resume point is `export --incremental`'s: where the complete stretch of a fresh
    # export ends. Ongoing conversations hold it back (they are read again until they end).
    resumes = resume_points(dlt_home / "first.duckdb")
    assert resumes["conversations"] < FIRST_NOW, "an ongoing conversation holds it back"
    for w in warehouses:
        loaded = first[w.kind]
        assert loaded == {name: fresh[name] for name in loaded}, w.kind
        assert_truth(emulator, loaded, FIRST_NOW, w.datasets)
        for resource, point in resumes.items():
            assert parse_instant(w.state(resource)["resume_from"]) == point, (w.kind, resource)
    assert any(r[3] for r in first["duckdb"]["conversations"]), "some are ongoing"  # ongoing

    # A day later (a client argument this time): the same org, revised and grown.
    assert emulator.set_now(advance="1d") == LATER_NOW
    with client_of(emulator) as client:
        later = {w.kind: w.run(LATER_NOW, client) for w in warehouses}
    fresh = fresh_export(emulator, LATER_NOW, list(DATASETS), dlt_home / "later.duckdb")
    later_resumes = resume_points(dlt_home / "later.duckdb")
    for w in warehouses:
        loaded = later[w.kind]
        assert loaded == {name: fresh[name] for name in loaded}, w.kind
        assert_truth(emulator, loaded, LATER_NOW, w.datasets)
        before = {r[0]: r for r in first[w.kind]["conversations"]}
        after = {r[0]: r for r in loaded["conversations"]}
        assert set(after) > set(before), f"{w.kind}: the second run added new conversations"
        closed = [k for k, r in before.items() if r[3] and not after[k][3]]
        assert closed, f"{w.kind}: conversations ongoing at the first run were closed in place"
        revised = [k for k, r in before.items() if not r[3] and after[k] != r]
        assert revised, f"{w.kind}: finished conversations revised late were updated in place"
        for resource, point in later_resumes.items():
            state = w.state(resource)
            begin = max(resumes[resource] - LOOKBACK, START)
            assert state["last_read"] == f"{fmt(begin)}/{fmt(LATER_NOW)}", (w.kind, resource)
            assert parse_instant(state["resume_from"]) == point, (w.kind, resource)
