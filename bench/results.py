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
    cpu: float = 0.0  # CPU seconds of the contender's process tree
    span: float | None = None  # seconds from its first API request to its last (server clock)
    bound: float | None = None  # seconds the rate limit needs for ``requests``
    note: str = ""

    @property
    def per_second(self) -> float:
        return self.conversations / self.wall if self.wall else 0.0

    @property
    def per_cpu_second(self) -> float:
        """Conversations per CPU second: what the contender's own work costs, whatever share
        of the machine the emulator and other programs took."""
        return self.conversations / self.cpu if self.cpu else 0.0

    @property
    def ratio(self) -> float | None:
        return self.wall / self.bound if self.bound else None

    @property
    def span_ratio(self) -> float | None:
        """First-to-last request over the bound: the pacing alone, without start-up."""
        return self.span / self.bound if self.span is not None and self.bound else None

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "conversations_per_s": self.per_second,
            "conversations_per_cpu_s": self.per_cpu_second,
            "ratio_to_bound": self.ratio,
            "span_to_bound": self.span_ratio,
        }


def compare(received: list[str], truth: set[str]) -> tuple[int, int, int, int]:
    """(distinct inside, lost, duplicated, outside) of ``received`` against ``truth``."""
    distinct = set(received)
    inside = distinct & truth
    return len(inside), len(truth - distinct), len(received) - len(distinct), len(distinct - truth)
