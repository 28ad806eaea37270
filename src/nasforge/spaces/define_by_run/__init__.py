"""Define-by-run spaces: a user's model family written as one function that asks for knobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nasforge.spaces.define_by_run.knobs import Knobs
from nasforge.spaces.define_by_run.space import UserSpace


def space(function: Callable[..., Any]) -> UserSpace:
    """Make a search space of a define-by-run function (use it as a decorator).

    Example:
        >>> import nasforge
        >>> @nasforge.space
        ... def widths(k):
        ...     return [k.choice(f"layer{i}", [16, 32]) for i in k.range("depth", 1, 3)]
        >>> sorted(widths.knob_values())
        ['depth', 'layer0', 'layer1', 'layer2']
    """
    return UserSpace(function=function)


__all__ = ["Knobs", "UserSpace", "space"]
