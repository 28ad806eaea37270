"""What a study file stores about itself: its space, strategy, objectives, constraints, evaluator,
warm start and settings, as one typed record (`StudyConfig`) that reads the files of earlier
releases through one migration."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from nasforge.errors import StudyError
from nasforge.objectives import Constraint, Objective


class StrategyRecord(BaseModel):
    """A strategy as stored: its registered name, seed and hyperparameters (`Strategy.config()`)."""

    name: str
    seed: int = 0
    params: dict[str, Any] = {}


class StudyConfig(BaseModel):
    """A study's stored configuration. `space` and `evaluator` are their registries' configurations
    (`SearchSpace.config()`, `Evaluator.config()`; the evaluator is None for a study made without
    one and never run); `metadata` is what the evaluator says of its data; `warm_start` holds
    formatted genotypes; `settings` is `StudySettings.to_json()`.

    Example:
        >>> config = StudyConfig.stored({"space": {"name": "nb201"}, "strategy": {"name": "random"},
        ...                              "objective": "test", "direction": "minimize"})
        >>> config.objectives[0], config.strategy.seed
        (Objective(metric='test', direction='minimize'), 0)
    """

    model_config = ConfigDict(extra="allow")
    space: dict[str, Any]
    strategy: StrategyRecord
    objectives: list[Objective]
    constraints: list[dict[str, Any]] = []
    evaluator: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    warm_start: list[str] | None = None
    settings: dict[str, Any] = {}

    @classmethod
    def stored(cls, config: dict[str, Any]) -> StudyConfig:
        """The configuration read from a study file of this release or an earlier one.

        Raises:
            StudyError: the stored configuration is not one nasforge wrote.
        """
        try:
            return cls.model_validate(config)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise StudyError(
                f"the study's stored configuration is not one nasforge wrote: {problems}"
            ) from None

    @model_validator(mode="before")
    @classmethod
    def _migrated(cls, config: Any) -> Any:
        """Earlier files: one `objective` and `direction` instead of `objectives` (later ones kept
        them beside it, as copies of the first); no constraints or settings (the defaults apply); a
        supernet evaluator without `score_dropout`, which scored in evaluation mode."""
        if not isinstance(config, dict):
            return config
        kept = {k: v for k, v in config.items() if k not in ("objective", "direction")}
        if "objectives" not in config:
            metric, direction = config.get("objective", "valid"), config.get("direction", "maximize")
            kept["objectives"] = [{"metric": metric, "direction": direction}]
        evaluator = config.get("evaluator")
        if isinstance(evaluator, dict) and evaluator.get("name") == "supernet":
            kept["evaluator"] = {"score_dropout": False, **evaluator}
        return kept

    def to_json(self) -> dict[str, Any]:
        """The JSON form written to the study file."""
        return self.model_dump(mode="json")

    def constraint_list(self) -> tuple[Constraint, ...]:
        """The constraints as `Constraint`s."""
        return tuple(Constraint.from_dict(c) for c in self.constraints)
