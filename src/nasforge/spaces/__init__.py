"""Search spaces, by name. Classes load on first use, so listing them imports nothing heavy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nasforge._registry import Registry, lazy_getattr
from nasforge.errors import InvalidArgumentError

if TYPE_CHECKING:
    from nasforge.spaces.base import SearchSpace
    from nasforge.spaces.classic.space import ClassicSpace
    from nasforge.spaces.define_by_run.space import UserSpace
    from nasforge.spaces.families.space import FamiliesSpace
    from nasforge.spaces.joint import JointSpace
    from nasforge.spaces.macro.space import MacroSpace
    from nasforge.spaces.mlp import MLPSpace
    from nasforge.spaces.nasnet.space import NASNetSpace
    from nasforge.spaces.nb101.space import NB101Space
    from nasforge.spaces.nb201.space import NB201Space

_CLASSES = {
    "nb201": "nasforge.spaces.nb201.space:NB201Space",
    "macro": "nasforge.spaces.macro.space:MacroSpace",
    "families": "nasforge.spaces.families.space:FamiliesSpace",
    "nb101": "nasforge.spaces.nb101.space:NB101Space",
    "nasnet": "nasforge.spaces.nasnet.space:NASNetSpace",
    "joint": "nasforge.spaces.joint:JointSpace",
    "mlp": "nasforge.spaces.mlp:MLPSpace",
    "classic": "nasforge.spaces.classic.space:ClassicSpace",
    "user": "nasforge.spaces.define_by_run.space:UserSpace",
}
SPACES: Registry[SearchSpace] = Registry.lazy("space", _CLASSES)
__getattr__ = lazy_getattr(
    __name__, {**SPACES.class_paths(), "SearchSpace": "nasforge.spaces.base:SearchSpace"}
)


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
    "ClassicSpace",
    "FamiliesSpace",
    "JointSpace",
    "MLPSpace",
    "MacroSpace",
    "NASNetSpace",
    "NB101Space",
    "NB201Space",
    "SearchSpace",
    "UserSpace",
    "make_space",
]
