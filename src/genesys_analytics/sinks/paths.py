"""Where an export goes: what is there already, and whether the export may replace it.

Checked before any request, and again by a file sink just before it renames its output
into place. The rule: an export replaces only what is recognisably an earlier export of
ours, and says so; anything else is refused with one sentence (``ConfigError``, exit 2),
and ``force`` allows replacing a *file* that is not ours. A directory is never emptied
of files we did not write, whatever ``force`` says.

Where a file format goes (:func:`layout`): ``--out`` ending in ``.jsonl``/``.csv`` (with
that format) is one file, the ``conversations`` table, as before datasets had tables of
their own; any other ``--out`` of a file format is a directory with one file (JSON Lines,
CSV) or one partitioned directory (Parquet) per table, and the marker :data:`MARKER`.

What counts as ours, by format:

- a directory output: one holding our marker file :data:`MARKER` and nothing but the
  entries an export writes: ``<table>.jsonl`` or ``<table>.csv`` files and ``<table>/``
  directories of Parquet files (in ``<column>=<value>/`` partitions or not), for tables of
  our schema; or, as Parquet exports wrote before tables had directories,
  ``conversation_date=.../data_N.parquet`` partitions. Such a directory without the
  marker is replaced with ``force``; an empty directory is fine.
- ``jsonl`` (one file): a file whose first line is a JSON object with a ``conversationId``
  and a ``conversationStart`` (a conversation, as every line we write is).
- ``csv`` (one file): a file whose header starts with ``conversation_id`` and names only
  columns of our ``conversations`` table.
- ``duckdb``: never replaced; a database holding our checkpoint table is added to
  (rows are upserted). A database holding only tables of someone else is added to with
  ``force``, unless one of them has the name of one of ours.

An empty file holds nothing to lose and is replaced by any format.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import duckdb
import orjson

from genesys_analytics.errors import ConfigError
from genesys_analytics.sinks.checkpoints import CHUNKS_TABLE
from genesys_analytics.sinks.flatten import CONVERSATIONS_STORAGE
from genesys_analytics.sinks.schema import CONVERSATIONS, SCHEMA
from genesys_analytics.sinks.views import VIEWS

#: The file that makes a Parquet directory recognisably ours (ignored by Parquet readers,
#: which skip names starting with ``_``, like Spark's ``_SUCCESS``).
MARKER = "_genesys_analytics.json"
PARTITION = re.compile(r"conversation_date=[^/]+")
HIVE_PARTITION = re.compile(r"[a-z_]+=[^/]+")
PARTITION_FILE = re.compile(r"data_\d+\.parquet")
#: How much of a file's first line is read to recognise it.
FIRST_LINE_LIMIT = 16 << 20
DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file


@dataclass(frozen=True)
class Target:
    """The checked output: its absolute path and what happens to what is there."""

    path: Path
    format: str
    note: str | None = None  # one sentence for the user about what is there, if anything
    replace_first: bool = False  # duckdb: remove the (empty or forced) file before opening
    missing: tuple[Path, ...] = ()  # parent directories the export creates, outermost first


def check_target(
    out: str | Path, fmt: str, *, force: bool = False, tables: Collection[str] = ()
) -> Target:
    """Check ``out`` for an export in ``fmt``; raise ``ConfigError`` saying what is wrong.

    ``tables`` are the DuckDB tables the export writes (a database of someone else that
    has a table of one of these names is refused even with ``force``).
    """
    shown = str(out)
    path = Path(os.path.abspath(out))
    if not path.name:
        raise ConfigError(f"--out {shown} is not a place to write; give a file or directory.")
    missing = _check_parents(path, shown)
    if fmt == "duckdb":
        note, replace_first = _check_duckdb(path, shown, force, set(tables) | set(VIEWS))
        return Target(path, fmt, note, replace_first, missing)
    if layout(path, fmt) == "dir":
        return Target(path, fmt, _check_dir(path, shown, fmt, force), missing=missing)
    others = sorted(set(tables) - {t.name for t in CONVERSATIONS_STORAGE.tables})
    if others:
        raise ConfigError(
            f"--out {shown} is one {fmt} file, which holds the conversations table only, and "
            f"this export also writes {others[0]}; give a directory (such as "
            f"{path.with_suffix('').name}/) for one file per table."
        )
    return Target(path, fmt, _check_file(path, shown, fmt, force), missing=missing)


def layout(path: Path, fmt: str) -> str:
    """``file`` for ``--out X.jsonl``/``X.csv`` with that format, else ``dir``."""
    return "file" if fmt in ("jsonl", "csv") and path.suffix == f".{fmt}" else "dir"


def ours_to_replace(path: Path, fmt: str, *, force: bool) -> None:
    """Raise ``ConfigError`` if what is at ``path`` now may not be replaced (a file format)."""
    if layout(path, fmt) == "dir":
        _check_dir(path, str(path), fmt, force)
    else:
        _check_file(path, str(path), fmt, force)


def parquet_is_ours(directory: Path) -> bool:
    """A directory written by a file export of ours (marker and our entries only)."""
    return (directory / MARKER).is_file() and not _foreign_entries(directory)


# -- the checks ----------------------------------------------------------------------------


def _check_parents(path: Path, shown: str) -> tuple[Path, ...]:
    missing: list[Path] = []
    parent = path.parent
    while not parent.exists():
        if parent.is_symlink():
            raise ConfigError(f"cannot write {shown}: {parent} is a broken symbolic link.")
        missing.append(parent)
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"cannot write {shown}: {parent} is a file, not a directory.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write {shown}: no permission to write in {parent}.")
    return tuple(reversed(missing))


def _check_file(path: Path, shown: str, fmt: str, force: bool) -> str | None:
    """jsonl and csv: one file, replaced when the export completes."""
    if path.is_dir():
        raise ConfigError(
            f"{shown} is a directory; an --out ending in .{fmt} is one file: "
            f"give another file path, or a directory path without the .{fmt} ending."
        )
    if not path.exists() and not path.is_symlink():
        return None
    _regular(path, shown)
    if _empty(path):
        return f"replacing the empty file {shown}."
    if _file_is_ours(path, fmt):
        return f"replacing the earlier {fmt} export in {shown} when this one completes."
    if force:
        return f"replacing {shown} (--force) when this export completes."
    raise ConfigError(
        f"{shown} exists and is not an earlier {fmt} export of genesys-analytics; "
        "choose another --out, or add --force to replace it."
    )


def _check_dir(path: Path, shown: str, fmt: str, force: bool) -> str | None:
    """A directory output (one file or directory per table), replaced when complete."""
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_dir():
        _regular(path, shown)
        if _empty(path):
            return f"replacing the empty file {shown}."
        if fmt != "parquet" and _file_is_ours(path, fmt):
            return (
                f"replacing the earlier {fmt} export in {shown} (one file) with a directory "
                "of one file per table when this one completes."
            )
        if force:
            return f"replacing {shown} (--force) when this export completes."
        raise ConfigError(
            f"{shown} is a file and --format {fmt} writes a directory (one file per table); "
            "choose another --out, or add --force to replace the file."
        )
    if path.is_symlink():
        raise ConfigError(f"{shown} is a symbolic link to a directory; give the directory itself.")
    cwd = Path.cwd()
    if path == cwd or path in cwd.parents:
        raise ConfigError(
            f"--out {shown} is the current directory or holds it; give a directory to "
            f"create, such as {Path(shown) / 'genesys-parquet'}."
        )
    foreign = _foreign_entries(path)
    if foreign:
        listed = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise ConfigError(
            f"{shown} is a directory holding files genesys-analytics did not write ({listed}); "
            "give a new or empty directory (an export never deletes what it did not write)."
        )
    if (path / MARKER).is_file():
        earlier = _marked_format(path, fmt)
        return f"replacing the earlier {earlier} export in {shown} when this one completes."
    if not any(path.iterdir()):
        return None
    if force:
        return f"replacing {shown} (--force) when this export completes."
    raise ConfigError(
        f"{shown} holds tables but no {MARKER}, so it may not be an export of "
        "genesys-analytics; choose another --out, or add --force to replace it."
    )


def _check_duckdb(path: Path, shown: str, force: bool, ours: set[str]) -> tuple[str | None, bool]:
    """duckdb: one database file, written in place; returns (note, replace_first)."""
    if path.is_dir():
        raise ConfigError(
            f"{shown} is a directory; --format duckdb writes one database file: "
            f"give a file path such as {Path(shown) / 'genesys.duckdb'}."
        )
    if not path.exists() and not path.is_symlink():
        return None, False
    _regular(path, shown)
    if _empty(path):
        return f"replacing the empty file {shown}.", True
    if not _has_duckdb_magic(path):
        if force:
            return f"replacing {shown} (--force).", True
        raise ConfigError(
            f"{shown} exists and is not a DuckDB database; choose another --out, "
            "or add --force to replace it."
        )
    names = _duckdb_names(path, shown)
    if CHUNKS_TABLE in names:
        return f"adding to the earlier export in {shown}.", False
    if not names:
        return None, False
    clash = sorted(names & ours)
    if clash:
        raise ConfigError(
            f"{shown} is a DuckDB database whose {clash[0]} was not written by "
            "genesys-analytics; choose another --out."
        )
    if force:
        return f"adding the export's tables to {shown} (--force).", False
    listed = ", ".join(sorted(names)[:3]) + (", ..." if len(names) > 3 else "")
    raise ConfigError(
        f"{shown} is a DuckDB database that genesys-analytics did not write (it holds "
        f"{listed}); choose another --out, or add --force to add the export's tables to it."
    )


# -- recognising what is there -------------------------------------------------------------


def _regular(path: Path, shown: str) -> None:
    if not path.is_file():
        raise ConfigError(f"{shown} is not a regular file; give a file path.")


def _empty(path: Path) -> bool:
    return path.stat().st_size == 0


def _first_line(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.readline(FIRST_LINE_LIMIT).rstrip(b"\r\n")


def _file_is_ours(path: Path, fmt: str) -> bool:
    try:
        line = _first_line(path)
    except OSError:
        return False
    if fmt == "jsonl":
        try:
            first = orjson.loads(line)
        except orjson.JSONDecodeError:
            return False
        return (
            isinstance(first, dict)
            and isinstance(first.get("conversationId"), str)
            and "conversationStart" in first
        )
    fields = line.decode("utf-8", "replace").split(",")
    return fields[0] == "conversation_id" and set(fields) <= set(CONVERSATIONS.names)


def _marked_format(directory: Path, default: str) -> str:
    """The format our marker records (``default`` if it records none)."""
    try:
        found = orjson.loads((directory / MARKER).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return default
    value = found.get("format") if isinstance(found, dict) else None
    return value if isinstance(value, str) else default


def _foreign_entries(directory: Path) -> list[str]:
    """Names in ``directory`` that a file export of ours does not write."""
    foreign = []
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if entry.name == MARKER and entry.is_file(follow_symlinks=False):
            continue
        if not _ours(entry):
            foreign.append(entry.name)
    return foreign


def _ours(entry: os.DirEntry[str]) -> bool:
    """A table file, a table's Parquet directory, or an old-layout partition."""
    stem, dot, ext = entry.name.rpartition(".")
    if dot and ext in ("jsonl", "csv") and stem in SCHEMA:
        return entry.is_file(follow_symlinks=False)
    if entry.name in SCHEMA:
        return entry.is_dir(follow_symlinks=False) and _parquet_table(entry.path)
    if PARTITION.fullmatch(entry.name):
        return entry.is_dir(follow_symlinks=False) and _parquet_files(entry.path)
    return False


def _parquet_files(directory: str) -> bool:
    """Only ``data_N.parquet`` files in ``directory``."""
    return all(
        PARTITION_FILE.fullmatch(f.name) and f.is_file(follow_symlinks=False)
        for f in os.scandir(directory)
    )


def _parquet_table(directory: str) -> bool:
    """A table's directory: ``data_N.parquet`` files, or partitions holding only those."""
    for entry in os.scandir(directory):
        if PARTITION_FILE.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            continue
        if (
            HIVE_PARTITION.fullmatch(entry.name)
            and entry.is_dir(follow_symlinks=False)
            and _parquet_files(entry.path)
        ):
            continue
        return False
    return True


def _has_duckdb_magic(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(12)[8:12] == DUCKDB_MAGIC
    except OSError:
        return False


def _duckdb_names(path: Path, shown: str) -> set[str]:
    """The tables and views of the database at ``path``."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            raise ConfigError(
                f"{shown} is open in another process (DuckDB allows one writer); "
                "close that process or choose another --out."
            ) from None
        reason = str(exc).split("\n")[0]
        raise ConfigError(
            f"{shown} cannot be opened as a DuckDB database ({reason}); choose another --out."
        ) from None
    try:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    finally:
        con.close()
    return {name for (name,) in rows}


__all__ = ["MARKER", "Target", "check_target", "layout", "ours_to_replace", "parquet_is_ours"]
