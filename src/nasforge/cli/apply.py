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

    compress = sub.add_parser(
        "compress",
        help="a smaller model that computes the same: BatchNorm folded into the layer before it",
        description="Reads a model folder (nasforge export, or a kept model beside a study), folds every "
        "BatchNorm that directly follows a conv or linear layer (others are listed as left), checks the "
        "outputs are unchanged (<= 1e-4), writes an exported folder to --out and prints a before/after "
        "row: parameters, weight-file size, latency at batch 1 and 64 (torch; onnxruntime for int8), "
        "and test accuracy where the study's data loads here.",
    )
    compress.add_argument("folder", help="model folder")
    compress.add_argument("--fold-bn", action="store_true", help="fold BatchNorm into conv/linear layers")
    compress.add_argument(
        "--quantize", choices=("int8",), help="also write model.int8.onnx (onnxruntime dynamic int8 weights)"
    )
    compress.add_argument("--out", required=True, help="new or empty folder to write")
    compress.add_argument("--json", action="store_true", help="print the rows as JSON")
    compress.set_defaults(run=run_compress)

    serve = sub.add_parser(
        "serve",
        help="serve a model folder over HTTP (Open Inference Protocol v2, Prometheus metrics)",
        description="Serves an exported model folder with FastAPI + uvicorn: GET /v2/health/live, "
        "/v2/health/ready, /v2/models/NAME, POST /v2/models/NAME/infer (FP32 tensors in, probabilities "
        "and labels out), GET /metrics, OpenAPI docs at /docs. NAME is the folder's name. Binds to "
        "127.0.0.1 unless told otherwise; with --token every route but health needs a bearer token.",
    )
    serve.add_argument("folder", help="model folder (nasforge export)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int_at_least(1), default=8000, help="port (default 8000)")
    serve.add_argument("--token", help="require Authorization: Bearer TOKEN (health routes excepted)")
    serve.add_argument(
        "--runtime", choices=("torch", "onnx"), default="torch", help="torch (default) or onnx (onnxruntime)"
    )
    serve.set_defaults(run=run_serve)


def run(args: argparse.Namespace) -> int:
    import json

    from nasforge.exporting import export_model

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


def run_compress(args: argparse.Namespace) -> int:
    from rich.table import Table

    from nasforge.compression import compress
    from nasforge.models import read_card

    rows = compress(args.folder, args.out, fold_bn=args.fold_bn, quantize=args.quantize)
    if args.json:
        print_json({"out": args.out, "rows": rows, "report": read_card(args.out).get("fold_bn_report", [])})
        return 0
    table = Table(title=f"compress {args.folder} -> {args.out}")
    for column in ("step", "params", "bytes", "ms @1", "ms @64", "test acc"):
        table.add_column(column, justify="left" if column == "step" else "right", no_wrap=True)
    for row in rows:
        accuracy = row.get("test_accuracy")
        table.add_row(
            row["step"],
            "-" if row["params"] is None else f"{row['params']:,}",
            f"{row['file_bytes']:,}",
            f"{row['latency_ms_batch1']:.3f}",
            f"{row['latency_ms_batch64']:.3f}",
            "-" if accuracy is None else f"{accuracy:.4f}",
        )
    stdout.print(table)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from nasforge.serving import serve

    serve(args.folder, host=args.host, port=args.port, token=args.token, runtime=args.runtime)
    return 0
