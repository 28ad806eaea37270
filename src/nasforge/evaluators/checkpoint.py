"""Resumable training state in safetensors: weights, optimizer state, RNG states and epochs done.

Never pickle: tensors go in the safetensors file, everything else in its JSON metadata.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from nasforge.errors import NasforgeError


class OptimizerState(Protocol):
    """What a checkpoint saves of an optimizer (a torch optimizer, or `Optimizers`)."""

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state_dict: dict[str, Any]) -> None: ...


class Optimizers:
    """Several optimizers saved and restored as one: their parameters numbered one after another,
    their parameter groups in order (DARTS: the weights', then the architecture's).

    Example:
        >>> a, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(1))
        >>> both = Optimizers(torch.optim.SGD([a], lr=0.1), torch.optim.Adam([b], lr=0.1))
        >>> [group["params"] for group in both.state_dict()["param_groups"]]
        [[0], [1]]
    """

    def __init__(self, *optimizers: torch.optim.Optimizer) -> None:
        self.optimizers = optimizers

    def state_dict(self) -> dict[str, Any]:
        state: dict[int, Any] = {}
        groups: list[dict[str, Any]] = []
        offset = 0
        for optimizer in self.optimizers:
            own = optimizer.state_dict()
            state.update({offset + index: value for index, value in own["state"].items()})
            groups += [{**g, "params": [offset + p for p in g["params"]]} for g in own["param_groups"]]
            offset += sum(len(g["params"]) for g in own["param_groups"])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        offset, at = 0, 0
        for optimizer in self.optimizers:
            groups = state_dict["param_groups"][at : at + len(optimizer.param_groups)]
            at += len(groups)
            count = sum(len(g["params"]) for g in groups)
            optimizer.load_state_dict(
                {
                    "state": {
                        index - offset: value
                        for index, value in state_dict["state"].items()
                        if offset <= index < offset + count
                    },
                    "param_groups": [{**g, "params": [p - offset for p in g["params"]]} for g in groups],
                }
            )
            offset += count


class Resumable(Protocol):
    """A training run that can be saved and continued (`Trainer`, `DartsTrainer`)."""

    model: nn.Module

    @property
    def optimizer(self) -> OptimizerState: ...

    generator: torch.Generator
    epoch: int

    def fast_forward(self, epochs: int) -> None: ...


def save_checkpoint(path: str | Path, trainer: Resumable) -> None:
    """Write `trainer`'s model, optimizer and generator state, and its epoch, to `path`."""
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in trainer.model.state_dict().items()}
    optimizer = trainer.optimizer.state_dict()
    scalars: dict[str, dict[str, float]] = {}
    for index, state in optimizer["state"].items():
        for name, value in state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(index), {})[name] = value
    tensors["rng.generator"] = trainer.generator.get_state()
    tensors["rng.torch"] = torch.get_rng_state()
    meta = {"epoch": trainer.epoch, "param_groups": optimizer["param_groups"], "scalars": scalars}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"nasforge": json.dumps(meta)})


def load_checkpoint(path: str | Path, trainer: Resumable) -> None:
    """Restore what `save_checkpoint` wrote into `trainer` (same architecture), and its schedule.

    Raises:
        NasforgeError: the file cannot be read (missing, truncated, corrupted); nothing was restored.
    """
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = json.loads((handle.metadata() or {})["nasforge"])
        tensors = load_file(str(path))
    except Exception as exc:  # safetensors raises its own error type for a truncated or foreign file
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise NasforgeError(f"cannot read checkpoint {path}: {first_line}") from None
    model_state = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
    trainer.model.load_state_dict(model_state)
    state: dict[int, dict[str, object]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    for index, values in meta["scalars"].items():
        state.setdefault(int(index), {}).update(values)
    trainer.optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    trainer.generator.set_state(tensors["rng.generator"])
    torch.set_rng_state(tensors["rng.torch"])
    trainer.fast_forward(int(meta["epoch"]))
