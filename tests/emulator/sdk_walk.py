"""Walk raw API JSON against the official SDK's model classes (``PureCloudPlatformClientV2``).

``walk(value, "AnalyticsConversationQueryResponse")`` returns every problem found:

- ``key``: a JSON key that is not in the model's ``attribute_map``;
- ``enum``: a string the model's setter does not allow (the SDK would store it as
  ``outdated_sdk_version``), or one that only matches an allowed value ignoring case;
- ``date``: a ``datetime``/``date`` field that is not in the API's format
  (``2024-05-01T08:00:00.000Z``) or that the SDK's own parser (dateutil) rejects;
- ``type``: a value of the wrong JSON type for the model field.

``outdated(obj)`` finds ``outdated_sdk_version`` anywhere in what the SDK deserialized.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from dateutil.parser import isoparse
from PureCloudPlatformClientV2 import models

OUTDATED = "outdated_sdk_version"
API_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
_LIST = re.compile(r"^list\[(.+)\]$")
_DICT = re.compile(r"^dict\(([^,]*), (.*)\)$")
_ALLOWED = re.compile(r"allowed_values = (\[.*?\])", re.S)
_PRIMITIVES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
}


@dataclass(frozen=True)
class Problem:
    path: str
    kind: str  # "key" | "enum" | "date" | "type"
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} at {self.path}: {self.detail}"


@dataclass(frozen=True)
class ModelInfo:
    """What the walker needs of one model class, read once."""

    name: str
    fields: dict[str, tuple[str, str]]  # json key -> (attribute, swagger type)
    enums: dict[str, frozenset[str]]  # attribute -> allowed values (from the setter)
    probe: Any  # an instance whose setters are exercised


def _allowed_values(cls: type, attr: str) -> frozenset[str] | None:
    prop = getattr(cls, attr, None)
    setter = getattr(prop, "fset", None)
    if setter is None:
        return None
    found = _ALLOWED.search(inspect.getsource(setter))
    return frozenset(ast.literal_eval(found.group(1))) if found else None


@cache
def model_info(name: str) -> ModelInfo:
    cls = getattr(models, name)
    probe = cls()
    fields = {json: (attr, probe.swagger_types[attr]) for attr, json in probe.attribute_map.items()}
    enums = {}
    for attr, swagger_type in probe.swagger_types.items():
        if swagger_type == "str":
            allowed = _allowed_values(cls, attr)
            if allowed is not None:
                enums[attr] = allowed
    return ModelInfo(name, fields, enums, probe)


def _date_problem(value: Any, swagger_type: str, path: str) -> Problem | None:
    if not isinstance(value, str):
        return Problem(path, "date", f"{value!r} is not a string")
    if swagger_type == "datetime" and not API_DATETIME.match(value):
        return Problem(path, "date", f"{value!r} is not like 2024-05-01T08:00:00.000Z")
    try:
        parsed = isoparse(value)
    except (ValueError, OverflowError):
        return Problem(path, "date", f"{value!r} does not parse")
    if swagger_type == "datetime" and parsed.utcoffset() is None:
        return Problem(path, "date", f"{value!r} has no time zone")
    return None


def _enum_problem(info: ModelInfo, attr: str, value: str, path: str) -> Problem | None:
    allowed = info.enums.get(attr)
    if allowed is None or value in allowed:
        return None
    setattr(info.probe, attr, value)
    sdk_sees = getattr(info.probe, attr)
    if sdk_sees == OUTDATED:
        return Problem(path, "enum", f"{value!r} is {OUTDATED} for {info.name}.{attr}")
    return Problem(path, "enum", f"{value!r} differs in case from {info.name}.{attr}'s values")


def walk(value: Any, swagger_type: str, path: str = "$") -> list[Problem]:
    """Every problem in ``value`` read as ``swagger_type`` (a model name or swagger type)."""
    problems: list[Problem] = []
    _walk(value, swagger_type, path, problems)
    return problems


def _walk(value: Any, swagger_type: str, path: str, out: list[Problem]) -> None:
    if value is None or swagger_type == "object":
        return
    inner = _LIST.match(swagger_type)
    if inner:
        if not isinstance(value, list):
            out.append(Problem(path, "type", f"expected a list, got {type(value).__name__}"))
            return
        for i, item in enumerate(value):
            _walk(item, inner.group(1), f"{path}[{i}]", out)
        return
    mapping = _DICT.match(swagger_type)
    if mapping:
        if not isinstance(value, dict):
            out.append(Problem(path, "type", f"expected an object, got {type(value).__name__}"))
            return
        for key, item in value.items():
            _walk(item, mapping.group(2), f"{path}.{key}", out)
        return
    if swagger_type in ("datetime", "date", "LocalDateTime"):
        problem = _date_problem(value, swagger_type, path)
        if problem is not None:
            out.append(problem)
        return
    if swagger_type in _PRIMITIVES:
        wanted = _PRIMITIVES[swagger_type]
        if not isinstance(value, wanted) or (swagger_type != "bool" and isinstance(value, bool)):
            out.append(Problem(path, "type", f"{value!r} is not {swagger_type}"))
        return
    _walk_model(value, model_info(swagger_type), path, out)


def _walk_model(value: Any, info: ModelInfo, path: str, out: list[Problem]) -> None:
    if not isinstance(value, dict):
        out.append(Problem(path, "type", f"expected {info.name} object, got {value!r}"))
        return
    for key, item in value.items():
        field = info.fields.get(key)
        if field is None:
            out.append(Problem(f"{path}.{key}", "key", f"not in {info.name}.attribute_map"))
            continue
        attr, swagger_type = field
        _walk(item, swagger_type, f"{path}.{key}", out)
        if isinstance(item, str) and swagger_type == "str":
            problem = _enum_problem(info, attr, item, f"{path}.{key}")
            if problem is not None:
                out.append(problem)


def outdated(obj: Any, path: str = "$") -> list[str]:
    """Paths in an SDK-deserialized object whose value is ``outdated_sdk_version``."""
    if isinstance(obj, str):
        return [path] if obj == OUTDATED else []
    if isinstance(obj, list):
        return [p for i, item in enumerate(obj) for p in outdated(item, f"{path}[{i}]")]
    if isinstance(obj, dict):
        return [p for k, item in obj.items() for p in outdated(item, f"{path}.{k}")]
    if isinstance(obj, (int, float, bool, datetime, date)) or obj is None:
        return []
    swagger_types = getattr(obj, "swagger_types", None)
    if swagger_types is None:
        return []
    return [p for attr in swagger_types for p in outdated(getattr(obj, attr), f"{path}.{attr}")]
