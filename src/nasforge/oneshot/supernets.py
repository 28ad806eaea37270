"""The supernets of the spaces that have one (`macro`, `families`: sliced shared layers; `nb201`:
mixed edges), behind one function."""

from __future__ import annotations

from nasforge.errors import InvalidArgumentError
from nasforge.oneshot.cell_supernet import CellSupernet
from nasforge.oneshot.families_supernet import FamiliesSupernet
from nasforge.oneshot.macro_supernet import MacroSupernet
from nasforge.spaces.base import SearchSpace
from nasforge.spaces.families.space import FamiliesSpace
from nasforge.spaces.macro.space import MacroSpace
from nasforge.spaces.nb201.space import NB201Space
from nasforge.task import Task

Supernet = MacroSupernet | FamiliesSupernet | CellSupernet
SUPERNETS: dict[type[SearchSpace], type[Supernet]] = {
    MacroSpace: MacroSupernet,
    FamiliesSpace: FamiliesSupernet,
    NB201Space: CellSupernet,
}
SUPERNET_SPACES = tuple(sorted(space.name for space in SUPERNETS))


def supernet_class(space: SearchSpace) -> type[Supernet]:
    """The supernet class of `space`.

    Raises:
        InvalidArgumentError: the space has none.
    """
    for space_kind, supernet in SUPERNETS.items():
        if isinstance(space, space_kind):
            return supernet
    raise InvalidArgumentError(
        f"space {space.name!r} has no supernet; one-shot search works on: {', '.join(SUPERNET_SPACES)}"
    )


def make_supernet(space: SearchSpace, task: Task) -> Supernet:
    """The untrained supernet of `space` on `task`.

    Raises:
        InvalidArgumentError: the space has none.
    """
    return supernet_class(space)(space, task)  # type: ignore[arg-type]
