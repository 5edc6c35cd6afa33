"""Records of a file export waiting for their chunk's checkpoint, on disk, not in memory.

Workers' pages of several chunks reach the writer interleaved; a record's chunk is known
by its timestamp (records are trimmed to their chunk) and, for a dimension list, by its
dataset alone. So :meth:`Spool.add` appends each record, as one line, to a file per
dataset and UTC day of its timestamp (``all`` for a list), and :meth:`Spool.take` hands
a checkpointed chunk its records: those of its days whose timestamp lies in
``[lo, hi)``, the newest copy of each key, ordered by timestamp then key. What belongs
to another chunk stays spooled. A line is ``<timestamp>\\t<table>\\t<key>\\t<record>``
(the key as a JSON string, so no tab or newline can hide in it); memory holds only the
index of the chunk being taken. Nothing here survives a crash on purpose: the spool is
the uncheckpointed part of an export, read again on ``--resume``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from genesys_analytics.timeutil import fmt, parse_instant

#: Where a dimension list's records go: it has no timestamp and is one chunk.
ALL = "all"
_BUFFER = 1 << 20
_BLOCK = 256 << 10  # bytes read at once from a spool file while its records come in order
_GAP = 512  # bytes between two records that still count as one following the other


def canonical(stamp: str) -> str:
    """An API timestamp as ``YYYY-MM-DDTHH:MM:SS.mmmZ``, whose text orders like time."""
    return stamp if len(stamp) == 24 and stamp.endswith("Z") else fmt(parse_instant(stamp))


class Spool:
    """Append-only files of records, one per dataset and UTC day, in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._open: dict[Path, BinaryIO] = {}

    def path(self, dataset: str, day: str) -> Path:
        return self.directory / f"{dataset}~{day}.spool"

    def add(self, dataset: str, day: str, lines: list[bytes]) -> None:
        """Append complete lines to the file of ``day``: ``lines`` joined end in a newline
        (the pieces of a line may come apart: a :func:`head`, the record, ``b"\\n"``)."""
        path = self.path(dataset, day)
        f = self._open.get(path)
        if f is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            f = self._open[path] = path.open("ab", buffering=_BUFFER)
        f.writelines(lines)

    def discard(self, dataset: str) -> None:
        """Forget every spooled record of ``dataset`` (a list read afresh)."""
        for path in self._files(dataset):
            self._close(path)
            path.unlink(missing_ok=True)

    def take(self, dataset: str, lo: str, hi: str | None) -> Iterator[tuple[int, bytes]]:
        """Remove and yield ``(table, record)`` of the records with ``lo <= timestamp < hi``
        (all of them when ``hi`` is None), the newest copy of a key only, in order."""
        chosen: dict[bytes, tuple[bytes, bytes, int, int, int, int]] = {}  # key → where
        sources: list[Path] = []
        rests: list[tuple[Path, Path]] = []
        lo_b, hi_b = lo.encode(), (hi or "").encode()
        for path in self._files(dataset):
            day = path.stem.split("~", 1)[1]
            if hi is not None and not (day >= lo[:10] and f"{day}T00:00:00.000Z" < hi):
                continue
            self._close(path)
            index = len(sources)
            sources.append(path)
            rest = path.with_suffix(".rest")
            kept = 0
            with path.open("rb", buffering=_BUFFER) as f, rest.open("wb") as out:
                offset = 0
                for line in f:
                    size = len(line)
                    ts, tab, key, _ = line.split(b"\t", 3)
                    if hi is None or lo_b <= ts < hi_b:
                        head = len(ts) + len(tab) + len(key) + 3
                        # the newest copy wins; the order is the sort's, below
                        chosen[key] = (ts, key, int(tab), index, offset + head, size - head - 1)
                    else:
                        out.write(line)
                        kept += 1
                    offset += size
            if kept:
                rests.append((rest, path))
            else:
                rest.unlink()
        order = sorted(chosen.values())  # by timestamp, then key (keys are unique)
        del chosen
        blocks = _Blocks([os.open(p, os.O_RDONLY) for p in sources])
        try:
            for _ts, _key, table, index, start, length in order:
                yield table, blocks.read(index, start, length)
        finally:
            blocks.close()
            for path in sources:
                path.unlink(missing_ok=True)
            for rest, path in rests:
                os.replace(rest, path)

    def close(self) -> None:
        for path in list(self._open):
            self._close(path)

    def remove(self) -> None:
        """Close and delete the spool directory (everything in it is the spool's own)."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.directory)

    # -- internals ----------------------------------------------------------------------

    def _files(self, dataset: str) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob(f"{dataset}~*.spool"))

    def _close(self, path: Path) -> None:
        f = self._open.pop(path, None)
        if f is not None:
            f.close()


class _Blocks:
    """Reads records out of the spool files with few system calls (each costs more than a
    record's copy): a block of ``_BLOCK`` bytes at a time while the records follow each
    other in their file, as a chunk's pages came; one record at a time while they do not."""

    def __init__(self, fds: list[int]) -> None:
        self._fds = fds
        self._index = -1  # the file the block is of
        self._start = 0  # where in it the block starts
        self._data = b""
        self._served = 0  # records read from the block
        self._end = 0  # where the last record read ends

    def read(self, index: int, start: int, length: int) -> bytes:
        at = start - self._start
        if index != self._index or at < 0 or at + length > len(self._data):
            following = index == self._index and 0 <= start - self._end <= _GAP
            whole = self._served != 1 or following  # a block, unless the last one served one
            size = max(length, _BLOCK) if whole else length
            self._data = os.pread(self._fds[index], size, start)
            self._index, self._start, self._served, at = index, start, 0, 0
        self._served += 1
        self._end = start + length
        return self._data[at : at + length]

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds = []


def head(ts: str, table: int, key: bytes) -> bytes:
    """What precedes a spooled record on its line: timestamp, table index and key (JSON)."""
    return b"%s\t%d\t%s\t" % (ts.encode(), table, key)


def line(ts: str, table: int, key: bytes, record: bytes) -> bytes:
    """One spooled record: timestamp, table index, key (JSON) and the record (JSON)."""
    return b"".join((head(ts, table, key), record, b"\n"))


__all__ = ["ALL", "Spool", "canonical", "head", "line"]
