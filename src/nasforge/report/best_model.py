"""The best model's test-set picture for the report: confusion matrix, per-class precision and
recall, and accuracy under input noise, from the search's final pick (the best trial's
retrained model, or the ensemble of the best few) and the data it was trained on, where both
load here."""

from __future__ import annotations

from typing import Any

import numpy as np

from nasforge.errors import NasforgeError
from nasforge.study.record import StudyView


def best_model_checks(view: StudyView) -> dict[str, Any] | None:
    """`{"trial", "classes", "confusion", "precision", "recall", "noise": {σ: accuracy}}`, or None."""
    best, folder = view.best_trial, view.model_folder()  # the search's final pick (an ensemble, maybe)
    if best is None or folder is None or not folder.is_dir():
        return None
    import torch
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    from nasforge.deploy.compress.measure import training_data
    from nasforge.deploy.load import load_model
    from nasforge.evaluators.model_card import read_card

    try:
        card, model = (
            read_card(folder),
            load_model(folder, raw_input=False, trust_code=True),
        )  # the study's own
    except (NasforgeError, OSError, KeyError):
        return None
    dataset = training_data(card)
    if dataset is None or dataset.regression:  # class checks: a regression has no classes
        return None
    x, y = torch.from_numpy(dataset.test.x), dataset.test.y
    classes = card.classes()
    with torch.no_grad():
        predicted = model(x).argmax(1).numpy()
    labels = list(range(len(classes)))
    precision, recall, _, _ = precision_recall_fscore_support(y, predicted, labels=labels, zero_division=0)
    noise = {}
    generator = torch.Generator().manual_seed(0)
    for sigma in (0.0, 0.1, 0.2, 0.3, 0.5, 0.8):
        noisy = x + sigma * torch.randn(x.shape, generator=generator)
        with torch.no_grad():
            noise[sigma] = float(np.mean(model(noisy).argmax(1).numpy() == y))
    return {
        "trial": best.number,
        "classes": classes,
        "confusion": confusion_matrix(y, predicted, labels=labels).tolist(),
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "noise": noise,
    }
