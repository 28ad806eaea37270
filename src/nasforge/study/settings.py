"""`StudySettings`: how a study runs, typed, with the one set of defaults that the CLI, TOML
configs and `Study.create` share. Stored with the study so that a resume runs as it was started.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nasforge.errors import InvalidArgumentError
from nasforge.execution.executors import ExecutorName
from nasforge.study.early_stopping import PrunerName
from nasforge.validation import pydantic_problems

BUDGET = 100
FINAL_EPOCHS = 40
ENSEMBLE = 5
FinalFit = Literal["train+valid", "train"]


class ParentStudy(BaseModel):
    """The study a follow-up (`nasforge improve`) came from, and the directions it applied."""

    model_config = ConfigDict(extra="forbid")

    study: str
    directions: list[dict[str, Any]] = Field(default_factory=list)


class StudySettings(BaseModel):
    """How a study runs. A misspelt name or a value out of range is refused with the allowed values.

    Example:
        >>> StudySettings(budget=30).final_epochs
        40
        >>> StudySettings.parse({"pruner": "medain"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        nasforge.errors.InvalidArgumentError: settings: pruner: Input should be 'none' or 'median' ...
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # Settings a resume may change; every other one is part of what the study is.
    RUN: ClassVar[tuple[str, ...]] = (
        "budget",
        "timeout",
        "final_epochs",
        "ensemble",
        "blend",
        "rerank",
        "workers",
        "executor",
        "ray_address",
        "cpus_per_trial",
        "gpus_per_trial",
        "trial_timeout",
        "retries",
    )

    budget: int = Field(BUDGET, ge=1, description="trials in total")
    timeout: float | None = Field(
        None,
        gt=0,
        description="ask for no new trial after this many seconds of one optimize call (the running "
        "ones finish; a resume may go on to the budget)",
    )
    final_epochs: int = Field(
        FINAL_EPOCHS, ge=0, description="retrain the winner this long at the end (0: no)"
    )
    ensemble: int = Field(
        ENSEMBLE, ge=1, description="the final pick averages the k best retrained models (1: the best alone)"
    )
    blend: bool = Field(
        True,
        description="on a cross-validated table, the final pick blends in a linear model where the "
        "study's folds score the blend higher (stated in the output and on the model card)",
    )
    final_fit: FinalFit = Field(
        "train+valid",
        description="what the final retraining trains on: the training and validation splits together "
        "(the trials were compared on validation data; the final models then report no validation "
        "figures), or the training split alone",
    )
    rerank: int = Field(
        0,
        ge=0,
        description="before the final retraining, train the k best on their own for the evaluator's "
        "epochs and retrain the best of them by validation (0: no; one-shot studies, whose ranking "
        "comes from a supernet)",
    )
    workers: int | None = Field(None, ge=1, description="trials at once")
    executor: ExecutorName = "auto"
    ray_address: str | None = None
    cpus_per_trial: float | None = Field(None, gt=0)
    gpus_per_trial: float = Field(0.0, ge=0)
    trial_timeout: float | None = Field(None, gt=0, description="fail a trial after this many seconds")
    retries: int = Field(1, ge=0, description="runs again of a trial whose worker died or timed out")
    test_every_trial: bool = False
    pruner: PrunerName = "none"
    prune_after: int = Field(5, ge=1, description="finished trials before the median rule stops any")
    save_top_k: int = Field(0, ge=0, description="also retrain and keep the k best trials")
    checkpoints: bool = Field(False, description="keep resumable checkpoints (promotions continue them)")
    parent: ParentStudy | None = None

    @classmethod
    def parse(cls, data: StudySettings | dict[str, Any] | None) -> StudySettings:
        """Settings from a dict (or None: the defaults).

        Raises:
            InvalidArgumentError: an unknown name or a value not allowed, each named.
        """
        if isinstance(data, StudySettings):
            return data
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            raise InvalidArgumentError(f"settings: {pydantic_problems(exc)}") from None

    @classmethod
    def stored(cls, data: dict[str, Any]) -> StudySettings:
        """The settings of a stored study; names this release no longer knows are left out."""
        return cls.parse({k: v for k, v in data.items() if k in cls.model_fields})

    def changed(self, **changes: Any) -> StudySettings:
        """A copy with `changes`, validated like `parse`."""
        return self.parse({**self.model_dump(), **changes})

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return self.model_dump(mode="json")
