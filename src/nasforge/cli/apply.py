"""`nasforge export`: a study's trial as a verified model folder (weights, ONNX, manifest, card)."""

from __future__ import annotations

import argparse

from nasforge.cli.common import int_at_least, print_json, stdout


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "export",
        help="write a trial's model as safetensors + ONNX with a manifest and a model card",
        description="Writes OUT/config.json, model.safetensors, model.onnx (dynamic batch axis, checked "
        "against PyTorch with onnxruntime on 100 inputs, max abs difference <= 1e-4), manifest.json "
        "(versions, input shape and dtype, class names, normalisation, metrics with their split, sha256 "
        "of every file) and README.md. The weights are the trial's kept model (the final retraining, "
        "or --save-top-k), or a retraining now with --retrain-epochs. Load with nasforge.load(OUT).",
    )
    parser.add_argument("study", help="study file")
    parser.add_argument("--trial", default="best", help="'best' (default) or a trial number")
    parser.add_argument("--retrain-epochs", type=int_at_least(1), help="train the architecture again now")
    parser.add_argument("--out", required=True, help="new or empty folder to write")
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from nasforge.export import export_model

    out = export_model(args.study, args.out, trial=args.trial, retrain_epochs=args.retrain_epochs)
    manifest = json.loads((out / "manifest.json").read_text())
    if args.json:
        print_json({"out": str(out), **manifest})
    else:
        stdout.print(
            f"exported to {out}: model.safetensors, model.onnx (max |onnx - torch| "
            f"{manifest['onnx_max_abs_difference']:.1e}), manifest.json, README.md"
        )
    return 0
