"""The KPI tally and definitions (decisions.md §8): every KPI is a function of a Tally.

:data:`DEFINITIONS` is the one place each KPI is defined; :func:`kpis` applies them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

KPIS = (
    "offered",
    "answered",
    "abandoned",
    "asa_ms",
    "aht_ms",
    "abandon_rate",
    "service_level",
    "transfer_rate",
)


@dataclass(slots=True)
class Tally:
    """Counts and sums of one group; every KPI is a function of these."""

    offered: int = 0
    answered: int = 0
    answered_ms: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    flowed_out: int = 0
    handled: int = 0
    handle_ms: int = 0
    transferred: int = 0
    sl_numerator: float = 0
    sl_denominator: float = 0

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def minus(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, ``None`` when the denominator is empty."""
    return numerator / denominator if denominator else None


Definition = Callable[[Tally], float | int | None]
#: KPI → (how it is computed, what it means); the one place each KPI is defined
DEFINITIONS: dict[str, tuple[Definition, str]] = {
    "offered": (lambda t: t.offered, "contacts offered to a queue (nOffered)"),
    "answered": (lambda t: t.answered, "offered contacts an agent answered (tAnswered count)"),
    "abandoned": (lambda t: t.abandoned, "offered contacts that hung up in queue (tAbandon)"),
    "asa_ms": (
        lambda t: ratio(t.answered_ms, t.answered),
        "average speed of answer: mean time from entering the queue to answer (tAnswered)",
    ),
    "aht_ms": (
        lambda t: ratio(t.handle_ms, t.handled),
        "average handle time: talk + hold + after-call work (tHandle)",
    ),
    "abandon_rate": (lambda t: ratio(t.abandoned, t.offered), "abandoned / offered"),
    "service_level": (
        lambda t: ratio(t.sl_numerator, t.sl_denominator),
        "(answered − answered later than the queue's target) / (answered + abandoned)",
    ),
    "transfer_rate": (lambda t: ratio(t.transferred, t.answered), "transferred / answered"),
}


def kpis(tally: Tally) -> dict[str, float | int | None]:
    """Every KPI of one tally, in :data:`KPIS` order."""
    return {name: DEFINITIONS[name][0](tally) for name in KPIS}


__all__ = ["DEFINITIONS", "KPIS", "Definition", "Tally", "kpis", "ratio"]
