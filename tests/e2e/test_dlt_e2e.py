"""The dlt source end to end: emulator → engine → dlt → duckdb, filesystem (Delta) and Postgres.

Two emulators with one seed stand for one org seen at two moments: ``later`` is ``first``
a day on, so it holds every conversation of ``first`` (the ongoing ones now closed, some
open statuses now ended) and a day more. A first ``pipeline.run`` against ``first`` must
load exactly what a fresh export of ``first`` holds (and the emulator's truth); a second
run of the same pipeline against ``later`` continues from the state, re-reads only its
lookback, and must leave the warehouse equal to a fresh export of ``later``: the new rows
added, the changed ones updated, nothing twice.
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
from genesys_analytics.extraction.datasets import DATASETS
from genesys_analytics.sinks.schema import SCHEMA, Table
from genesys_analytics.timeutil import fmt, parse_instant

from .conftest import NOW
from .postgres_server import postgres_bin, running_postgres

FIRST_NOW, LATER_NOW = NOW, NOW + timedelta(days=1)
START = datetime(2024, 5, 13, tzinfo=NOW.tzinfo)
LOOKBACK = timedelta(hours=48)
SEED, PER_DAY = 5, 40
TABLES: list[Table] = [t for d in DATASETS.values() for t in d.storage.tables]
Rows = dict[str, list[tuple[Any, ...]]]


def settings(now: datetime, days: int) -> EmulatorSettings:
    return EmulatorSettings(seed=SEED, days=days, per_day=PER_DAY, now=now, rate_limit=(6000, 60))


@pytest.fixture(scope="module")
def emulators() -> Iterator[tuple[Any, Any]]:
    with (
        run_emulator(settings(FIRST_NOW, 3)) as first,
        run_emulator(settings(LATER_NOW, 4)) as later,
    ):
        yield first, later


def client_of(emu: Any) -> Client:
    return Client(emu.client_id, emu.client_secret, base_url=emu.base_url)


@pytest.fixture(scope="module")
def fresh(emulators: tuple[Any, Any], tmp_path_factory: pytest.TempPathFactory) -> list[Rows]:
    """Every table of a fresh full export of each emulator, by our own ``export()``."""
    out = []
    for emu in emulators:
        path = tmp_path_factory.mktemp("fresh") / "fresh.duckdb"
        with client_of(emu) as client:
            export(client, START, emu.now, out=path, datasets="all", method="query")
        out.append(duckdb_reader(path, "main")(set(SCHEMA)))
    return out


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
    """The keys of each dataset are the emulator's truth over ``[START, end)``."""
    ids = sorted(r[0] for r in rows["conversations"])
    assert ids == emu.truth(START, end)["ids"]
    statuses = emu.truth(START, end, dataset="user-details")
    for table, kind in (("user_presence", "presence"), ("user_routing_status", "routing")):
        got = sorted([r[1], r[2]] for r in rows[table])  # user_id, start_time
        assert got == sorted(statuses[kind]), table
    for dataset, table in LISTS.items():
        if dataset in datasets:
            got = sorted(r[0] for r in rows[table] if not str(r[0]).startswith("ININ-"))
            assert got == sorted(emu.truth(dataset=dataset)["ids"]), dataset


#: Every dataset into DuckDB; into the others, a time-based dataset of each kind and a list
#: (what differs between destinations is how tables merge, not which dataset fills them).
DATASETS_INTO = {
    "duckdb": list(DATASETS),
    "filesystem": ["conversations", "user-details", "users"],
    "postgres": ["conversations", "user-details", "users"],
}


def destination_of(kind: str, home: Path, postgres: Callable[[], str]) -> tuple[Any, Any, Any]:
    """(dlt destination, table_format, reader of what it holds)."""
    if kind == "duckdb":
        path = home / "warehouse.duckdb"
        return dlt.destinations.duckdb(str(path)), None, duckdb_reader(path)
    if kind == "filesystem":
        lake = home / "lake"
        return dlt.destinations.filesystem(lake.as_uri()), "delta", delta_reader(lake)
    url = postgres()
    return dlt.destinations.postgres(url), None, postgres_reader(url)


def only(rows: Rows, datasets: list[str]) -> Rows:
    names = {t.name for d in datasets for t in DATASETS[d].storage.tables}
    return {name: r for name, r in rows.items() if name in names}


@pytest.mark.parametrize("kind", ["duckdb", "filesystem", "postgres"])
def test_loads_the_truth_then_adds_and_updates_exactly_what_changed(
    kind: str,
    emulators: tuple[Any, Any],
    fresh: list[Rows],
    dlt_home: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, later = emulators
    datasets = DATASETS_INTO[kind]
    names = {t.name for d in datasets for t in DATASETS[d].storage.tables}
    destination, table_format, reader = destination_of(
        kind, dlt_home, lambda: request.getfixturevalue("postgres_url")
    )
    pipeline = dlt.pipeline(
        pipeline_name=f"genesys_{kind}",
        destination=destination,
        dataset_name="genesys",
        pipelines_dir=str(dlt_home / "pipelines"),
    )

    def run(emu: Any, client: Client | None) -> None:
        source = genesys_source(
            start=fmt(START),
            end=emu.now,
            datasets=datasets,
            client=client,
            lookback="48h",
            method="query",
            table_format=table_format,
        )
        pipeline.run(source)

    # First run: credentials from the environment, as the CLI takes them.
    monkeypatch.setenv("GENESYS_CLIENT_ID", first.client_id)
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", first.client_secret)
    monkeypatch.setenv("GENESYS_BASE_URL", first.base_url)
    run(first, None)
    loaded = reader(names)
    assert loaded == only(fresh[0], datasets)
    assert_truth(first, loaded, FIRST_NOW, datasets)
    before = {r[0]: r for r in loaded["conversations"]}
    assert any(r[3] for r in before.values()), "some conversations are ongoing"
    state = pipeline.state["sources"]["genesys"]["resources"]["conversations"]
    assert parse_instant(state["resume_from"]) == FIRST_NOW

    # Second run, a day later: a client argument this time.
    with client_of(later) as client:
        run(later, client)
    loaded = reader(names)
    assert loaded == only(fresh[1], datasets)
    assert_truth(later, loaded, LATER_NOW, datasets)
    after = {r[0]: r for r in loaded["conversations"]}
    assert set(after) > set(before), "the second run added the new conversations"
    closed = [k for k, r in before.items() if r[3] and not after[k][3]]
    assert closed, "conversations ongoing at the first run were updated in place: closed"
    for resource in ("conversations", "user_details"):
        state = pipeline.state["sources"]["genesys"]["resources"][resource]
        assert state["last_read"] == f"{fmt(FIRST_NOW - LOOKBACK)}/{fmt(LATER_NOW)}", resource
        assert parse_instant(state["resume_from"]) == LATER_NOW
