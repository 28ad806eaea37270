"""Knobs only (no model) and a scoring function of your own, for the function evaluator."""

import math


def recipe(k):
    k.float("learning_rate", 1e-4, 1e-1, log=True)
    if k.choice("optimizer", ["sgd", "adam"]) == "sgd":
        k.float("momentum", 0.0, 0.99)
    k.int("width", 8, 512, log=True)


def fit(call):
    k = call.knobs
    for step in range(0, 50, 10):  # your own training loop, reporting every 10th step
        call.report(step, score=-abs(math.log10(k["learning_rate"]) + 2) * (1 + 10 / (step + 10)))
    return {"score": -abs(math.log10(k["learning_rate"]) + 2) - abs(math.log2(k["width"]) - 7)}
