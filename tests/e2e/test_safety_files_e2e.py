"""Issue 10: an export never deletes what it did not write, says what is wrong with a path
before any request, writes exactly the interval asked for, and leaves no debris behind."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

import genesys_analytics
from genesys_analytics import Client
from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.timeutil import fmt

from .conftest import NOW, CliResult, cli_env, run_cli, start_cli

START = NOW - timedelta(days=3, hours=6)
END = NOW - timedelta(hours=2)
MARKER = "_genesys_analytics.json"


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    # A little latency so that a SIGKILL after the first checkpoints lands mid-export.
    settings = EmulatorSettings(
        seed=41, days=5, per_day=150, now=NOW, rate_limit=(6000, 60.0), faults={"latency": 0.01}
    )
    with run_emulator(settings) as running:
        yield running


def export(emu: Any, cwd: Path, out: str, *extra: str, **env: str) -> CliResult:
    args = ["export", "--start", fmt(START), "--end", fmt(END), "--out", out, *extra]
    return run_cli(args, cli_env(emu, **env), cwd)


def one_error_line(res: CliResult) -> str:
    """The one sentence a refused export prints: no traceback, no second line."""
    assert "Traceback" not in res.stderr, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    return lines[0]


def requests(emu: Any) -> int:
    return int(emu.app_state.counters["requests"])


def jsonl_ids(path: Path) -> list[str]:
    return sorted(orjson.loads(line)["conversationId"] for line in path.read_bytes().splitlines())


def kill_after(emu: Any, cwd: Path, args: list[str], chunks: int, **env: str) -> None:
    """Run an export with -v and SIGKILL it once it logged ``chunks`` checkpoints."""
    proc = start_cli(args, cli_env(emu, **env), cwd)
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        seen += "checkpointed chunk" in line
        if seen >= chunks:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert seen >= chunks


# -- item 1: only our own earlier exports are replaced -------------------------------------


def test_parquet_never_deletes_a_directory_it_did_not_write(emu: Any, tmp_path: Path) -> None:
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "a.txt").write_text("precious\n")
    before = requests(emu)
    for extra in ([], ["--force"]):
        res = export(emu, tmp_path, "keep/", "--format", "parquet", *extra)
        assert res.returncode == 2, res.stderr
        line = one_error_line(res)
        assert "keep" in line and "a.txt" in line
        assert (keep / "a.txt").read_text() == "precious\n"
        assert sorted(p.name for p in keep.iterdir()) == ["a.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep"]
    assert requests(emu) == before, "refused before any request"


def test_out_dot_is_refused_in_one_sentence(emu: Any, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    res = export(emu, tmp_path, ".", "--format", "parquet")
    assert res.returncode == 2
    assert "--out" in one_error_line(res)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("fmt_name", ["parquet", "jsonl", "csv"])
def test_a_rerun_replaces_its_own_earlier_export_and_says_so(
    emu: Any, tmp_path: Path, fmt_name: str
) -> None:
    out = tmp_path / f"out.{fmt_name}"
    with Client(emu.client_id, emu.client_secret, base_url=emu.base_url) as client:
        genesys_analytics.export(
            client, START, START + timedelta(hours=12), out=out, format=fmt_name
        )  # the earlier export, from Python: the same files as the CLI's
    res = export(emu, tmp_path, str(out), "--format", fmt_name)
    assert res.returncode == 0, res.stderr
    assert f"replacing the earlier {fmt_name} export in {out}" in res.stderr
    truth = emu.truth(START, END)["ids"]
    if fmt_name == "jsonl":
        assert jsonl_ids(out) == truth
    elif fmt_name == "csv":
        with duckdb.connect() as con:
            rows = con.execute("SELECT conversation_id FROM read_csv(?)", [str(out)]).fetchall()
        assert sorted(r[0] for r in rows) == truth
    else:
        marker = orjson.loads((out / MARKER).read_bytes())
        assert marker["format"] == "parquet"
        assert marker["tables"]["conversations"]["rows"] == len(truth)
        with duckdb.connect() as con:
            rows = con.execute(
                "SELECT conversation_id FROM read_parquet(?)", [f"{out}/conversations/**/*.parquet"]
            ).fetchall()
        assert sorted(r[0] for r in rows) == truth
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


@pytest.mark.parametrize("fmt_name", ["jsonl", "csv", "parquet", "duckdb"])
def test_a_file_it_did_not_write_is_kept_unless_forced(
    emu: Any, tmp_path: Path, fmt_name: str
) -> None:
    out = tmp_path / "notes.txt"
    out.write_text("precious\n")
    before = requests(emu)
    res = export(emu, tmp_path, str(out), "--format", fmt_name)
    assert res.returncode == 2
    line = one_error_line(res)
    assert str(out) in line and "--force" in line
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert requests(emu) == before
    if fmt_name == "csv":
        return  # forced, csv replaces a file the way jsonl does
    res = export(emu, tmp_path, str(out), "--format", fmt_name, "--force")
    assert res.returncode == 0, res.stderr
    assert f"replacing {out}" in res.stderr
    if fmt_name == "jsonl":  # an --out without the .jsonl ending is a directory of tables
        assert jsonl_ids(out / "conversations.jsonl") == emu.truth(START, END)["ids"]
    elif fmt_name == "parquet":
        assert (out / MARKER).is_file()
    elif fmt_name == "duckdb":
        with duckdb.connect(str(out), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM conversations").fetchone() == (
                emu.truth(START, END)["total"],
            )


def test_a_duckdb_database_of_someone_else_is_added_to_only_when_forced(
    emu: Any, tmp_path: Path
) -> None:
    db = tmp_path / "theirs.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE budget AS SELECT 42 AS amount")
    res = export(emu, tmp_path, str(db))
    assert res.returncode == 2
    assert "budget" in one_error_line(res)
    res = export(emu, tmp_path, str(db), "--force")
    assert res.returncode == 0, res.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT amount FROM budget").fetchall() == [(42,)]
        assert con.execute("SELECT count(*) FROM conversations").fetchone() == (
            emu.truth(START, END)["total"],
        )


# -- item 3: the output holds exactly the interval asked for -------------------------------


def test_resume_with_another_interval_writes_exactly_that_interval(
    emu: Any, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    args = ["export", "--start", fmt(START), "--end", fmt(END), "--out", str(out)]
    args += ["--format", "jsonl", "--method", "query", "--workers", "1"]
    kill_after(emu, tmp_path, args, 2)  # the first two days are checkpointed
    assert not out.exists()
    start, end = START + timedelta(hours=18), START + timedelta(days=1, hours=12)
    res = run_cli(
        [
            *("export", "--start", fmt(start), "--end", fmt(end), "--out", str(out)),
            *("--format", "jsonl", "--method", "query", "--resume"),
        ],
        cli_env(emu),
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert jsonl_ids(out) == emu.truth(start, end)["ids"]


# -- item 7: path mistakes, failed runs, debris, a forgotten --resume ----------------------


@pytest.mark.parametrize(
    ("fmt_name", "setup", "out", "says"),
    [
        ("duckdb", "dir", "taken", "is a directory"),
        ("jsonl", "dir", "taken.jsonl", "is a directory"),
        ("csv", "file", "taken", "is a file and --format csv writes a directory"),
        ("duckdb", "file", "taken/x.duckdb", "is a file, not a directory"),
        ("jsonl", "file", "taken/sub/x.jsonl", "is a file, not a directory"),
        ("duckdb", "file", "taken", "not a DuckDB database"),
    ],
)
def test_a_path_mistake_is_one_sentence_before_any_request(
    emu: Any, tmp_path: Path, fmt_name: str, setup: str, out: str, says: str
) -> None:
    taken = tmp_path / out.split("/")[0]
    if setup == "dir":
        taken.mkdir()
    else:
        taken.write_text("not a directory\n")
    before = requests(emu)
    res = export(emu, tmp_path, out, "--format", fmt_name)
    assert res.returncode == 2, res.stderr
    line = one_error_line(res)
    assert says in line and "taken" in line
    assert requests(emu) == before, "the path is checked before any request"
    assert sorted(p.name for p in tmp_path.iterdir()) == [taken.name], "nothing created"
    if setup == "dir":
        assert list(taken.iterdir()) == []
    else:
        assert taken.read_text() == "not a directory\n"


@pytest.mark.parametrize("fmt_name", ["duckdb", "jsonl"])
def test_a_failed_run_leaves_nothing_it_created(emu: Any, tmp_path: Path, fmt_name: str) -> None:
    res = export(emu, tmp_path, "new/sub/out", "--format", fmt_name, GENESYS_CLIENT_SECRET="wrong")
    assert res.returncode == 3, res.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_keeps_a_database_it_did_not_create(emu: Any, tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    with duckdb.connect(str(db)):
        pass  # an empty database (holding nothing, like one a failed run of ours would leave)
    res = export(emu, tmp_path, str(db), GENESYS_CLIENT_SECRET="wrong")
    assert res.returncode == 3, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.duckdb"], "kept: not ours to remove"
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() is not None


@pytest.mark.parametrize("fmt_name", ["duckdb", "jsonl"])
def test_sigkill_then_resume_leaves_no_scratch(emu: Any, tmp_path: Path, fmt_name: str) -> None:
    systmp, work = tmp_path / "systmp", tmp_path / "work"
    systmp.mkdir()
    work.mkdir()
    out = work / f"out.{fmt_name}"
    args = ["export", "--start", fmt(START), "--end", fmt(END), "--out", str(out)]
    args += ["--format", fmt_name, "--method", "query", "--workers", "1"]
    kill_after(emu, work, args, 1, TMPDIR=str(systmp))
    res = run_cli([*args, "--resume"], cli_env(emu, TMPDIR=str(systmp)), work)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in work.iterdir()) == [out.name]
    assert list(systmp.iterdir()) == [], "no batch directory left in the system temp folder"


def test_forgetting_resume_is_refused_and_force_starts_over(emu: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    args = ["export", "--start", fmt(START), "--end", fmt(END), "--out", str(out)]
    args += ["--format", "jsonl", "--method", "query", "--workers", "1"]
    kill_after(emu, tmp_path, args, 1)
    staging = tmp_path / "out.jsonl.parts"
    assert staging.is_dir() and not out.exists()
    before = requests(emu)
    res = run_cli(args, cli_env(emu), tmp_path)
    assert res.returncode == 2
    line = one_error_line(res)
    assert f"an interrupted jsonl export of {fmt(START)}/{fmt(END)} is staged at {staging}" in line
    assert "add --resume to continue it, or --force to start over" in line
    assert requests(emu) == before
    chunks = [p for p in (staging / "chunks").iterdir() if (p / "chunk.json").is_file()]
    assert len(chunks) >= 1, "the staged chunks are kept"
    res = run_cli([*args, "--force"], cli_env(emu), tmp_path)
    assert res.returncode == 0, res.stderr
    assert jsonl_ids(out) == emu.truth(START, END)["ids"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
