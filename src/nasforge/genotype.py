"""`Genotype`: a frozen, hashable, JSON-round-trippable description of one architecture."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nasforge.errors import InvalidGenotypeError

Spec = Any  # nested tuples of str / int / float / bool / None


@dataclass(frozen=True)
class Genotype:
    """One architecture of a search space, as plain immutable data (never a torch module).

    Args:
        space: name of the search space the genotype belongs to.
        spec: the architecture as nested tuples of scalars; its meaning is the space's.

    Example:
        >>> g = Genotype("nb201", ("nor_conv_3x3", "skip_connect"))
        >>> Genotype.from_json(g.to_json()) == g
        True
    """

    space: str
    spec: Spec

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec", _freeze(self.spec))

    def to_dict(self) -> dict[str, Any]:
        """The genotype as JSON-ready data."""
        return {"space": self.space, "spec": _thaw(self.spec)}

    def to_json(self) -> str:
        """The genotype as a compact JSON string."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any) -> Genotype:
        """Rebuild a genotype from `to_dict` output."""
        if not isinstance(data, dict) or set(data) != {"space", "spec"}:
            raise InvalidGenotypeError(
                f"genotype must be an object with keys 'space' and 'spec', got {data!r}"
            )
        return cls(str(data["space"]), data["spec"])

    @classmethod
    def from_json(cls, text: str) -> Genotype:
        """Rebuild a genotype from `to_json` output."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidGenotypeError(f"genotype is not valid JSON ({exc}): {text!r}") from None
        return cls.from_dict(data)


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise InvalidGenotypeError(
        f"genotype spec may hold only tuples, lists and scalars, got {type(value).__name__}"
    )


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value
