"""The supernets of the spaces that have one (`macro`, `families`: sliced shared layers; `nb201`:
mixed edges), behind one function."""

from __future__ import annotations

from nasforge.errors import InvalidArgumentError
from nasforge.spaces.base import SearchSpace
from nasforge.spaces.cell_supernet import CellSupernet
from nasforge.spaces.families import FamiliesSpace
from nasforge.spaces.families_supernet import FamiliesSupernet
from nasforge.spaces.macro import MacroSpace
from nasforge.spaces.macro_supernet import MacroSupernet
from nasforge.spaces.nb201 import NB201Space
from nasforge.task import Task

Supernet = MacroSupernet | FamiliesSupernet | CellSupernet
SUPERNETS: dict[type[SearchSpace], type[Supernet]] = {
    MacroSpace: MacroSupernet,
    FamiliesSpace: FamiliesSupernet,
    NB201Space: CellSupernet,
}
SUPERNET_SPACES = tuple(sorted(space.name for space in SUPERNETS))


def check_supernet_space(space: SearchSpace) -> SearchSpace:
    """`space`, which has a supernet.

    Raises:
        InvalidArgumentError: the space has none.
    """
    if not isinstance(space, tuple(SUPERNETS)):
        raise InvalidArgumentError(
            f"space {space.name!r} has no supernet; one-shot search works on: {', '.join(SUPERNET_SPACES)}"
        )
    return space


def make_supernet(space: SearchSpace, task: Task) -> Supernet:
    """The untrained supernet of `space` on `task`.

    Raises:
        InvalidArgumentError: the space has none.
    """
    space = check_supernet_space(space)
    kind = next(cls for space_kind, cls in SUPERNETS.items() if isinstance(space, space_kind))
    return kind(space, task)  # type: ignore[arg-type]
