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
        """Append complete lines (each ending in a newline) to the file of ``day``."""
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
        chosen: dict[bytes, tuple[bytes, int, int, int, int]] = {}  # key → ts, table, where
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
                    ts, tab, key, _ = line.split(b"\t", 3)
                    if hi is None or lo_b <= ts < hi_b:
                        head = len(ts) + len(tab) + len(key) + 3
                        where = (ts, int(tab), index, offset + head, len(line) - head - 1)
                        chosen.pop(key, None)
                        chosen[key] = where
                    else:
                        out.write(line)
                        kept += 1
                    offset += len(line)
            if kept:
                rests.append((rest, path))
            else:
                rest.unlink()
        order = sorted(chosen.items(), key=lambda item: (item[1][0], item[0]))
        fds = [os.open(p, os.O_RDONLY) for p in sources]
        try:
            for _key, (_ts, table, index, start, length) in order:
                yield table, os.pread(fds[index], length, start)
        finally:
            for fd in fds:
                os.close(fd)
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


def line(ts: str, table: int, key: bytes, record: bytes) -> bytes:
    """One spooled record: timestamp, table index, key (JSON) and the record (JSON)."""
    return b"%s\t%d\t%s\t%s\n" % (ts.encode(), table, key, record)


__all__ = ["ALL", "Spool", "canonical", "line"]
