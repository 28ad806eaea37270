"""The final pick of a search: the average of the best few retrained models.

After the final retraining, the `ensemble` best retrained models are averaged into one model
(`Ensemble`), kept beside the study like any model (weights, card, manifest), scored on the same
validation and test splits, and recorded as the final pick that `nasforge.load(study)`,
`export` and `serve` use. Where the members were trained with random horizontal flips
(`augment` hflip), each also answers the mirrored input, and both answers are averaged.
The pick is not chosen between the ensemble and its members on validation data: on a few
hundred validation examples, near-equal models differ by a handful of examples, and the member
that wins there is as often the one that lost on unseen data (the README's main-job section has
the measurement).
"""

from __future__ import annotations

from typing import Any

from nasforge.evaluators.base import Evaluator, without_validation
from nasforge.evaluators.model_card import CardBlend, card_metrics, read_card, save_model
from nasforge.evaluators.training import TrainingEvaluator
from nasforge.study.picks import ENSEMBLE, PICK
from nasforge.study.study import Study
from nasforge.trial import Retrain, Trial


def ensemble_folder_name(size: int, epochs: int, blend: CardBlend | None = None) -> str:
    linear = f"-linear{round(blend.share * 100)}" if blend is not None else ""
    return f"ensemble-top{size}-f{epochs}{linear}"


def final_pick(
    study: Study,
    evaluator: Evaluator,
    retrained: list[tuple[Trial, Retrain]],
    size: int,
    epochs: int,
    blend: CardBlend | None = None,
) -> dict[str, Any] | None:
    """Record the final pick among `retrained` (best first): the average of its `size` best
    (kept as one model), or with `size` 1 (or a single model retrained) the best alone; with
    `blend`, that average blended with a linear model fitted on the final fit's examples.
    Returns the ensemble's `{"folder", "members", "metrics"}`, or None when there is none."""
    kept = [(t, study.model_folder(t)) for t, record in retrained if record.ok]
    members = [(t, folder) for t, folder in kept if folder is not None and folder.is_dir()][:size]
    if not members or not isinstance(evaluator, TrainingEvaluator) or study.artifact_dir is None:
        return None
    if len(members) == 1 and blend is None:
        _record_pick(study, members[0][0], epochs, members[0][1].name)
        return None
    name = ensemble_folder_name(len(members), epochs, blend)
    folder = study.artifact_dir / name
    stored = [a for a in study.artifact_records() if a["kind"] == ENSEMBLE and a["path"] == name]
    if stored and folder.is_dir():  # a resumed search: built already
        metrics = read_card(folder).metric_values()
    else:
        metrics = _build(evaluator, [f for _, f in members], folder, blend)
        with study.storage.writing():
            study.storage.add_artifact(members[0][0].number, ENSEMBLE, epochs, name)
    _record_pick(study, members[0][0], epochs, name)
    return {"folder": folder, "members": [t.number for t, _ in members], "metrics": metrics}


def _record_pick(study: Study, trial: Trial, epochs: int, name: str) -> None:
    picks = [a for a in study.artifact_records() if a["kind"] == PICK]
    if not picks or picks[-1]["path"] != name:
        with study.storage.writing():
            study.storage.add_artifact(trial.number, PICK, epochs, name)


def _build(
    evaluator: TrainingEvaluator, folders: list[Any], out: Any, blend: CardBlend | None
) -> dict[str, float]:
    """Load the members (standardised input, as trained), average them (blended with a linear
    model fitted on the same examples), score and keep the result."""
    from nasforge.deploy.load import load_model
    from nasforge.evaluators.ensemble import Ensemble, blend_weights
    from nasforge.workflows.blend import fit_linear

    cards = [read_card(f) for f in folders]
    on_valid = any(card.learnt_from_valid for card in cards)
    members = [load_model(f, raw_input=False, trust_code=True) for f in folders]  # the study's own
    weights = None
    if blend is not None:
        data = evaluator.dataset()
        fit = data.train_and_valid() if on_valid else data.train
        weights = blend_weights(len(members), blend.share)
        members.append(fit_linear(fit, data))
    regression = cards[0].regression
    mirror = "hflip" in evaluator.recipe.augment  # trained on mirrored inputs too: answer both views
    model = Ensemble(members, regression=regression, mirror=mirror, weights=weights).eval()
    measured = without_validation(evaluator.measure(model)) if on_valid else evaluator.measure(model)
    metrics = {**measured, "params": float(sum(p.numel() for p in model.parameters()))}
    genotypes = [c.genotype for c in cards if c.genotype is not None]
    update = {
        "members": genotypes,
        "mirror": mirror,
        "blend": blend,
        "metrics": card_metrics(evaluator.metric_schema(), metrics),
    }
    save_model(out, model, cards[0].model_copy(update=update))
    return metrics
