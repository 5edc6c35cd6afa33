"""The output lock: one export per output, stale locks taken over, foreign files left alone."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import orjson
import pytest

from genesys_analytics.errors import ConfigError, OutputBusy
from genesys_analytics.sinks.lock import holder, lock_path, output_lock


def test_the_lock_file_sits_beside_the_output_and_goes_with_the_run(tmp_path: Path) -> None:
    out = tmp_path / "store.duckdb"
    assert lock_path(out) == tmp_path / "store.duckdb.lock"
    assert lock_path(tmp_path / "lake") == tmp_path / "lake.lock"  # beside a directory
    with output_lock(out) as lock:
        found = holder(out)
        assert found is not None and found["pid"] == os.getpid()
        assert found["tool"] == "genesys-analytics" and found["out"] == str(out)
        assert lock.exists()
    assert not lock_path(out).exists()


def test_another_holder_is_refused_at_once_with_its_pid(tmp_path: Path) -> None:
    out = tmp_path / "store.duckdb"
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with output_lock(out):
                pass
        except BaseException as exc:
            errors.append(exc)

    with output_lock(out), output_lock(out):  # re-entrant in the holding thread
        worker = threading.Thread(target=second)
        worker.start()
        worker.join(timeout=10)
    assert len(errors) == 1 and isinstance(errors[0], OutputBusy)
    message = errors[0].message
    assert message == (
        f"another export (pid {os.getpid()}) is writing {out} right now; wait for it to "
        "finish, or choose another --out."
    )
    assert OutputBusy.exit_code == 11


def test_a_stale_lock_of_a_dead_run_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "store.duckdb"
    stale = {"tool": "genesys-analytics", "pid": 999_999_999, "out": str(out)}
    lock_path(out).write_bytes(orjson.dumps(stale))  # left by a run killed with -9
    with output_lock(out):
        found = holder(out)
        assert found is not None and found["pid"] == os.getpid()
    assert not lock_path(out).exists()


@pytest.mark.parametrize("content", [b"my notes\n", b'{"tool": "other"}'])
def test_a_foreign_file_at_the_lock_path_is_never_touched(tmp_path: Path, content: bytes) -> None:
    out = tmp_path / "store.duckdb"
    lock_path(out).write_bytes(content)
    refused = pytest.raises(ConfigError, match="is not a lock file of genesys-analytics")
    with refused, output_lock(out):
        pass
    assert lock_path(out).read_bytes() == content


def test_missing_parents_are_made_and_removed_when_left_empty(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "store.duckdb"
    with output_lock(out):
        assert out.parent.is_dir()
    assert not (tmp_path / "a").exists()
    with output_lock(out):
        out.write_text("written")
    assert out.read_text() == "written" and not lock_path(out).exists()


def test_an_uncreatable_parent_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    refused = pytest.raises(ConfigError, match="cannot write")
    with refused, output_lock(tmp_path / "file" / "sub" / "store.duckdb"):
        pass
    assert (tmp_path / "file").read_text() == "x"
