"""`nasforge improve`: act on a study's directions with a follow-up study, then compare winners."""

from __future__ import annotations

import argparse

from nasforge.cli.common import int_at_least, print_json, stdout


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "improve",
        help="run a follow-up study that applies a study's top directions, and compare the winners",
        description="Diagnoses the study (see `nasforge analyze`), applies the actions of its most "
        "confident directions (at most two, confidence >= 0.5) to a copy of its configuration (wider or "
        "fixed knob choices, longer training, a more regularised recipe), runs that follow-up study "
        "beside it (NAME-improve1.db, linked to its parent), retrains its winner with its final recipe, and "
        "prints the test accuracy of the winner before and after, on the same held-out test split.",
    )
    parser.add_argument("study", help="study file")
    parser.add_argument(
        "--budget", type=int_at_least(1), help="trials of the follow-up (default: the parent's)"
    )
    parser.add_argument(
        "--out", help="the follow-up study file (default: beside the parent, NAME-improveK.db)"
    )
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nasforge.workflows.improve import improve

    outcome = improve(args.study, budget=args.budget, out=args.out)
    if args.json:
        print_json(outcome)
        return 0
    for direction in outcome["applied"]:
        stdout.print(f"applied: {direction['advice']} ({direction['kind']}) — {direction['evidence']}")
    before, after = outcome["before"], outcome["after"]
    stdout.print(f"follow-up study: {outcome['study']}")
    for label, result in (("before", before), ("after", after)):
        accuracy = result.get("test_accuracy")
        shown = "-" if accuracy is None else f"{accuracy:.4f}"
        stdout.print(
            f"{label}: trial {result.get('trial')} retrained {result.get('epochs')} epochs, "
            f"test accuracy {shown}"
        )
    return 0
