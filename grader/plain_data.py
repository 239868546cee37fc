"""Rebuild frozen dataclasses from the JSON `dataclasses.asdict` made of them (gradebook records).

`from_plain(cls, data)` follows `cls`'s type hints: a nested dataclass from a dict, `tuple[X, ...]`
and `tuple[X, Y]` from a list, `X | None`, and plain str/int/float/bool (Literal values as they
are). Keys `cls` does not know are ignored (a record written by a newer grader); missing fields
take their defaults. A value of the wrong form raises TypeError or ValueError.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, TypeVar, cast

T = TypeVar("T")


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_plain(cls: type[T], data: Any) -> T:
    """`cls` (a dataclass) built from `data` (a dict, as JSON gave it back)."""
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = _hints(cast(Any, cls))
    kwargs = {f.name: _convert(hints[f.name], data[f.name])
              for f in dataclasses.fields(cls)  # type: ignore[arg-type]
              if f.init and f.name in data}
    return cls(**kwargs)


def _convert(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        last: Exception | None = None
        for option in (o for o in options if o is not type(None)):
            try:
                return _convert(option, value)
            except (TypeError, ValueError) as exc:
                last = exc
        raise TypeError(f"no form of {hint} fits {value!r:.60}") from last
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a list for {hint}, got {type(value).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in value)
        if len(args) != len(value):
            raise ValueError(f"expected {len(args)} items for {hint}, got {len(value)}")
        return tuple(_convert(a, v) for a, v in zip(args, value))
    if origin is typing.Literal:
        if value not in typing.get_args(hint):
            raise ValueError(f"{value!r:.40} is not one of {typing.get_args(hint)}")
        return value
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return from_plain(hint, value)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint in (str, int, bool) and type(value) is hint:
        return value
    if hint is Any:
        return value
    raise TypeError(f"expected {getattr(hint, '__name__', hint)}, got {type(value).__name__}")
