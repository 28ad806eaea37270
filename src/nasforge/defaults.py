"""The defaults of `nasforge search` (the main job), in one place and without heavy imports:
`SearchConfig` builds on them and `--help` shows them."""

from __future__ import annotations

# Sized to finish in a few minutes on two CPU cores.
DEFAULT_SPACE = {"name": "macro", "max_blocks": 4, "choices": {"channels": [16, 32, 64], "batchnorm": [True]}}
DEFAULT_STRATEGY = {"name": "evolution", "population_size": 10}
DEFAULT_EVALUATOR = {"name": "training", "data": "mnist1d", "epochs": 5, "learning_rate": 0.01}
BUDGET = 100
FINAL_EPOCHS = 40
WARMUP_CANDIDATES = 500
# Settings that may change when a stored study is resumed; every other one is part of the study.
RUN_SETTINGS = (
    "budget",
    "final_epochs",
    "workers",
    "executor",
    "ray_address",
    "cpus_per_trial",
    "gpus_per_trial",
    "trial_timeout",
    "retries",
)
