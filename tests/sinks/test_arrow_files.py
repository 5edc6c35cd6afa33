"""CSV and Parquet parts written from Arrow are what DuckDB's COPY writes of the same rows."""

from __future__ import annotations

import io
from datetime import date, timezone
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesys_analytics.sinks.arrow_files import NULL_PARTITION, csv_rows, write_parquet
from genesys_analytics.sinks.columns import conversation_tables
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.schema import SCHEMA, Column, Table
from genesys_analytics.sinks.tables import PartWriter, csv_columns
from genesys_analytics.sinks.vectors import arrow_schema
from tests.sinks.test_reference import conversation

UTC = timezone.utc


def duckdb_csv(tables: dict[str, pa.Table], name: str, tmp_path: Path) -> bytes:
    """What file exports wrote before: DuckDB's COPY of the table (JSON typed as JSON)."""
    table = SCHEMA[name]
    target = tmp_path / f"{name}.duckdb.csv"
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.register("arrow", tables[name])
        columns = ", ".join(
            f"{c.name}::JSON AS {c.name}" if c.sql_type == "JSON" else c.name for c in table.columns
        )
        con.execute(f"CREATE TEMP VIEW {name} AS SELECT {columns} FROM arrow")
        query = f"SELECT {', '.join(csv_columns(table))} FROM {name}"
        con.execute(f"COPY ({query}) TO '{target}' (FORMAT csv, HEADER false)")
    return target.read_bytes()


def arrow_csv(table: pa.Table) -> bytes:
    out = io.BytesIO()
    csv_rows(table.drop_columns(["raw"]) if "raw" in table.column_names else table, out)
    return out.getvalue()


def odd_conversation() -> dict[str, Any]:
    conv = conversation()
    customer = conv["participants"][0]
    customer["participantName"] = 'Ada "the" Customer, Esq.\r\n'
    customer["attributes"] = {"note": "a,b", "quote": '"', "empty": "", "é": "ü\t"}
    customer["purpose"] = ""
    customer["userId"] = "#1"
    customer["sessions"][0]["segments"][0]["segmentStart"] = "2024-05-01T23:58:00.5Z"
    customer["sessions"][0]["segments"][0]["segmentEnd"] = "0999-01-01T00:00:00.000001Z"
    conv["divisionIds"] = ["", "d,2"]
    return conv


def test_csv_of_conversations_is_byte_for_byte_duckdbs(tmp_path: Path) -> None:
    ongoing = conversation()
    ongoing["conversationId"] = "c-ongoing"
    del ongoing["conversationEnd"]
    tables = conversation_tables([conversation(), odd_conversation(), ongoing, {}])
    for name in tables:
        expected = duckdb_csv(tables, name, tmp_path)
        assert expected, name
        assert arrow_csv(tables[name]) == expected, name


#: Python's datetimes, from 0001-01-01 to 9999-12-31, in microseconds since the epoch.
instants = st.integers(-62_135_596_800_000_000, 253_402_300_799_999_999)
#: Any text Arrow holds (no lone surrogates) but NUL, which DuckDB's strings refuse.
any_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.none() | any_text, instants),
        min_size=1,
    )
)
def test_csv_of_any_text_and_instant_is_duckdbs(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str | None, int]]
) -> None:
    schema = arrow_schema(SCHEMA["segments"])
    texts = pa.array([t for t, _ in rows], pa.string())
    micros = pa.array([m for _, m in rows], pa.int64())
    columns = {f.name: pa.nulls(len(rows), f.type) for f in schema}
    columns |= {
        "conversation_id": texts,
        "wrap_up_code": texts,
        "segment_index": micros.cast(pa.int32(), safe=False),
    }
    columns["segment_start"] = micros.cast(schema.field("segment_start").type)
    table = pa.table(columns, schema=schema)
    tables = {"segments": table}
    assert arrow_csv(table) == duckdb_csv(tables, "segments", tmp_path_factory.mktemp("csv"))


def test_an_empty_table_writes_nothing() -> None:
    assert arrow_csv(conversation_tables([])["sessions"]) == b""


def test_a_column_without_a_csv_form_is_refused() -> None:
    with pytest.raises(TypeError, match="no CSV form for a column of double"):
        csv_rows(pa.table({"x": pa.array([1.5])}), io.BytesIO())


def test_parquet_parts_read_back_as_duckdb_wrote_them(tmp_path: Path) -> None:
    """A piece through the part writer: partitioned by the conversation's UTC day, child
    tables too, JSON columns typed JSON, timestamps with time zone, the rows unchanged."""
    late = odd_conversation()
    late["conversationId"] = "c-late"
    late["conversationStart"] = "2024-05-02T00:00:01.000Z"
    for p in late["participants"]:
        p["participantId"] += "-late"
        for s in p["sessions"]:
            s["sessionId"] += "-late"
    convs = [conversation(), late]
    writer = PartWriter("parquet", tmp_path / "spill")
    rows = writer.write(CONVERSATIONS_STORAGE, ((0, orjson.dumps(c)) for c in convs), tmp_path)
    writer.close()
    expected = conversation_tables(convs)
    assert rows == {name: t.num_rows for name, t in expected.items()}
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        for name, table in expected.items():
            files = tmp_path / name / "0"
            assert sorted(p.name for p in files.iterdir()) == [
                "conversation_date=2024-05-01",
                "conversation_date=2024-05-02",
            ]
            source = f"read_parquet('{files}/*/*.parquet', hive_partitioning = true)"
            columns = ", ".join(table.column_names)
            got = con.execute(f"SELECT {columns} FROM {source} ORDER BY ALL").fetchall()
            con.register("expected", table)
            want = con.execute(f"SELECT {columns} FROM expected ORDER BY ALL").fetchall()
            assert got == want, name
            described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
            types = {r[0]: r[1] for r in described}
            for column in SCHEMA[name].columns:
                if column.sql_type == "JSON":
                    assert types[column.name] == "JSON"
                if column.sql_type == "TIMESTAMPTZ":
                    assert types[column.name] == "TIMESTAMP WITH TIME ZONE"
            if name != "conversations":  # the day comes from the directory alone
                assert types["conversation_date"] == "DATE"


def test_parquet_rows_without_a_partition_value_go_to_hives_default(tmp_path: Path) -> None:
    table = pa.table({"x": ["1", "2"], "d": pa.array([date(2024, 5, 1), None], pa.date32())})
    schema = Table("t", (Column("x", "VARCHAR"), Column("d", "DATE")), ("x",))
    write_parquet(table, schema, tmp_path, "d", table.column("d"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d=2024-05-01", f"d={NULL_PARTITION}"]
    with duckdb.connect() as con:
        got = con.execute(
            f"SELECT x, d FROM read_parquet('{tmp_path}/*/*.parquet', hive_partitioning = true) "
            "ORDER BY x"
        ).fetchall()
    assert got == [("1", date(2024, 5, 1)), ("2", None)]
