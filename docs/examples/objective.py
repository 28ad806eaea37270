"""An Optuna objective as Optuna's documentation writes it, plus a conditional knob."""


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    if trial.suggest_categorical("shift", [True, False]):
        x += trial.suggest_int("by", 1, 3)
    return (x - 2) ** 2
