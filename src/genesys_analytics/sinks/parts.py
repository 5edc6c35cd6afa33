"""The part files of a file export: one directory per checkpointed chunk, beside the output.

A file export (Parquet, JSON Lines, CSV) builds ``<out>.parts/`` until it is complete::

    <out>.parts/
      export.json            what is being exported: format, layout, interval
      spool/                 records not yet checkpointed (sinks.spool; dropped on open)
      duckdb_temp/           DuckDB's temp directory, should flattening a part spill
      chunks/
        00000007-<hash>/     one checkpointed chunk: its part of every table, then
          chunk.json         its checkpoint (key, dataset, meta, rows per table)
        .tmp-00000008/       a chunk being written (dropped on open)

A chunk directory is written under a temporary name, every file fsynced, ``chunk.json``
last, then renamed into place: it exists whole or not at all, so a checkpoint is never
recorded without its rows, and a crash leaves nothing that looks complete and is not.

**Upsert by chunk.** Every chunk directory has a sequence number, and a chunk is
superseded by a later chunk of its dataset with the same key (the same interval read
again) or, for a dimension list, by any later read of the list. Superseded chunks are
removed after the new one is in place, and again when the directory is opened (a crash
between the two leaves both; the newer wins). A later chunk that merely covers an earlier
one does not replace it: a job checkpoints the days it has passed, then its whole
interval with only the records of the days left. Pure bookkeeping: what a part holds is written by
:mod:`genesys_analytics.sinks.tables`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

from genesys_analytics.errors import GenesysError
from genesys_analytics.timeutil import Interval

EXPORT = "export.json"
SPOOL = "spool"
CHUNKS = "chunks"
CHUNK = "chunk.json"
TMP = ".tmp-"
#: Names in ``<out>.parts/`` that a commit writes (the output, an older output moved aside).
OUTPUT = "output"
PREVIOUS = "previous"
#: DuckDB's temp directory while it flattens parts (CSV, Parquet).
SPILL = "duckdb_temp"
_OURS = (EXPORT, SPOOL, CHUNKS, OUTPUT, PREVIOUS, SPILL)
WRITTEN_BY = "genesys-analytics"


def parts_path(out: Path) -> Path:
    """The parts directory of the file output ``out``."""
    return out.with_name(out.name + ".parts")


@dataclass(frozen=True)
class PartChunk:
    """One checkpointed chunk: its directory and what its ``chunk.json`` records."""

    path: Path
    seq: int
    key: str
    dataset: str
    meta: dict[str, Any] = field(repr=False)
    rows: dict[str, int] = field(repr=False)  # table → rows in this chunk's parts

    @property
    def snapshot(self) -> bool:
        return self.meta.get("method") == "snapshot"

    @cached_property
    def interval(self) -> Interval | None:
        try:
            return Interval.of(self.meta["start"], self.meta["end"])
        except (KeyError, TypeError, GenesysError):
            return None

    def covered_by(self, later: PartChunk) -> bool:
        """Whether ``later`` replaces this chunk (upsert by chunk, see the module docstring)."""
        if later.seq <= self.seq or later.dataset != self.dataset:
            return False
        return later.key == self.key or self.snapshot


class Parts:
    """The parts directory ``root`` of one file export (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.chunks_dir = root / CHUNKS
        self._known: list[PartChunk] | None = None  # the current chunks, once opened

    # -- reading ------------------------------------------------------------------------

    def info(self) -> dict[str, Any] | None:
        """What ``export.json`` records, or None when there is none."""
        try:
            found = orjson.loads((self.root / EXPORT).read_bytes())
        except (FileNotFoundError, NotADirectoryError):
            return None
        except orjson.JSONDecodeError:
            return {}
        return found if isinstance(found, dict) else {}

    def ours(self) -> bool:
        """Whether ``root`` is a parts directory of ours (or an empty directory)."""
        if not self.root.is_dir() or self.root.is_symlink():
            return False
        info = self.info()
        if info is None:
            return not any(self.root.iterdir())
        return info.get("written_by") == WRITTEN_BY

    def chunks(self, dataset: str | None = None) -> list[PartChunk]:
        """The complete chunks, oldest first, without those a later chunk supersedes."""
        found = _current(self._complete()) if self._known is None else self._known
        return [c for c in found if dataset is None or c.dataset == dataset]

    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]:
        return {c.key: {**c.meta, "dataset": c.dataset} for c in self.chunks(dataset)}

    # -- writing ------------------------------------------------------------------------

    def open(self, info: dict[str, Any], *, fresh: bool = False) -> None:
        """Create or reuse ``root``, record ``info``, drop unfinished work (and, ``fresh``,
        every chunk: an export that starts over). The caller holds the output's lock
        (:mod:`genesys_analytics.sinks.lock`): one export at a time writes here."""
        self.root.mkdir(parents=True, exist_ok=True)
        if fresh:
            for name in _OURS:
                _remove(self.root / name)
        _write_atomic(self.root / EXPORT, orjson.dumps({"written_by": WRITTEN_BY, **info}))
        self.chunks_dir.mkdir(exist_ok=True)
        for entry in self.chunks_dir.iterdir():
            if entry.name.startswith(TMP):
                _remove(entry)
        complete = self._complete()
        self._known = _current(complete)
        self.drop(c for c in complete if c not in self._known)
        for name in (SPOOL, OUTPUT, PREVIOUS, SPILL):
            _remove(self.root / name)

    def new_chunk(self) -> Path:
        """An empty directory to write a chunk's parts into, then :meth:`finish`."""
        seq = self._next_seq()
        tmp = self.chunks_dir / f"{TMP}{seq:08d}"
        _remove(tmp)
        tmp.mkdir(parents=True)
        return tmp

    def finish(
        self, tmp: Path, key: str, dataset: str, meta: dict[str, Any], rows: dict[str, int]
    ) -> PartChunk:
        """Record the chunk written in ``tmp`` durably, then drop what it supersedes."""
        seq = int(tmp.name[len(TMP) :])
        record = {"key": key, "dataset": dataset, "meta": meta, "rows": rows}
        _write_atomic(tmp / CHUNK, orjson.dumps(record))
        for directory, _dirs, files in os.walk(tmp, topdown=False):  # ``tmp`` itself last
            for name in files:
                _fsync(os.path.join(directory, name))
            fsync_dir(Path(directory))
        final = self.chunks_dir / f"{seq:08d}-{_digest(key)}"
        os.replace(tmp, final)
        fsync_dir(self.chunks_dir)
        chunk = PartChunk(final, seq, key, dataset, meta, rows)
        known = self.chunks() if self._known is None else self._known
        self.drop(c for c in known if c.covered_by(chunk))
        self._known = [c for c in known if not c.covered_by(chunk)] + [chunk]
        return chunk

    def drop(self, chunks: Iterable[PartChunk]) -> None:
        """Remove these chunks (superseded, or outside what a resumed export asks for)."""
        dropped = list(chunks)
        for chunk in dropped:
            _remove(chunk.path)
        if self._known is not None:
            self._known = [c for c in self._known if c not in dropped]

    def remove(self) -> None:
        """Delete what an export writes in ``root``, then ``root`` if that emptied it."""
        for name in _OURS:
            _remove(self.root / name)
        with contextlib.suppress(OSError):
            self.root.rmdir()

    # -- internals ----------------------------------------------------------------------

    def _complete(self) -> list[PartChunk]:
        if not self.chunks_dir.is_dir():
            return []
        found = []
        for entry in sorted(self.chunks_dir.iterdir()):
            if entry.name.startswith(TMP):
                continue
            try:
                record = orjson.loads((entry / CHUNK).read_bytes())
                seq = int(entry.name.split("-", 1)[0])
            except (OSError, ValueError, orjson.JSONDecodeError):
                continue  # not a finished chunk: ignored, and never counted
            found.append(
                PartChunk(
                    entry,
                    seq,
                    str(record["key"]),
                    str(record["dataset"]),
                    dict(record.get("meta") or {}),
                    {str(k): int(v) for k, v in (record.get("rows") or {}).items()},
                )
            )
        return sorted(found, key=lambda c: c.seq)

    def _next_seq(self) -> int:
        seqs = [0]
        if self.chunks_dir.is_dir():
            for entry in self.chunks_dir.iterdir():
                head = entry.name.removeprefix(TMP).split("-", 1)[0]
                if head.isdigit():
                    seqs.append(int(head))
        return max(seqs) + 1


def _current(chunks: list[PartChunk]) -> list[PartChunk]:
    return [c for c in chunks if not any(c.covered_by(later) for later in chunks)]


def _digest(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` durable (where the platform allows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


__all__ = [
    "CHUNK",
    "EXPORT",
    "OUTPUT",
    "PREVIOUS",
    "SPILL",
    "SPOOL",
    "PartChunk",
    "Parts",
    "fsync_dir",
    "parts_path",
]
