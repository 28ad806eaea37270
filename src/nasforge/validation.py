"""Small checks for user-facing parameters, raising `InvalidArgumentError` with a clear message."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from nasforge.errors import InvalidArgumentError


def check_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return `value` if it is an int within [minimum, maximum], else raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{name} must be an integer, got {value!r}")
    _check_bounds(name, value, minimum, maximum)
    return value


def check_float(
    name: str, value: Any, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    """Return `value` as a float if it is a finite number within [minimum, maximum], else raise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidArgumentError(f"{name} must be a finite number, got {value!r}")
    _check_bounds(name, value, minimum, maximum)
    return float(value)


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return `value` if it is one of `allowed`, else raise naming the allowed values."""
    options = list(allowed)
    if value not in options:
        shown = ", ".join(repr(o) for o in options)
        raise InvalidArgumentError(f"{name} must be one of {shown}; got {value!r}")
    return value


def _check_bounds(name: str, value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise InvalidArgumentError(f"{name} must be >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise InvalidArgumentError(f"{name} must be <= {maximum}, got {value!r}")


def pydantic_problems(exc: Any) -> str:
    """A pydantic `ValidationError` as one line: each wrong field, what is allowed, what was given.

    Example:
        >>> from pydantic import BaseModel, ValidationError
        >>> class M(BaseModel):
        ...     n: int
        >>> try:
        ...     M(n="x")
        ... except ValidationError as exc:
        ...     print(pydantic_problems(exc))
        n: Input should be a valid integer, unable to parse string as an integer (got 'x')
    """
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']} (got {e.get('input')!r})"
        for e in exc.errors()
    )
