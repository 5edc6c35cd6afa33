"""The files beside an output: the staging file of a file export and every DuckDB file's scratch.

- ``<out>.staging.duckdb`` holds a file export until it is complete: its rows, its
  checkpoints and (in ``_staged_export``) the format and interval it stages.
  :func:`staged_export` reads what an interrupted one holds, so a run without
  ``--resume`` can refuse to discard it instead of starting over silently.
- ``<db>.tmp/`` is the scratch directory of a DuckDB file, and DuckDB's own temp
  directory for it: the store's batch file, DuckDB's spill files and a file output
  being written go there. It is removed when the sink closes; a run killed with SIGKILL
  leaves it, and the next run on the same output clears what an export writes there
  (and nothing else).
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from genesys_analytics.errors import ConfigError
from genesys_analytics.sinks.store import BATCH_FILE, CHUNKS_TABLE

#: The staging file's record of the export it stages: its format and interval.
RUN_TABLE = "_staged_export"


def staging_path(path: Path) -> Path:
    """The DuckDB file a file output is staged in until it is complete."""
    return path.with_name(path.name + ".staging.duckdb")


def scratch_path(db: Path) -> Path:
    """The scratch directory of a DuckDB file: DuckDB's own temp directory for it.

    It holds the store's batch file, DuckDB's spill files and, for a file output, the
    output being written; it is removed when the sink closes.
    """
    return db.with_name(db.name + ".tmp")


def temp_path(path: Path) -> Path:
    """Where a file output is written before it is renamed to ``path``."""
    return scratch_path(staging_path(path)) / OUTPUT


#: Names in a scratch directory that an export writes (anything else there is left alone).
OUTPUT = "output"
PART = "output.part"
PREVIOUS = "previous"
_SCRATCH = (BATCH_FILE, OUTPUT, PART, PREVIOUS)
_DUCKDB_TEMP = "duckdb_temp"


@dataclass(frozen=True)
class Staged:
    """An interrupted file export, as its staging file records it."""

    path: Path  # the staging file
    format: str | None  # None: staged by a version that did not record it
    interval: str | None
    chunks: int  # checkpointed chunks: how much a resume would keep

    def describe(self) -> str:
        what = f"{self.format} export" if self.format else "export"
        return f"an interrupted {what}" + (f" of {self.interval}" if self.interval else "")


def staged_export(path: Path) -> Staged | None:
    """The interrupted export staged for the file output ``path``, if there is one."""
    staging = staging_path(path)
    if not staging.exists():
        return None
    if not staging.is_file():
        raise _in_the_way(staging)
    if staging.stat().st_size == 0:  # holds nothing: starting over loses nothing
        return Staged(staging, None, None, 0)
    try:
        con = duckdb.connect(str(staging), read_only=True)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            raise ConfigError(
                f"another export is writing {path} right now ({staging} is locked); "
                "wait for it to end, or choose another --out."
            ) from None
        raise _in_the_way(staging) from None
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if CHUNKS_TABLE not in tables:
            raise _in_the_way(staging)
        row = con.execute(f"SELECT count(*) FROM {CHUNKS_TABLE}").fetchone()
        chunks = row[0] if row else 0
        staged_fmt = interval = None
        if RUN_TABLE in tables:
            found = con.execute(f"SELECT format, interval FROM {RUN_TABLE}").fetchone()
            if found:
                staged_fmt, interval = found
    finally:
        con.close()
    return Staged(staging, staged_fmt, interval, chunks)


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


def _in_the_way(staging: Path) -> ConfigError:
    return ConfigError(
        f"{staging} is in the way: it is not a staging file of genesys-analytics; "
        "move it away, or choose another --out."
    )


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
    "OUTPUT",
    "PART",
    "PREVIOUS",
    "RUN_TABLE",
    "Staged",
    "remove",
    "remove_unused_store",
    "scratch_path",
    "staged_export",
    "staging_path",
    "sweep_scratch",
    "temp_path",
    "tidy_scratch",
]
