"""`Task`: what a built network must accept and predict."""

from __future__ import annotations

from dataclasses import dataclass

from nasforge.errors import InvalidArgumentError


@dataclass(frozen=True)
class Task:
    """Input shape without the batch dimension, and the number of classes (1: one number to
    predict, a regression).

    `(channels, length)` is a 1D task (sequences), `(channels, height, width)` a 2D one (images).

    Example:
        >>> Task((3, 32, 32), 10).dims
        2
    """

    input_shape: tuple[int, ...]
    num_classes: int

    def __post_init__(self) -> None:
        shape = tuple(self.input_shape)
        if len(shape) not in (2, 3) or any(not isinstance(d, int) or d < 1 for d in shape):
            raise InvalidArgumentError(
                "input_shape must be (channels, length) or (channels, height, width) with "
                f"positive integers, got {self.input_shape!r}"
            )
        if not isinstance(self.num_classes, int) or self.num_classes < 1:
            raise InvalidArgumentError(
                f"num_classes must be an integer >= 1 (1: one output, a regression), got {self.num_classes!r}"
            )
        object.__setattr__(self, "input_shape", shape)

    @property
    def dims(self) -> int:
        """1 for sequences, 2 for images."""
        return len(self.input_shape) - 1

    @property
    def channels(self) -> int:
        """Number of input channels."""
        return self.input_shape[0]
