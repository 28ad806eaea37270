"""`nasforge report` (a self-contained HTML page or Markdown) and `nasforge dashboard` (served live)."""

from __future__ import annotations

import argparse

from nasforge.cli.common import int_at_least, print_json, stdout


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = sub.add_parser(
        "report",
        help="write a study's report: one self-contained HTML file (Plotly inlined) or Markdown",
        description="Reads a study file (never runs it) and writes a report that opens offline: best so far "
        "against trials and cost, every trial by state and fidelity, knob importance, parallel coordinates, "
        "per-epoch curves, Pareto fronts with hypervolume, a timeline per worker, proxies against training "
        "with rho, per-layer weight/bias norms, inference times, the best model's confusion matrix, "
        "per-class precision/recall and noise robustness (when its kept model and data load here), the "
        "directions with their evidence, and a sortable, filterable table of every trial. --format md "
        "writes a text summary instead.",
    )
    report.add_argument("study", help="study file")
    report.add_argument("--out", help="file to write (default: beside the study, NAME.report.html or .md)")
    report.add_argument("--format", choices=("html", "md"), default="html", help="html (default) or md")
    report.add_argument("--json", action="store_true", help="print the written path and size as JSON")
    report.set_defaults(run=run_report)

    dashboard = sub.add_parser(
        "dashboard",
        help="serve a study's report on 127.0.0.1, refreshing while a search writes the study",
        description="Serves the HTML report of a study (see `nasforge report`) and rebuilds it whenever the "
        "study file changes; the page reloads itself every --refresh seconds.",
    )
    dashboard.add_argument("study", help="study file")
    dashboard.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    dashboard.add_argument(
        "--port", type=int_at_least(0, 65535), default=8050, help="port (default 8050; 0: any free)"
    )
    dashboard.add_argument(
        "--refresh", type=int_at_least(1), default=10, help="seconds between reloads (default 10)"
    )
    dashboard.set_defaults(run=run_dashboard)


def run_report(args: argparse.Namespace) -> int:
    import time

    from nasforge.report.build import write_report

    start = time.perf_counter()
    path = write_report(args.study, args.out, args.format)
    seconds, size = time.perf_counter() - start, path.stat().st_size
    if args.json:
        print_json({"out": str(path), "bytes": size, "seconds": seconds})
    else:
        stdout.print(f"wrote {path} ({size / 1e6:.1f} MB) in {seconds:.1f} s")
    return 0


def run_dashboard(args: argparse.Namespace) -> int:
    from nasforge.report.dashboard import serve_dashboard

    serve_dashboard(args.study, host=args.host, port=args.port, refresh_s=args.refresh)
    return 0
