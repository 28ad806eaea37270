"""Search spaces, by name."""

from __future__ import annotations

from typing import Any

from nasforge.errors import InvalidArgumentError
from nasforge.registry import Registry
from nasforge.spaces.base import SearchSpace
from nasforge.spaces.families import FamiliesSpace
from nasforge.spaces.joint import JointSpace
from nasforge.spaces.macro import MacroSpace
from nasforge.spaces.nasnet import NASNetSpace
from nasforge.spaces.nb101 import NB101Space
from nasforge.spaces.nb201 import NB201Space

SPACES: Registry[SearchSpace] = Registry("space")
for _cls in (NB201Space, MacroSpace, FamiliesSpace, NB101Space, NASNetSpace, JointSpace):
    SPACES.register(_cls.name, _cls)


def make_space(config: dict[str, Any] | str) -> SearchSpace:
    """Build a space from its name or from `SearchSpace.config()` output.

    Example:
        >>> make_space({"name": "nb201", "channels": 8}).channels
        8
    """
    if isinstance(config, str):
        return SPACES.create(config)
    if "name" not in config:
        raise InvalidArgumentError(f"space config needs a 'name', got {config!r}")
    params = {k: v for k, v in config.items() if k != "name"}
    return SPACES.create(config["name"], **params)


__all__ = [
    "SPACES",
    "FamiliesSpace",
    "JointSpace",
    "MacroSpace",
    "NASNetSpace",
    "NB101Space",
    "NB201Space",
    "SearchSpace",
    "make_space",
]
