"""Blending a table's final networks with a linear model, where the study's cross-validation says
it helps.

On small tables a linear (or logistic) regression can beat a searched network. The final pick
may then average the networks with one: the winner is trained once more on each of k folds, a
linear model fitted on the same folds, and the linear model's share of the average (0, 0.1, ...,
0.9) is the one whose blend scores best on the held-out folds (R², or the log loss of a
classification; ties to the smaller share). The folds cut the study's examples another way than
the trials' folds: the winner was chosen for scoring well on those, which flatters it there.
Share 0 is no blend. The linear model of the final pick is fitted on the final fit's examples
and kept as an ensemble member (`CardBlend` says so on the model card, and the search's output
states it). Test data is not looked at.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from nasforge.data.dataset import Dataset, Split
from nasforge.evaluators.ensemble import linear_member
from nasforge.evaluators.metrics import regression_metrics
from nasforge.evaluators.model_card import CardBlend
from nasforge.evaluators.training import TrainingEvaluator
from nasforge.spaces.base import SearchSpace
from nasforge.trial import Trial

SHARES = tuple(i / 10 for i in range(10))
PARTITION = 1  # `fold_predictions`' partition: not the trials' folds (0)


def choose_blend(
    space: SearchSpace, evaluator: TrainingEvaluator, top: list[Trial], epochs: int
) -> CardBlend | None:
    """The linear member the final pick should have (None: the networks alone), chosen on folds
    of the study's examples cut another way than the trials'; only for cross-validated tables
    (`top` scored by k-fold cross-validation)."""
    data = evaluator.dataset()
    if not top or data.modality != "table" or not all("cv_folds" in t.metrics for t in top):
        return None
    truth, network, linear = [], [], []
    for fold, predicted in evaluator.fold_predictions(top[0].genotype, space, epochs, PARTITION):
        model = fit_linear(fold.train, data)
        truth.append(fold.valid.y)
        network.append(predicted)
        linear.append(_predict(model, fold.valid.x, data))
    y, net, lin = np.concatenate(truth), np.concatenate(network), np.concatenate(linear)
    scores = [_score(y, (1 - share) * net + share * lin, data.regression) for share in SHARES]
    best = int(np.argmax(scores))  # the first of equal scores: the smaller share
    if best == 0:
        return None
    return CardBlend(
        baseline="linear regression" if data.regression else "logistic regression",
        share=SHARES[best],
        folds=len(truth),
        metric="r2" if data.regression else "log_loss",
        networks=scores[0] if data.regression else -scores[0],
        blended=scores[best] if data.regression else -scores[best],
    )


def fit_linear(split: Split, data: Dataset) -> nn.Module:
    """A linear (regression) or logistic (classification) model fitted by scikit-learn on
    `split` (standardised, as the networks see it), as the torch module an ensemble holds."""
    from sklearn.linear_model import LinearRegression, LogisticRegression

    x = split.x.reshape(len(split), -1).astype(np.float64)
    module = linear_member(data.task.input_shape, data.task.num_classes)
    layer = next(m for m in module.modules() if isinstance(m, nn.Linear))
    weight = np.zeros((data.task.num_classes, x.shape[1]))
    bias = np.zeros(data.task.num_classes)
    if data.regression:
        fitted = LinearRegression().fit(x, split.y)
        weight[0], bias[0] = fitted.coef_, fitted.intercept_
    else:
        classifier = LogisticRegression(max_iter=5000).fit(x, split.y)
        classes = classifier.classes_.astype(int)
        bias[:] = -30.0  # a class the training examples lack gets no probability
        if len(classes) == 2:  # one decision function: logits (0, z) give the same softmax
            weight[classes[1]], bias[classes[1]], bias[classes[0]] = (
                classifier.coef_[0],
                classifier.intercept_[0],
                0.0,
            )
        else:
            weight[classes], bias[classes] = classifier.coef_, classifier.intercept_
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
        layer.bias.copy_(torch.from_numpy(bias))
    return module.eval()


def _predict(model: nn.Module, x: np.ndarray, data: Dataset) -> np.ndarray:
    with torch.no_grad():
        out = model(torch.from_numpy(x)).double()
    return out[:, 0].numpy() if data.regression else out.softmax(-1).numpy()


def _score(y: np.ndarray, predicted: np.ndarray, regression: bool) -> float:
    """R² of a regression; the negative log loss of class probabilities (higher is better)."""
    if regression:
        return regression_metrics(y, predicted, "")["r2"]
    from sklearn.metrics import log_loss

    return -float(log_loss(y.astype(int), predicted, labels=list(range(predicted.shape[1]))))
