"""`report --html` as a user runs it, from the API and `--from` a store, and the page in
a real browser (headless Chromium, Debian's package, driven by Playwright).

The tiles must show exactly the numbers the `volume`, `kpi` and `agents` commands print
as JSON for the same interval. The screenshot is kept in tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.reports.page import fmt_count, fmt_duration, fmt_rate
from genesys_analytics.timeutil import fmt

from .conftest import NOW, cli_env, run_cli

EXPORTED = ["--start", fmt(NOW - timedelta(days=4)), "--end", fmt(NOW - timedelta(hours=2))]
REPORTED = ["--start", fmt(NOW - timedelta(days=1)), "--end", fmt(NOW - timedelta(hours=3))]
ZONE = ["--time-zone", "Europe/Paris"]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
#: Flags that keep Chromium quiet and offline on a CI machine.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    with run_emulator(EmulatorSettings(seed=31, days=5, per_day=80, now=NOW)) as server:
        yield server


def offline() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GENESYS")}


def cli_json(store: Path, *args: str) -> Any:
    """A command's JSON `--from` the store (equal to the API's: test_from_store_e2e.py)."""
    argv = [*args, *REPORTED, *ZONE, "--format", "json", "--from", str(store)]
    res = run_cli(argv, offline(), store.parent)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def made(emu: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The page from the API and from a store, and the commands' JSON to check it by."""
    tmp = tmp_path_factory.mktemp("report")
    api_page = tmp / "api.html"
    res = run_cli(
        ["report", *REPORTED, *ZONE, "--method", "query", "--html", str(api_page)],
        cli_env(emu),
        tmp,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(api_page)
    store = tmp / "store.duckdb"
    datasets = "conversations,user-details,users,queues"
    args = ["export", *EXPORTED, "--method", "query", "--dataset", datasets, "--out", str(store)]
    res = run_cli(args, cli_env(emu), tmp)
    assert res.returncode == 0, res.stderr
    stored_page = tmp / "stored.html"
    args = ["report", *REPORTED, *ZONE, "--from", str(store), "--html", str(stored_page)]
    res = run_cli(args, offline(), tmp)
    assert res.returncode == 0, res.stderr
    return {
        "api": api_page,
        "stored": stored_page,
        "volume": cli_json(store, "volume"),
        "kpi": cli_json(store, "kpi", "--by", "queue"),
        "agents": cli_json(store, "agents", "--by", "user"),
    }


def expected_tiles(made: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    """Each tile's JSON value (from the commands) and the text the page must show for it."""
    kpi, occupancy = made["kpi"]["total"], made["agents"]["totals"]["occupancy"]
    values = {
        "volume": (made["volume"]["total"], fmt_count),
        "asa": (kpi["asa_ms"], fmt_duration),
        "aht": (kpi["aht_ms"], fmt_duration),
        "abandon_rate": (kpi["abandon_rate"], fmt_rate),
        "service_level": (kpi["service_level"], fmt_rate),
        "occupancy": (occupancy, fmt_rate),
    }
    return {key: (value, render(value)) for key, (value, render) in values.items()}


class Tiles(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}
        self.texts: dict[str, str] = {}
        self._tile: str | None = None
        self._in_value = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("data-kpi"):
            self._tile = a["data-kpi"]
            self.values[self._tile] = json.loads(a["data-value"] or "null")
        self._in_value = tag == "p" and a.get("class") == "value"

    def handle_data(self, text: str) -> None:
        if self._in_value and self._tile:
            self.texts[self._tile] = text


def tiles_of(page: Path) -> Tiles:
    parser = Tiles()
    parser.feed(page.read_text())
    return parser


def test_the_tiles_are_the_commands_json(made: dict[str, Any]) -> None:
    expected = expected_tiles(made)
    assert made["volume"]["total"] > 20 and made["kpi"]["total"]["offered"] > 10
    for which in ("api", "stored"):
        tiles = tiles_of(made[which])
        assert tiles.values == {k: v for k, (v, _) in expected.items()}, which
        assert tiles.texts == {k: t for k, (_, t) in expected.items()}, which


def test_the_page_from_the_store_equals_the_page_from_the_api(made: dict[str, Any]) -> None:
    def body(page: Path) -> str:  # all but the header (source, time made)
        return re.sub(r"<header>.*?</header>", "", page.read_text(), flags=re.S)

    assert body(made["stored"]) == body(made["api"])
    assert "from the export store.duckdb" in made["stored"].read_text()
    assert "from the Genesys Cloud API at http://127.0.0.1" in made["api"].read_text()


def test_a_file_that_is_not_a_report_is_never_overwritten(emu: Any, tmp_path: Path) -> None:
    mine = tmp_path / "notes.html"
    mine.write_text("<p>my notes</p>")
    res = run_cli(["report", *REPORTED, "--html", str(mine)], cli_env(emu), tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "is not a page written by `genesys-analytics report`" in res.stderr
    assert mine.read_text() == "<p>my notes</p>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.html"]


def launch_chromium(playwright: Any) -> Any:
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser test needs headless Chromium at {CHROMIUM}: install Debian's package "
            "(apt-get install -y chromium; .ci/run does it in CI)."
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)


def test_the_page_in_a_real_browser(made: dict[str, Any], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_file = made["stored"]
    expected = expected_tiles(made)
    problems: list[str] = []
    fetched: list[str] = []
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: fetched.append(r.url))
            page.goto(page_file.as_uri())
            shown = {
                key: page.locator(f'[data-kpi="{key}"] .value').inner_text() for key in expected
            }
            assert shown == {k: text for k, (_, text) in expected.items()}
            # the queue table sorts by a column, numerically, both ways
            offered = page.locator("#kpi-queue tbody td:nth-child(2)")
            page.locator("#kpi-queue thead button", has_text="offered").click()
            up = [int(t.replace(",", "")) for t in offered.all_inner_texts()]
            page.locator("#kpi-queue thead button", has_text="offered").click()
            down = [int(t.replace(",", "")) for t in offered.all_inner_texts()]
            assert up == sorted(up) and down == sorted(up, reverse=True) and len(up) > 2
            sort = page.locator("#kpi-queue thead th").nth(1).get_attribute("aria-sort")
            assert sort == "descending"
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            page.emulate_media(media="print")
            assert not page.locator(".hint").is_visible(), "print hides the screen-only hint"
        finally:
            browser.close()
    assert problems == []
    assert fetched == [page_file.as_uri()], "the page fetches nothing"
    print(f"screenshot: {shot}")
    assert_drawn(shot)
    shutil.copy(shot, tmp_path / "report.png")


def assert_drawn(png: Path) -> None:
    """A real screenshot: a PNG with enough variation and coloured chart pixels."""
    from matplotlib import image

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rgb = image.imread(png)[..., :3]
    assert rgb.shape[0] > 1500 and rgb.shape[1] >= 1366, "the full page"
    assert rgb.std() > 0.1, "not a blank page"
    coloured = (rgb.max(axis=-1) - rgb.min(axis=-1) > 0.25).mean()
    assert coloured > 0.01, "the charts' colours are drawn"
