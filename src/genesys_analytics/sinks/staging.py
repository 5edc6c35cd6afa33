"""The files beside an output: a file export's parts and every DuckDB file's scratch.

- ``<out>.parts/`` holds a file export until it is complete (:mod:`genesys_analytics.sinks.parts`):
  its checkpointed chunks with their part files, what it exports (format, interval),
  and its spool. :func:`staged_export` reads what an interrupted one holds, so a run
  without ``--resume`` can refuse to discard it instead of starting over silently.
- ``<db>.tmp/`` is the scratch directory of a DuckDB file, and DuckDB's own temp
  directory for it: the store's batch file and DuckDB's spill files go there. It is
  removed when the sink closes; a run killed with SIGKILL leaves it, and the next run on
  the same output clears what an export writes there (and nothing else).
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from genesys_analytics.errors import ConfigError
from genesys_analytics.sinks.checkpoints import CHUNKS_TABLE
from genesys_analytics.sinks.parts import Parts, parts_path
from genesys_analytics.sinks.store import BATCH_FILES


def scratch_path(db: Path) -> Path:
    """The scratch directory of a DuckDB file: DuckDB's own temp directory for it.

    It holds the store's batch file and DuckDB's spill files; it is removed when the
    sink closes.
    """
    return db.with_name(db.name + ".tmp")


#: Names in a scratch directory that an export writes (anything else there is left alone).
_SCRATCH = BATCH_FILES
_DUCKDB_TEMP = "duckdb_temp"


@dataclass(frozen=True)
class Staged:
    """An interrupted file export, as its parts directory records it."""

    path: Path  # the parts directory
    format: str | None  # None: nothing recorded yet
    interval: str | None
    chunks: int  # checkpointed chunks: how much a resume would keep

    def describe(self) -> str:
        what = f"{self.format} export" if self.format else "export"
        return f"an interrupted {what}" + (f" of {self.interval}" if self.interval else "")


def staged_export(path: Path) -> Staged | None:
    """The interrupted export staged for the file output ``path``, if there is one.

    Raises ``ConfigError`` when ``<path>.parts`` is not ours.
    """
    parts = Parts(parts_path(path))
    if not parts.root.exists() and not parts.root.is_symlink():
        return None
    if not parts.ours():
        raise ConfigError(
            f"{parts.root} is in the way: it is not a parts directory of genesys-analytics; "
            "move it away, or choose another --out."
        )
    info = parts.info() or {}
    return Staged(parts.root, info.get("format"), info.get("interval"), len(parts.chunks()))


class StagedCheckpoints:
    """The checkpoints of a file export staged at ``path``, read without writing (dry run)."""

    def __init__(self, path: Path) -> None:
        self.parts = Parts(parts_path(path))

    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]:
        if not self.parts.ours():
            return {}
        return self.parts.done_chunks(dataset)


def remove_unused_store(path: Path) -> bool:
    """Remove the DuckDB file at ``path`` if it records no checkpoint; say if it did.

    For a file the caller created in a run that failed before finishing one chunk (bad
    credentials, a closed port): it holds nothing worth keeping.
    """
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        row = None
        if CHUNKS_TABLE in tables:
            row = con.execute(f"SELECT count(*) FROM {CHUNKS_TABLE}").fetchone()
    finally:
        con.close()
    if row is None or row[0]:  # not a store of ours, or one with finished chunks
        return False
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    tidy_scratch(scratch_path(path))
    return True


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def sweep_scratch(scratch: Path) -> None:
    """Remove what a killed run left in ``scratch`` (call it holding the database's lock)."""
    if not scratch.is_dir():
        return
    for entry in scratch.iterdir():
        if entry.name in _SCRATCH or entry.name.startswith(_DUCKDB_TEMP):
            remove(entry)


def tidy_scratch(scratch: Path) -> None:
    """Remove ``scratch`` if the export's files were all it held."""
    sweep_scratch(scratch)
    with contextlib.suppress(OSError):
        scratch.rmdir()


__all__ = [
    "Staged",
    "StagedCheckpoints",
    "remove",
    "remove_unused_store",
    "scratch_path",
    "staged_export",
    "sweep_scratch",
    "tidy_scratch",
]
