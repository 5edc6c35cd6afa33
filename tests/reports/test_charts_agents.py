"""The agents chart: bars per day or per agent, equal to the report, drawn into a real PNG."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from genesys_analytics.errors import ConfigError
from genesys_analytics.reports.agents import ROUTING, Status, agents_from_details, column
from genesys_analytics.reports.charts import agent_bars, agents_chart_axis, render_agents_chart
from genesys_analytics.reports.model import VolumeReport, VolumeRow
from genesys_analytics.reports.queue_names import QueueNames
from genesys_analytics.timeutil import Interval

UTC = timezone.utc
DAY = datetime(2024, 5, 1, tzinfo=UTC)
IV = Interval(DAY, DAY + timedelta(days=2))
HOUR = 3_600_000
PNG = b"\x89PNG\r\n\x1a\n"


def ms(**hours: float) -> dict[str, float | int | None]:
    """Row values: routing hours by status name (idle=2 → routingIdleMs = 2 h)."""
    return {column("routing", s.upper()): int(h * HOUR) for s, h in hours.items()}


def report(by: tuple[str, ...], rows: dict[tuple[str, ...], dict[str, Any]]) -> VolumeReport:
    built = tuple(VolumeRow(k, {"occupancy": 0.123, **v}) for k, v in rows.items())
    return VolumeReport(IV, "aggregates", by, ("occupancy", *ms()), built, {}, "UTC")


BY_USER_DAY = report(
    ("user", "day"),
    {
        ("u1", "2024-05-01"): ms(idle=2, interacting=3, communicating=1, off_queue=4),
        ("u2", "2024-05-01"): ms(idle=1, interacting=1, not_responding=0.5),
        ("u1", "2024-05-02"): ms(off_queue=8),
    },
)


def test_bars_per_day_sum_the_agents_and_recompute_occupancy() -> None:
    bars = agent_bars(BY_USER_DAY)
    assert bars.axis == "day" and bars.keys == ("2024-05-01", "2024-05-02")
    assert list(bars.hours) == list(ROUTING)  # the stacking order
    assert bars.hours["IDLE"] == (3, 0)
    assert bars.hours["INTERACTING"] == (4, 0)
    assert bars.hours["COMMUNICATING"] == (1, 0)
    assert bars.hours["NOT_RESPONDING"] == (0.5, 0)
    assert bars.hours["OFF_QUEUE"] == (4, 8)
    # from the summed time, not the rows' occupancy (0.123) nor their mean
    assert bars.occupancy == (pytest.approx(4 / 8), None)
    assert not bars.empty


def test_bars_per_user_carry_names_sorted_by_name() -> None:
    by_user = report(
        ("user",),
        {("u1",): ms(idle=1, interacting=3), ("u2",): ms(interacting=1), ("u3",): ms(idle=2)},
    )
    names = QueueNames.fixed({"u1": "Zoe", "u2": "Adam"})
    bars = agent_bars(by_user, names)
    assert bars.axis == "user" and bars.keys == ("u2", "u3", "u1")
    assert bars.labels == ("Adam", "u3", "Zoe")  # an unknown id shows itself
    assert bars.hours["INTERACTING"] == (1, 0, 3)
    assert bars.occupancy == (1.0, 0.0, 0.75)


def test_bars_equal_a_report_built_from_statuses() -> None:
    h = timedelta(hours=1)
    statuses = [
        Status("u1", "routing", "IDLE", DAY - h, DAY + h),  # an hour before the start
        Status("u1", "routing", "INTERACTING", DAY + h, DAY + 4 * h),
        Status("u2", "routing", "OFF_QUEUE", DAY + 20 * h, DAY + 30 * h),  # over midnight
    ]
    built = agents_from_details(statuses, IV, ("day", "user"), now=DAY + 3 * 24 * h)
    bars = agent_bars(built)
    for i, day in enumerate(bars.keys):
        rows = [r.values for r in built.rows if r.key[0] == day]
        for status in ROUTING:
            total = sum(int(v.get(column("routing", status)) or 0) for v in rows)
            assert bars.hours[status][i] * HOUR == pytest.approx(total)
    assert bars.hours["OFF_QUEUE"] == (4, 6)
    assert bars.occupancy == (0.75, None)
    assert bars.occupancy[0] == built.value(("2024-05-01", "u1"))


def test_hour_alone_has_no_bars_to_draw() -> None:
    assert agents_chart_axis(("user", "hour")) == "user"
    assert agents_chart_axis(("hour", "day")) == "day"
    with pytest.raises(ConfigError, match="add day or user to --by"):
        agents_chart_axis(("hour",))


def _pixels(path: Path) -> Any:
    from matplotlib import image

    data = path.read_bytes()
    assert data[:8] == PNG
    return image.imread(path)


def test_chart_is_a_png_whose_bars_are_the_report(tmp_path: Path, monkeypatch: Any) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.axes import Axes

    drawn: list[tuple[str, list[float], list[float]]] = []
    real_bar = Axes.bar

    def spy(self: Any, x: Any, height: Any, *args: Any, **kwargs: Any) -> Any:
        drawn.append((kwargs["label"], list(height), list(kwargs["bottom"])))
        return real_bar(self, x, height, *args, **kwargs)

    monkeypatch.setattr(Axes, "bar", spy)
    bars = agent_bars(BY_USER_DAY)
    out = render_agents_chart(bars, BY_USER_DAY, tmp_path / "sub" / "agents.png")
    assert out.exists()
    assert [label for label, _, _ in drawn] == list(ROUTING)
    assert {label: heights for label, heights, _ in drawn} == {
        s: list(bars.hours[s]) for s in ROUTING
    }
    assert drawn[-1][2] == [3 + 4 + 1 + 0.5, 0]  # OFF_QUEUE sits on the other four
    pixels = _pixels(out)
    height, width = pixels.shape[:2]
    assert 800 <= width <= 2000 and 400 <= height <= 1200
    rgb = pixels[..., :3]
    coloured = (rgb.max(axis=-1) - rgb.min(axis=-1) > 0.2).mean()
    assert coloured > 0.02, "the bars are drawn in colour"


def test_an_empty_report_draws_a_chart_that_says_so(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    empty = report(("day",), {})
    bars = agent_bars(empty)
    assert bars.empty and bars.keys == ()
    out = render_agents_chart(bars, empty, tmp_path / "empty.png")
    rgb = _pixels(out)[..., :3]
    assert rgb.std() > 0.01  # titles, axes and the note, not a blank image
    assert not (rgb.max(axis=-1) - rgb.min(axis=-1) > 0.2).any()  # and no coloured bar
