"""Records that carry their own JSON: a page's items as the service sent them.

An export writes each record as JSON (the DuckDB store's batch lines, a file export's
spool) and reads only a few of its fields on the way (its key, its timestamp, whether it
has ended). Decoding a whole page into dicts, freeing them, and encoding every record
again cost more than the rest of the client's work. :func:`page_decoder` instead splits a
page into each item's exact bytes and decodes only the fields asked for; every sink gets
a record's JSON from :func:`record_json`, which hands those bytes on as they came.

A :class:`JsonRecord` is a read-only mapping: the fields decoded up front are read at
once, and any other use (another field, iteration, ``dict(record)``) decodes the whole
record, once. Its bytes never hold a line break, so a record is always one JSON Lines
line: an item laid out over lines is encoded again, compactly, as a decoded record would
be; the service's compact JSON is kept as it came.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from typing import Any

import msgspec
import orjson

_MISSING: Any = object()
#: The top-level fields of a details or job results page besides its items.
_PAGE_FIELDS = ("totalHits", "cursor", "nextUri", "dataAvailabilityDate")


class JsonRecord(Mapping[str, Any]):
    """One item of a page: its exact JSON bytes (``json``) and some fields decoded."""

    __slots__ = ("_attrs", "_fields", "_whole", "json")

    def __init__(self, json: bytes, fields: Any, attrs: Mapping[str, str]) -> None:
        self.json = json
        self._fields = fields  # a struct of the decoded fields (UNSET where absent)
        self._attrs = attrs  # field name → attribute of ``_fields``
        self._whole: dict[str, Any] | None = None

    def get(self, name: str, default: Any = None) -> Any:
        attr = self._attrs.get(name)
        if attr is None:
            return self.whole().get(name, default)
        value = getattr(self._fields, attr)
        return default if value is msgspec.UNSET else value

    def __getitem__(self, name: str) -> Any:
        value = self.get(name, _MISSING)
        if value is _MISSING:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name, _MISSING) is not _MISSING

    def __iter__(self) -> Iterator[str]:
        return iter(self.whole())

    def __len__(self) -> int:
        return len(self.whole())

    def whole(self) -> dict[str, Any]:
        """The record decoded whole (once; later calls return the same dict)."""
        if self._whole is None:
            whole = orjson.loads(self.json)
            self._whole = whole if isinstance(whole, dict) else {}
        return self._whole

    def __repr__(self) -> str:
        return f"JsonRecord({self.json[:80]!r}{'...' if len(self.json) > 80 else ''})"


def record_json(record: Mapping[str, Any]) -> bytes:
    """A record's JSON, one line: the bytes it came as, or a dict encoded."""
    if type(record) is JsonRecord:
        return record.json
    return orjson.dumps(record, default=_fragment)


def _fragment(value: Any) -> Any:
    if type(value) is JsonRecord:
        return orjson.Fragment(value.json)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def page_decoder(items_key: str, fields: Sequence[str]) -> Callable[[bytes], Any]:
    """Decode a page body: a dict whose ``items_key`` list holds :class:`JsonRecord` items,
    each with ``fields`` decoded. A body this cannot split (not an object, an item that is
    not an object, an unexpected top-level field) is decoded whole, as ``orjson.loads``;
    a body that is not JSON raises ``orjson.JSONDecodeError`` as that would."""
    return _decoder(items_key, tuple(dict.fromkeys(fields)))


@cache
def _decoder(items_key: str, fields: tuple[str, ...]) -> Callable[[bytes], Any]:
    attrs = {name: f"f{i}" for i, name in enumerate(fields)}
    item = msgspec.defstruct(
        "Fields",
        [(attr, Any, msgspec.UNSET) for attr in attrs.values()],
        rename={attr: name for name, attr in attrs.items()},
        gc=False,
    )
    others = [name for name in _PAGE_FIELDS if name != items_key]
    page = msgspec.defstruct(
        "Page",
        [("items", list[msgspec.Raw], msgspec.UNSET)]
        + [(f"p{i}", Any, msgspec.UNSET) for i in range(len(others))],
        rename={"items": items_key, **{f"p{i}": name for i, name in enumerate(others)}},
        forbid_unknown_fields=True,
    )
    pages = msgspec.json.Decoder(page)
    item_fields = msgspec.json.Decoder(item)
    names = [("items", items_key)] + [(f"p{i}", name) for i, name in enumerate(others)]

    def decode(content: bytes) -> Any:
        try:
            top = pages.decode(content)
            body = {}
            for attr, name in names:
                value = getattr(top, attr)
                if value is not msgspec.UNSET:
                    body[name] = value
            raws = body.get(items_key)
            if raws:
                one = item_fields.decode
                spread = b"\n" in content or b"\r" in content  # memchr: ~0.1 µs a record
                body[items_key] = [
                    JsonRecord(_compact(bytes(raw)) if spread else bytes(raw), one(raw), attrs)
                    for raw in raws
                ]
            return body
        except msgspec.DecodeError:  # not JSON, or not a page of objects: as orjson sees it
            return orjson.loads(content)

    return decode


def _compact(raw: bytes) -> bytes:
    """An item's JSON on one line: as it came if it is, else encoded again compactly (JSON
    strings escape their line breaks, so a line break in an item is layout)."""
    if b"\n" in raw or b"\r" in raw:
        return orjson.dumps(orjson.loads(raw))
    return raw


__all__ = ["JsonRecord", "page_decoder", "record_json"]
