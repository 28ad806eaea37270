"""A search where a team already looks: MLflow runs, TensorBoard logs and an Optuna study for
`optuna-dashboard` (each needs its extra: `pip install 'nasforge[tracking]'`).

The classes load on first use, so importing this package imports none of those libraries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from nasforge._registry import lazy_getattr

if TYPE_CHECKING:
    from nasforge.study.record import StudyRecord
    from nasforge.tracking.mlflow_tracking import MLflowCallback
    from nasforge.tracking.optuna_export import OptunaExport, export_to_optuna
    from nasforge.tracking.tensorboard_tracking import TensorBoardCallback
    from nasforge.trial import Trial


class Tracker(Protocol):
    """What the search asks of a tracker: a callback per finished trial, a catch-up, the end."""

    enabled: bool

    def __call__(self, study: StudyRecord, trial: Trial) -> None: ...

    def sync(self, study: StudyRecord) -> int: ...

    def end(self, study: StudyRecord) -> None: ...

    def where(self) -> str: ...


__getattr__ = lazy_getattr(
    __name__,
    {
        "MLflowCallback": "nasforge.tracking.mlflow_tracking:MLflowCallback",
        "TensorBoardCallback": "nasforge.tracking.tensorboard_tracking:TensorBoardCallback",
        "OptunaExport": "nasforge.tracking.optuna_export:OptunaExport",
        "export_to_optuna": "nasforge.tracking.optuna_export:export_to_optuna",
    },
)
__all__ = ["MLflowCallback", "OptunaExport", "TensorBoardCallback", "Tracker", "export_to_optuna"]
