"""One UTC day's conversations serialized once: a sorted index to bisect, and JSON bytes.

Serving a page used to copy each conversation into the query shape and encode it again;
generating a day again after the small cache of dicts dropped it cost even more. A
``DayIndex`` holds a day in columns instead: ``(conversationStart, conversationId)`` keys
in ascending order (a page is found by bisecting them), the ends and media types matching
and the truth need, and each conversation's JSON in the job shape. The details-query
shape is the same bytes with the participants' ``attributes`` members cut out (their byte
spans are recorded when encoding), so one blob serves both.

A conversation of an org never changes (a later ``now`` makes a new org, drift adds
conversations and drops the day's index), so the bytes stay right for the index's life.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

Cuts = tuple[int, ...]  # byte offsets (start, end, start, end, ...) of members to cut out
NO_CUTS: Cuts = ()
_BOTH = -1  # cuts (_BOTH, n): the blob is the job shape's n bytes, then the query shape
_ENTRY_OVERHEAD = 400  # bytes an index entry costs beyond its JSON: key tuple, strings


def encode(conv: dict[str, Any]) -> tuple[bytes, Cuts]:
    """``orjson.dumps(conv)`` and the spans of each participant's ``,"attributes":{...}``.

    Cutting the spans out gives ``orjson.dumps`` of the details-query shape. This holds when
    ``participants`` is the conversation's last member and ``attributes`` each participant's
    last (so the generator builds them); otherwise the query shape is encoded whole and
    stored after the full one (cuts ``(_BOTH, len(full))``).
    """
    parts = conv.get("participants")
    if not parts or not any("attributes" in p for p in parts):
        return orjson.dumps(conv), NO_CUTS
    keys = list(conv)
    if keys[-1] != "participants" or any(
        "attributes" in p and list(p)[-1] != "attributes" for p in parts
    ):
        return _fallback(conv, orjson.dumps(conv))
    # The same bytes as orjson.dumps(conv), put together from the participants' own.
    head = orjson.dumps({k: conv[k] for k in keys[:-1]})[:-1]
    pieces = [head, b',"participants":[' if len(keys) > 1 else b'"participants":[']
    pos = len(head) + len(pieces[1])
    cuts: list[int] = []
    for i, p in enumerate(parts):
        if i:
            pieces.append(b",")
            pos += 1
        body = orjson.dumps(p)
        pieces.append(body)
        pos += len(body)
        if "attributes" in p:
            member = len(b',"attributes":') + len(orjson.dumps(p["attributes"]))
            cuts += (pos - 1 - member, pos - 1)  # just before the participant's closing brace
    pieces.append(b"]}")
    return b"".join(pieces), tuple(cuts)


def _fallback(conv: dict[str, Any], full: bytes) -> tuple[bytes, Cuts]:
    shaped = dict(conv)
    shaped["participants"] = [
        {k: v for k, v in p.items() if k != "attributes"} for p in conv["participants"]
    ]
    query = orjson.dumps(shaped)
    return full + query, (_BOTH, len(full))


def full_json(blob: bytes, cuts: Cuts) -> bytes:
    """The job shape (``conversations`` of a job's results)."""
    if cuts and cuts[0] == _BOTH:
        return blob[: cuts[1]]
    return blob


def query_json(blob: bytes, cuts: Cuts) -> bytes:
    """The details-query shape: ``blob`` without the spans in ``cuts``."""
    if not cuts:
        return blob
    if cuts[0] == _BOTH:
        return blob[cuts[1] :]
    pieces = []
    at = 0
    for i in range(0, len(cuts), 2):
        pieces.append(blob[at : cuts[i]])
        at = cuts[i + 1]
    pieces.append(blob[at:])
    return b"".join(pieces)


@dataclass
class DayIndex:
    """One day's conversations by ``(conversationStart, conversationId)``, ascending."""

    keys: list[tuple[str, str]]
    ends: list[str | None]  # conversationEnd; None while ongoing
    media: list[tuple[str, ...]]  # the media types of each, sorted
    blobs: list[bytes]
    cuts: list[Cuts]
    nbytes: int  # about what the index holds in memory

    @classmethod
    def build(cls, convs: Sequence[dict[str, Any]]) -> DayIndex:
        ordered = sorted(convs, key=lambda c: (c["conversationStart"], c["conversationId"]))
        interned: dict[tuple[str, ...], tuple[str, ...]] = {}
        keys, ends, media, blobs, cuts = [], [], [], [], []
        for conv in ordered:
            keys.append((conv["conversationStart"], conv["conversationId"]))
            ends.append(conv.get("conversationEnd"))
            kinds = tuple(
                sorted({s["mediaType"] for p in conv["participants"] for s in p["sessions"]})
            )
            media.append(interned.setdefault(kinds, kinds))
            blob, cut = encode(conv)
            blobs.append(blob)
            cuts.append(cut)
        nbytes = sum(map(len, blobs)) + _ENTRY_OVERHEAD * len(keys)
        return cls(keys, ends, media, blobs, cuts, nbytes)

    def __len__(self) -> int:
        return len(self.keys)

    def started(self, lo: str, hi: str) -> range:
        """Positions of the conversations started in ``[lo, hi)`` (API timestamp text)."""
        return range(bisect_left(self.keys, (lo,)), bisect_left(self.keys, (hi,)))

    def after(self, key: tuple[str, str]) -> int:
        """The position of the first conversation after ``key``."""
        return bisect_right(self.keys, key)

    def query_json(self, i: int) -> bytes:
        return query_json(self.blobs[i], self.cuts[i])

    def full_json(self, i: int) -> bytes:
        return full_json(self.blobs[i], self.cuts[i])

    def matching(self, test: Callable[[str, str | None], bool], span: range) -> Iterator[int]:
        """Positions in ``span`` whose ``(start, end)`` pass ``test``."""
        keys, ends = self.keys, self.ends
        for i in span:
            if test(keys[i][0], ends[i]):
                yield i


class IndexCache:
    """Day indexes, least recently used dropped first once they hold over ``budget`` bytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._items: OrderedDict[Any, DayIndex] = OrderedDict()
        self.nbytes = 0

    def get(self, key: Any) -> DayIndex | None:
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
        return hit

    def put(self, key: Any, index: DayIndex) -> None:
        self.drop(key)
        self._items[key] = index
        self.nbytes += index.nbytes
        while self.nbytes > self.budget and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self.nbytes -= old.nbytes

    def drop(self, key: Any) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.nbytes -= old.nbytes

    def __len__(self) -> int:
        return len(self._items)


__all__ = ["NO_CUTS", "Cuts", "DayIndex", "IndexCache", "encode", "full_json", "query_json"]
