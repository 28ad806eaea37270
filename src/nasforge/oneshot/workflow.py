"""The supernet of a one-shot study, trained once and kept beside the study.

Its weights are the artifact `supernet` (`<study>.artifacts/supernet.safetensors`); its
per-epoch `train_loss` and `train_accuracy` (and for DARTS `arch_loss`, every operation weight
`alpha/<to><-<from>/<op>` and the derived cell's `derived_skips` and `derived_parameter_free`)
are the curves of the study-level record -1 (`supernet_curves`). While it trains, a checkpoint
after every epoch lets a killed run continue from its last epoch. DARTS' derived cell is the
first candidate the search scores.
"""

from __future__ import annotations

from collections.abc import Callable

from nasforge.evaluators.base import Evaluator
from nasforge.oneshot.evaluator import SupernetEvaluator
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
        evaluator.weights = str(weights)  # a derived cell was stored as the study's warm start
        return False
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint = folder / CHECKPOINT

    def record(done: int, total: int, values: dict[str, float]) -> None:
        study.storage.add_step(STUDY_RECORD, done - 1, values)
        if on_epoch is not None:
            on_epoch(done, total)

    with study.storage.writing():
        evaluator.check(study.space)
        supernet = evaluator.train(study.space, checkpoint, record)
        evaluator.save(supernet, weights)
        _serve_first(study, evaluator)
        study.storage.add_artifact(STUDY_RECORD, SUPERNET, None, WEIGHTS)
        checkpoint.unlink(missing_ok=True)
    return True


def _serve_first(study: Study, evaluator: SupernetEvaluator) -> None:
    """DARTS' derived cell becomes the search's first candidate, stored as the study's warm
    start so that a reopened study replays it (SPOS derives none)."""
    derived = [study.space.format(g) for g in evaluator.derived(study.space)]
    if not derived:
        return
    earlier = [g for g in study.config.warm_start or [] if g not in derived]
    study.config.warm_start = derived + earlier
    study.storage.write_config(study.config)
    study.strategy.warm_start([study.space.parse(g) for g in study.config.warm_start])


def supernet_curves(study: Study) -> dict[str, list[float]]:
    """The supernet's training curves, one value per epoch (empty for other studies)."""
    return study.storage.load_curves(STUDY_RECORD)
