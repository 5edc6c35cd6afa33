"""One measured run of one contender, and how it compares with the truth."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Result:
    scenario: str
    contender: str
    sink: str
    wall: float
    conversations: int  # distinct conversations delivered inside the interval
    requests: int  # API requests the emulator counted (token requests excluded)
    responses_429: int  # 429s the emulator sent
    seen_429: int | None  # 429s the contender's own code saw (None: not reported)
    lost: int
    duplicated: int
    outside: int  # delivered but not in the interval (not trimmed)
    peak_rss: int
    bound: float | None = None  # seconds the rate limit needs for ``requests``
    note: str = ""

    @property
    def per_second(self) -> float:
        return self.conversations / self.wall if self.wall else 0.0

    @property
    def ratio(self) -> float | None:
        return self.wall / self.bound if self.bound else None

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "conversations_per_s": self.per_second,
            "ratio_to_bound": self.ratio,
        }


def compare(received: list[str], truth: set[str]) -> tuple[int, int, int, int]:
    """(distinct inside, lost, duplicated, outside) of ``received`` against ``truth``."""
    distinct = set(received)
    inside = distinct & truth
    return len(inside), len(truth - distinct), len(received) - len(distinct), len(distinct - truth)
