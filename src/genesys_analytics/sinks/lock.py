"""One export at a time per output: an OS advisory lock on ``<out>.lock``, beside the output.

The lock is ``flock`` (``msvcrt.locking`` on Windows) on a small file that says who holds
it (``{"tool", "pid", "out", "started"}``). The kernel drops the lock when its process
dies, however it dies (``kill -9`` included), so a crashed run never leaves an output
locked: the next run finds the file, takes the lock and rewrites it. A run that ends
removes the file while it still holds the lock; a run that opened the old file just
then notices (the path no longer names the file it locked) and starts over.

A file at ``<out>.lock`` that is not one of ours is never written or removed: the export
stops and says so. Parent directories of the output that do not exist yet are created
for the lock file and removed again with it when nothing else went into them. Within one
process the lock is re-entrant for the thread that holds it (the CLI takes it before
checking the output, ``export()`` takes it again).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from genesys_analytics.errors import ConfigError, OutputBusy

TOOL = "genesys-analytics"
_ATTEMPTS = 5
_guard = threading.Lock()


@dataclass
class _Hold:
    fd: int
    owner: int  # thread id
    created: list[Path]  # parent directories made for the lock file, outermost first
    depth: int = 1


_held: dict[Path, _Hold] = {}


def lock_path(out: str | Path) -> Path:
    """``<out>.lock`` beside the output (beside a directory output, not in it)."""
    full = Path(os.path.abspath(out))
    return full.with_name(full.name + ".lock")


@contextlib.contextmanager
def output_lock(out: str | Path) -> Iterator[Path]:
    """Hold the lock of ``out`` for the ``with`` block; ``OutputBusy`` if another export
    (another process, or another thread here) holds it, ``ConfigError`` if ``<out>.lock``
    is a file the tool did not write or cannot be created."""
    path = lock_path(out)
    me = threading.get_ident()
    with _guard:
        held = _held.get(path)
        if held is not None:
            if held.owner != me:
                raise OutputBusy(_busy_message(Path(out), os.getpid()))
            held.depth += 1
        else:
            created = _make_parents(path.parent, Path(out))
            try:
                held = _held[path] = _Hold(_acquire(path, Path(out)), me, created)
            except BaseException:
                _remove_empty(created)
                raise
    try:
        yield path
    finally:
        with _guard:
            held.depth -= 1
            if not held.depth:
                del _held[path]
                _release(path, held.fd)
                _remove_empty(held.created)


def holder(out: str | Path) -> dict[str, Any] | None:
    """What ``<out>.lock`` says about its writer (it may be stale), or None."""
    return _read(lock_path(out))


def _acquire(path: Path, out: Path) -> int:
    for _ in range(_ATTEMPTS):
        if path.exists() and not _ours(path):
            raise ConfigError(
                f"{path} exists and is not a lock file of {TOOL}; move it away, or choose "
                "another --out."
            )
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise ConfigError(
                f"cannot create the lock file {path} ({err.strerror}); choose another --out."
            ) from None
        if not _try_lock(fd):
            os.close(fd)
            found = _read(path) or {}
            pid = found.get("pid")
            raise OutputBusy(_busy_message(out, pid if isinstance(pid, int) else None))
        if not _same_file(fd, path):  # the holder removed it as we opened it: again
            os.close(fd)
            continue
        _write(fd, out)
        return fd
    raise OutputBusy(_busy_message(out, None))


def _release(path: Path, fd: int) -> None:
    try:
        if _same_file(fd, path):
            if sys.platform == "win32":  # an open file cannot be removed there
                os.close(fd)
                with contextlib.suppress(OSError):
                    path.unlink()
                return
            with contextlib.suppress(OSError):
                path.unlink()
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)  # releases the lock


def _make_parents(directory: Path, out: Path) -> list[Path]:
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    made: list[Path] = []
    for d in reversed(missing):
        try:
            d.mkdir()
        except OSError as err:
            _remove_empty(made)
            raise ConfigError(f"cannot write {out}: cannot create {d} ({err.strerror}).") from None
        made.append(d)
    return made


def _remove_empty(directories: list[Path]) -> None:
    for d in reversed(directories):
        try:
            d.rmdir()
        except OSError:
            return


def _busy_message(out: Path, pid: int | None) -> str:
    who = f"another export (pid {pid})" if pid else "another export"
    return f"{who} is writing {out} right now; wait for it to finish, or choose another --out."


def _ours(path: Path) -> bool:
    """Whether ``path`` is a lock file this tool wrote (empty: one being written)."""
    try:
        text = path.read_bytes()
    except OSError:
        return True  # gone since: nothing to protect
    if not text.strip():
        return True
    found = _parse(text)
    return found is not None and found.get("tool") == TOOL


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return _parse(path.read_bytes())
    except OSError:
        return None


def _parse(text: bytes) -> dict[str, Any] | None:
    try:
        found = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None


def _write(fd: int, out: Path) -> None:
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    body = {"tool": TOOL, "pid": os.getpid(), "out": str(out), "started": started}
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, orjson.dumps(body) + b"\n")


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


__all__ = ["holder", "lock_path", "output_lock"]
