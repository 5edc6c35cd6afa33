"""What a DuckDB file's refusal to take a write means to the caller.

DuckDB says "Out of Memory Error" when a write needs more than its memory cap
(``GENESYS_DUCKDB_MEMORY``) and "IO Error" when the disk is full or the file unwritable;
both end an export that can be resumed (what was checkpointed is kept), so the caller gets
one sentence that says what to change, not DuckDB's text and a traceback.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from genesys_analytics.errors import OutputFailed


def output_error(path: Path, memory_limit: str, exc: BaseException) -> BaseException:
    """The error to raise for DuckDB's ``exc`` while writing ``path``: :class:`OutputFailed`
    (one sentence: what to do) when the file could not take the write (out of its memory
    cap, a full or unwritable disk), ``exc`` itself otherwise."""
    again = "then run the same command again (an export continues with --resume)"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return OutputFailed(
            f"DuckDB needed more memory than its cap ({memory_limit}) to write {path}; "
            f"set GENESYS_DUCKDB_MEMORY higher (e.g. 256MB) and {again}."
        )
    if isinstance(exc, duckdb.IOException):
        reason = str(exc).split("\n")[0].removeprefix("IO Error: ")
        return OutputFailed(
            f"could not write {path} ({reason}); free disk space or fix the permissions, {again}."
        )
    return exc


__all__ = ["output_error"]
