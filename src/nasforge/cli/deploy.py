"""`nasforge export`: a study's trial as a verified model folder (weights, ONNX, manifest, card)."""

from __future__ import annotations

import argparse

from nasforge.cli.common import int_at_least, print_json, ratio, stderr, stdout


def add_trust_code(parser: argparse.ArgumentParser) -> None:
    """`--trust-code`: consent to import the function a model of a user's own space names."""
    parser.add_argument(
        "--trust-code",
        action="store_true",
        help="the model is of your own space: import the function its card names to rebuild it",
    )


def add_skip_integrity_check(parser: argparse.ArgumentParser) -> None:
    """`--skip-integrity-check`: load a folder whose manifest.json is gone, its files unchecked."""
    parser.add_argument(
        "--skip-integrity-check",
        action="store_true",
        help="load the folder even without its manifest.json (its files' sha256 are then not checked)",
    )


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
    parser.add_argument(
        "--retrain-epochs", type=int_at_least(1), help="train the architecture again now, on train+valid"
    )
    parser.add_argument("--out", required=True, help="new or empty folder to write")
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")
    add_trust_code(parser)
    parser.set_defaults(run=run)

    compress = sub.add_parser(
        "compress",
        help="a smaller, faster model: channel pruning + fine-tuning, BatchNorm folding, int8 ONNX",
        description="Reads a model folder (nasforge export, or a kept model beside a study) and runs the "
        "steps asked for, in this order: --prune removes the weakest RATIO of every layer's channels "
        "(filter L2 norm, or BatchNorm scale with --prune-by bn) and fine-tunes on the training split; "
        "--fold-bn merges every BatchNorm that directly follows a conv or linear layer (others are "
        "listed as left) and checks the outputs are unchanged (<= 1e-4); --quantize int8 writes "
        "model.int8.onnx. Writes an exported folder to --out (it loads with nasforge.load as is) and "
        "prints a row per step: parameters, FLOPs, weight-file size, latency at batch 1 and 64 in "
        "PyTorch (pt) and onnxruntime (ort), one thread, and test accuracy where the data loads here.",
    )
    compress.add_argument("folder", help="model folder")
    compress.add_argument(
        "--prune", type=ratio, metavar="RATIO", help="remove this share of channels, e.g. 0.5"
    )
    compress.add_argument(
        "--prune-by",
        choices=("norm", "bn"),
        default="norm",
        help="rank channels by filter norm (default) or BN scale",
    )
    compress.add_argument(
        "--finetune-epochs",
        type=int_at_least(0),
        default=0,
        help="epochs of fine-tuning after pruning (default 0)",
    )
    compress.add_argument("--fold-bn", action="store_true", help="fold BatchNorm into conv/linear layers")
    compress.add_argument(
        "--quantize",
        choices=("int8",),
        help="also write model.int8.onnx: static int8 (calibrated on training inputs), or dynamic "
        "(weights only) where static loses more than 1 point of validation accuracy",
    )
    compress.add_argument("--out", required=True, help="new or empty folder to write")
    compress.add_argument("--json", action="store_true", help="print the rows as JSON")
    add_trust_code(compress)
    add_skip_integrity_check(compress)
    compress.set_defaults(run=run_compress)

    serve = sub.add_parser(
        "serve",
        help="serve a model folder over HTTP (Open Inference Protocol v2, Prometheus metrics)",
        description="Serves an exported model folder with FastAPI + uvicorn: GET /v2/health/live, "
        "/v2/health/ready, /v2/models/NAME, POST /v2/models/NAME/infer (FP32 tensors in, probabilities "
        "and labels out), GET /metrics, GET /openapi.json (its pages at /docs with --docs). NAME is the "
        "folder's name. Binds to "
        "127.0.0.1 unless told otherwise; with --token every route but health needs a bearer token.",
    )
    serve.add_argument("folder", help="model folder (nasforge export)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int_at_least(1, 65535), default=8000, help="port (default 8000)")
    serve.add_argument(
        "--workers",
        type=int_at_least(1),
        default=1,
        help="server processes sharing the port, each with its own copy of the model and an equal "
        "share of the cores (default 1)",
    )
    serve.add_argument("--token", help="require Authorization: Bearer TOKEN (health routes excepted)")
    serve.add_argument(
        "--runtime",
        choices=("torch", "onnx", "int8"),
        default="torch",
        help="torch (default), onnx (onnxruntime on model.onnx) or int8 (onnxruntime on model.int8.onnx, "
        "from nasforge compress --quantize int8)",
    )
    serve.add_argument(
        "--max-batch",
        type=int_at_least(1),
        help="micro-batching: run requests waiting together as one batch of up to this many examples "
        "(a request alone runs at once)",
    )
    serve.add_argument(
        "--max-delay-ms",
        type=float,
        default=5.0,
        help="micro-batching: longest wait for more when several requests arrive together (default 5)",
    )
    serve.add_argument(
        "--docs", action="store_true", help="also serve the API's pages at /docs (off by default)"
    )
    add_trust_code(serve)
    add_skip_integrity_check(serve)
    serve.set_defaults(run=run_serve)


def run(args: argparse.Namespace) -> int:
    import json

    from nasforge.deploy.export import export_model

    out = export_model(
        args.study, args.out, trial=args.trial, retrain_epochs=args.retrain_epochs, trust_code=args.trust_code
    )
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

    from nasforge.deploy.compress.run import compress, slower_int8
    from nasforge.evaluators.model_card import read_card

    rows = compress(
        args.folder,
        args.out,
        prune=args.prune,
        prune_by=args.prune_by,
        finetune_epochs=args.finetune_epochs,
        fold_bn=args.fold_bn,
        quantize=args.quantize,
        trust_code=args.trust_code,
        check_integrity=not args.skip_integrity_check,
    )
    if args.json:
        report = read_card(args.out).fold_bn_report
        print_json({"out": args.out, "rows": rows, "report": report, "warnings": slower_int8(rows)})
        return 0
    table = Table(title=f"compress -> {args.out} (latency in ms)", box=None, header_style="bold underline")
    columns = {"step": "step", "params": "params", "flops": "FLOPs", "file_bytes": "bytes"}
    columns |= {
        f"{rt}_ms_batch{b}": f"{short}@{b}"
        for rt, short in (("torch", "pt"), ("onnx", "ort"))
        for b in (1, 64)
    }
    columns["test_accuracy"] = "acc"
    for key, header in columns.items():
        table.add_column(header, justify="left" if key == "step" else "right", no_wrap=True)
    for row in rows:
        table.add_row(*(_cell(key, row.get(key)) for key in columns))
    stdout.print(table)
    for warning in slower_int8(rows):
        stderr.print(warning, soft_wrap=True)
    return 0


def _cell(key: str, value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if key in ("params", "file_bytes", "flops"):
        return _short(float(value))  # type: ignore[arg-type]
    return f"{value:.3f}" if key.endswith(("1", "64")) else f"{value:.4f}"


def _short(value: float) -> str:
    """18618 -> 18.6k, 632128 -> 632k, 6.3e6 -> 6.3M."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:g}"


def run_serve(args: argparse.Namespace) -> int:
    from nasforge.deploy.serve import serve
    from nasforge.errors import InvalidArgumentError

    if not 0 <= args.max_delay_ms <= 1000:
        raise InvalidArgumentError(f"--max-delay-ms must be between 0 and 1000, got {args.max_delay_ms}")
    serve(
        args.folder,
        host=args.host,
        port=args.port,
        workers=args.workers,
        token=args.token,
        runtime=args.runtime,
        max_batch=args.max_batch,
        max_delay_ms=args.max_delay_ms,
        trust_code=args.trust_code,
        check_integrity=not args.skip_integrity_check,
        docs=args.docs,
    )
    return 0
