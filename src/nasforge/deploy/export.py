"""Export a study's trial as a self-describing model folder: weights, ONNX, manifest and card.

The folder holds `config.json` (genotype, space, task), `model.safetensors`, `model.onnx`
(dynamic batch axis, checked against PyTorch with onnxruntime before the export counts as
done), `manifest.json` (versions, input shape and dtype, class names, normalisation, metrics
with their split, sha256 of every file) and a `README.md` model card. `nasforge.load(folder)`
reads it back and refuses files whose sha256 does not match.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from nasforge.deploy.load import check_trusted, load_model
from nasforge.deploy.source_copy import copy_source
from nasforge.errors import InvalidArgumentError, NasforgeError
from nasforge.evaluators.model_card import CARD, WEIGHTS, ModelCard, read_card, sha256
from nasforge.extras import require_extra
from nasforge.study.record import StudyView
from nasforge.trial import Trial, TrialState

ONNX_CHECK_INPUTS = 100
ONNX_TOLERANCE = 1e-4
FILES = ("config.json", "model.safetensors", "model.onnx", "README.md")
EXTRA_FILES = ("model.int8.onnx",)  # written by compress


def export_model(
    study: str | Path,
    out: str | Path,
    *,
    trial: str | int = "best",
    retrain_epochs: int | None = None,
    trust_code: bool = False,
) -> Path:
    """Write the model folder of `trial` ("best" or a number) of the study stored at `study`.

    "best" is the search's final pick: the best trial's retrained model, or the ensemble of the
    top few when it scored higher on validation data (see `nasforge.workflows.ensemble`). The
    weights come from the trial's kept model (the study's final retraining, or `--save-top-k`),
    or, with `retrain_epochs`, from training the architecture again now with the study's recipe on
    the training and validation splits together (the card then has test metrics only).

    Raises:
        InvalidArgumentError: no such trial, no kept model and no `retrain_epochs`, or an `out`
            folder that is not empty.
        NasforgeError: the model is of a user-defined space and `trust_code` is False (its
            function is imported to rebuild it).
        NasforgeError: the ONNX model disagrees with PyTorch beyond `ONNX_TOLERANCE`.
    """
    require_extra("onnx", "nasforge export (model.onnx)")
    out = Path(out)
    check_out(out)
    with StudyView(study) as view, tempfile.TemporaryDirectory() as scratch:
        chosen = _pick(view, trial)
        kept = view.model_folder() if trial == "best" else view.model_folder(chosen)  # the final pick
        source = kept if retrain_epochs is None else None
        if source is None:
            if retrain_epochs is None:
                raise InvalidArgumentError(
                    f"trial {chosen.number} has no kept model; give --retrain-epochs N to train it now"
                )
            source = _retrain(view, chosen, retrain_epochs, Path(scratch) / "model")
        write_folder(source, out, trust_code=trust_code)
    return out


def check_out(out: Path) -> None:
    """`out` must be a new or empty folder."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidArgumentError(f"--out must be a new or empty folder, got {str(out)!r}")


def _pick(view: StudyView, trial: str | int) -> Trial:
    if trial == "best":
        best = view.best_trial
        if best is None:
            raise InvalidArgumentError("the study has no COMPLETE trial to export")
        return best
    number = int(trial) if isinstance(trial, int) or str(trial).isdigit() else -1
    if not 0 <= number < len(view.trials) or view.trials[number].state is not TrialState.COMPLETE:
        raise InvalidArgumentError(f"--trial must be 'best' or the number of a COMPLETE trial, got {trial!r}")
    return view.trials[number]


def _retrain(view: StudyView, trial: Trial, epochs: int, folder: Path) -> Path:
    from nasforge.evaluators import EvalOptions, make_evaluator

    space = view.space_or_none
    stored = view.config.evaluator
    if space is None or stored is None:
        raise InvalidArgumentError("the study's space or evaluator is not available here; cannot retrain")
    evaluator = make_evaluator(stored)
    options = EvalOptions(test=True, model_to=str(folder), train_on_valid=True)
    result = evaluator.evaluate(trial.genotype, space, epochs, options)
    if result.error is not None or not (folder / CARD).exists():
        raise NasforgeError(f"retraining trial {trial.number} failed: {result.error or 'no model written'}")
    return folder


def write_folder(source: Path, out: Path, *, trust_code: bool = False) -> None:
    """Write the exported folder `out` from a kept model folder (weights + card), all or nothing:
    the files are written to a temporary folder beside `out`, which is renamed at the end."""
    check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        card = read_card(source)
        check_trusted(card, trust_code)  # before anything of its code is read
        card = copy_source(card, source, partial)
        shutil.copyfile(source / WEIGHTS, partial / "model.safetensors")
        config = card.model_dump(mode="json", include={"genotype", "space", "task", "transforms"})
        if card.members:
            config |= {"members": card.members, "mirror": card.mirror}
        if card.blend:
            config["blend"] = card.blend.model_dump()
        if card.source_file:
            config["source_file"] = card.source_file
        (partial / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        (partial / CARD).write_text(card.model_dump_json(exclude_none=True))  # rewritten by `describe`
        model = load_model(partial, trust_code=trust_code, check_integrity=False)
        max_diff = export_onnx(model, list(card.task.input_shape), partial / "model.onnx")
        describe(partial, card, max_diff)
        partial.chmod(0o755)  # mkdtemp's folder is private; an exported folder is not
        if out.exists():
            out.rmdir()  # empty (check_out)
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def describe(folder: Path, card: ModelCard, max_diff: float) -> None:
    """(Re)write the folder's `card.json`, `README.md` model card and `manifest.json` (with the
    sha256 of every file) from `card`, so that they describe the model in the folder."""
    (folder / CARD).write_text(card.model_dump_json(indent=2, exclude_none=True) + "\n")
    (folder / "README.md").write_text(_model_card(card, max_diff))
    source = [card.source_file] if card.source_file else []
    files = [name for name in (*FILES, CARD, *EXTRA_FILES, *source) if (folder / name).exists()]
    manifest = {
        "format": "nasforge-model/1",
        "versions": card.versions,
        "input": {"shape": [-1, *card.task.input_shape], "dtype": "float32"},
        "output": {
            "shape": [-1, card.task.num_classes],
            "dtype": "float32",
            "kind": "predictions" if card.regression else "logits",
        },
        "class_names": card.data.class_names,
        "normalisation": {
            "applied": "inside the model: it takes the data in its own units",
            "mean": card.data.mean,
            "std": card.data.std,
        },
        "metrics": card.model_dump(mode="json")["metrics"],
        "compression": card.compression,
        "onnx_max_abs_difference": max_diff,
        "sha256": {name: sha256(folder / name) for name in files},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def export_onnx(model: Any, input_shape: list[int], path: Path) -> float:
    """Write the ONNX file (dynamic batch) and return its largest difference from PyTorch."""
    import numpy as np
    import onnxruntime
    import torch

    example = torch.zeros(2, *input_shape)
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated; the torch.export-based one needs onnxscript and
        # took 5.6 s against well under a second for a small macro network. Revisit when it is removed.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            dynamo=False,
        )
    inputs = torch.randn(ONNX_CHECK_INPUTS, *input_shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = model(inputs).numpy()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(["logits"], {"input": inputs.numpy()})
    max_diff = float(np.max(np.abs(got - expected)))
    allowed = ONNX_TOLERANCE * max(1.0, float(np.max(np.abs(expected))))  # relative for large outputs
    if not max_diff <= allowed:
        raise NasforgeError(f"the ONNX model differs from PyTorch by {max_diff:.2e} (allowed {allowed:.2g})")
    return max_diff


def _model_card(card: ModelCard, max_diff: float) -> str:
    rows = "".join(f"| {name} | {m.split} | {m.value:.6g} |\n" for name, m in sorted(card.metrics.items()))
    classes = card.data.class_names
    text = (
        f"# nasforge model\n\nSpace `{card.space['name']}`; input shape {list(card.task.input_shape)} "
        "(float32, in the data's own units: the model standardises its input with the training "
        f"data's mean and std); {card.task.num_classes} classes"
        + (f" ({', '.join(map(str, classes))})" if classes else "")
        + ".\n\n"
        + _architecture(card)
        + f"The ONNX file matches PyTorch within {max_diff:.1e} on {ONNX_CHECK_INPUTS} random inputs.\n\n"
        "Load with `nasforge.load(folder)` (weights are safetensors; files are checked by sha256).\n\n"
        f"| metric | split | value |\n|---|---|---|\n{rows}"
    )
    return text + compression_section(card.compression)


def _architecture(card: ModelCard) -> str:
    members = card.members
    if not members:
        return f"Genotype: `{json.dumps(card.genotype)}`\n\n"
    listed = "".join(f"- `{json.dumps(g)}`\n" for g in members)
    views = " on the input and on its mirror image (last axis)" if card.mirror else ""
    outputs = "outputs" if card.regression else "class probabilities"
    text = (
        f"An ensemble of {len(members)} networks (the search's best, retrained), whose {outputs}"
        f"{views} are averaged; their genotypes:\n\n{listed}\n"
    )
    blend = card.blend
    if blend is None:
        return text
    metric = "R²" if blend.metric == "r2" else "log loss"
    return text + (
        f"Blended with a {blend.baseline} (a share of {blend.share:.1f} of the answer; the networks "
        f"{1 - blend.share:.1f}): on the search's {blend.folds} cross-validation folds the blend "
        f"scored {metric} {blend.blended:.4f} against {blend.networks:.4f} for the network alone.\n\n"
    )


def compression_section(compression: dict[str, Any] | None) -> str:
    """The model card's account of `nasforge compress`: the steps and each one's measured row."""
    if not compression:
        return ""
    columns = ("step", "params", "flops", "file_bytes", "onnx_ms_batch1", "onnx_ms_batch64", "test_accuracy")
    table = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    for row in compression["rows"]:
        table += "| " + " | ".join(_cell(row.get(c)) for c in columns) + " |\n"
    notes = "".join(f"\n{note}\n" for note in compression.get("notes", []))
    return (
        f"\n## Compression\n\nSteps applied: {', '.join(compression['steps'])}. The metrics above are "
        "this folder's model (`model.safetensors`, `model.onnx`); `model.int8.onnx`, where present, "
        f"is the int8 row.\n\n{table}{notes}"
    )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else f"{value:.4g}"
