"""Classification metrics from predicted probabilities (scikit-learn where it has them)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support, roc_auc_score

EPS = 1e-12


def classification_metrics(y_true: np.ndarray, probs: np.ndarray, prefix: str) -> dict[str, float]:
    """Accuracy, macro precision / recall / F1, one-vs-rest ROC-AUC, KL divergence, cross-entropy.

    `kl` is KL(true label distribution || mean predicted distribution): how far the model's
    overall class balance is from the data's. ROC-AUC is left out when a class is absent from
    `y_true` (it is undefined there).

    Example:
        >>> m = classification_metrics(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]), "test_")
        >>> m["test_accuracy"], round(m["test_auc"], 2)
        (1.0, 1.0)
    """
    num_classes = probs.shape[1]
    predicted = probs.argmax(axis=1)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, predicted, labels=np.arange(num_classes), average="macro", zero_division=0
    )
    true_dist = np.bincount(y_true, minlength=num_classes) / len(y_true)
    mean_pred = probs.mean(axis=0)
    out = {
        "accuracy": float(accuracy_score(y_true, predicted)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "kl": float(np.sum(true_dist * (np.log(true_dist + EPS) - np.log(mean_pred + EPS)))),
        "loss": float(-np.mean(np.log(probs[np.arange(len(y_true)), y_true] + EPS))),
    }
    if len(np.unique(y_true)) == num_classes:
        scores = probs[:, 1] if num_classes == 2 else probs / probs.sum(axis=1, keepdims=True)
        out["auc"] = float(roc_auc_score(y_true, scores, multi_class="ovr", average="macro"))
    return {prefix + name: value for name, value in out.items()}


def regression_metrics(y_true: np.ndarray, predicted: np.ndarray, prefix: str) -> dict[str, float]:
    """Mean squared error, mean absolute error and R² (in the targets' own units).

    Example:
        >>> regression_metrics(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]), "test_")
        {'test_mse': 0.3333333333333333, 'test_mae': 0.3333333333333333, 'test_r2': 0.5}
    """
    error = predicted - y_true
    mse = float(np.mean(error**2))
    r2 = 1.0 - mse / max(float(np.var(y_true)), 1e-12)
    return {f"{prefix}mse": mse, f"{prefix}mae": float(np.mean(np.abs(error))), f"{prefix}r2": r2}
