"""A DuckDB file that refuses a write (sinks/refusal.py): one sentence saying what to do."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from genesys_analytics.config import StoreSettings
from genesys_analytics.errors import EXIT_CODES, OutputFailed
from genesys_analytics.sinks.refusal import output_error
from genesys_analytics.sinks.store import DuckDBStore
from tests.sinks.test_files import conv


def test_out_of_memory_names_the_cap_and_the_setting_that_raises_it() -> None:
    exc = duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")
    error = output_error(Path("/data/out.duckdb"), "48MB", exc)
    assert isinstance(error, OutputFailed)
    text = str(error)
    assert "(48MB)" in text and "GENESYS_DUCKDB_MEMORY" in text and "--resume" in text
    assert "/data/out.duckdb" in text and "\n" not in text
    assert EXIT_CODES[OutputFailed] == OutputFailed.exit_code == 12


def test_a_full_disk_says_free_space_with_duckdbs_reason_in_one_line() -> None:
    text = 'IO Error: Could not write file "x.wal": No space left on device\nmore'
    exc = duckdb.IOException(text)
    error = output_error(Path("out.duckdb"), "48MB", exc)
    assert isinstance(error, OutputFailed)
    text = str(error)
    assert 'Could not write file "x.wal": No space left on device' in text
    assert "free disk space" in text and "IO Error" not in text and "more" not in text


def test_other_duckdb_errors_are_left_as_they_are() -> None:
    exc = duckdb.CatalogException("Catalog Error: Table with name x does not exist!")
    assert output_error(Path("out.duckdb"), "48MB", exc) is exc


def _big(i: int) -> dict[str, object]:
    c = conv(f"c{i:05d}", f"2024-05-01T{i % 24:02d}:00:00.000Z")
    c["participants"][0]["attributes"] = {"note": "x" * 4000}  # type: ignore[index]
    return c


def test_a_store_over_its_memory_cap_raises_output_failed_and_keeps_what_was_checkpointed(
    tmp_path: Path,
) -> None:
    db = tmp_path / "out.duckdb"
    store = DuckDBStore(db, settings=StoreSettings("64MB", 1))
    store.write("conversations", [_big(i) for i in range(10)])
    store.checkpoint("conversations", "chunk-1", {})
    store.close()
    small = DuckDBStore(db, settings=StoreSettings("4MB", 1))
    small.write("conversations", [_big(i) for i in range(10, 1510)])  # one batch, ~6 MB
    with pytest.raises(OutputFailed, match=r"more memory than its cap \(4MB\)") as caught:
        small.checkpoint("conversations", "chunk-2", {})
    assert isinstance(caught.value.__cause__, duckdb.OutOfMemoryException)
    small.close()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select chunk_key from _export_chunks").fetchall() == [("chunk-1",)]
    assert con.execute("select count(*) from conversations").fetchone() == (10,)
