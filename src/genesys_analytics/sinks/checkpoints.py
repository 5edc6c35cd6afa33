"""The checkpoints a DuckDB export keeps in its file: the table ``_export_chunks``.

A row per finished chunk (its key, what was recorded with it, when), committed with the
chunk's last rows by :class:`~genesys_analytics.sinks.store.DuckDBStore`; each row's ``meta``
names its dataset. :class:`Checkpoints` reads them without writing (a dry run's plan).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import orjson

CHUNKS_TABLE = "_export_chunks"
#: Files written before checkpoints named their dataset hold conversations only.
UNNAMED_CHECKPOINTS = "conversations"


class Checkpoints:
    """The checkpoints of a DuckDB file, read without writing to it (for a dry run).

    A missing file has none. Only ``done_chunks`` is offered: it is read-only.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]:
        if not self.path.is_file():
            return {}
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            found = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                [CHUNKS_TABLE],
            ).fetchone()
            if not found or not found[0]:
                return {}
            rows = con.execute(f"SELECT chunk_key, meta FROM {CHUNKS_TABLE}").fetchall()
        finally:
            con.close()
        return of_dataset(rows, dataset)


def of_dataset(rows: list[tuple[Any, Any]], dataset: str) -> dict[str, dict[str, Any]]:
    done = {}
    for key, text in rows:
        meta = orjson.loads(text) if text else {}
        if meta.get("dataset", UNNAMED_CHECKPOINTS) == dataset:
            done[key] = meta
    return done


__all__ = ["CHUNKS_TABLE", "UNNAMED_CHECKPOINTS", "Checkpoints", "of_dataset"]
