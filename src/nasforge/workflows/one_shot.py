"""The supernet of a one-shot study, trained once and kept beside the study.

Its weights are the artifact `supernet` (`<study>.artifacts/supernet.safetensors`), its
per-epoch training loss and accuracy are the curves `supernet_train_loss` and
`supernet_train_accuracy` of the study-level record -1 (`supernet_curves`). While it trains, a
checkpoint after every epoch lets a killed run continue from its last epoch.
"""

from __future__ import annotations

from collections.abc import Callable

from nasforge.evaluators.base import Evaluator
from nasforge.evaluators.one_shot import SupernetEvaluator
from nasforge.study.study import Study

SUPERNET = "supernet"  # artifact kind
STUDY_RECORD = -1  # the trial number of study-level records (no trial has it)
WEIGHTS, CHECKPOINT = "supernet.safetensors", "supernet-checkpoint.safetensors"


def prepare_supernet(
    study: Study, evaluator: Evaluator, on_epoch: Callable[[int, int], None] | None = None
) -> bool:
    """Train the supernet of a one-shot study before its search, or reuse the one it stored.

    Does nothing for an evaluator that trains each candidate, or a study kept in memory (its
    supernet trains in process on first use). `on_epoch(done, total)` follows the training.

    Returns:
        Whether a supernet was trained now.
    """
    folder = study.artifact_dir
    if not isinstance(evaluator, SupernetEvaluator) or folder is None:
        return False
    weights = folder / WEIGHTS
    if weights.exists() and any(a["kind"] == SUPERNET for a in study.artifact_records()):
        evaluator.weights = str(weights)
        return False
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint = folder / CHECKPOINT

    def record(done: int, total: int, values: dict[str, float]) -> None:
        study.storage.add_step(STUDY_RECORD, done - 1, {f"supernet_{k}": v for k, v in values.items()})
        if on_epoch is not None:
            on_epoch(done, total)

    with study.storage.writing():
        evaluator.check(study.space)
        supernet = evaluator.train(study.space, checkpoint, record)
        evaluator.save(supernet, weights)
        study.storage.add_artifact(STUDY_RECORD, SUPERNET, None, WEIGHTS)
        checkpoint.unlink(missing_ok=True)
    return True


def supernet_curves(study: Study) -> dict[str, list[float]]:
    """The supernet's training curves, one value per epoch (empty for other studies)."""
    return study.storage.load_curves(STUDY_RECORD)
