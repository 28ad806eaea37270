"""The study report as Markdown: a summary for terminals and pull requests."""

from __future__ import annotations

from typing import Any

from nasforge.study.record import StudyView

TOP = 5


def render_markdown(view: StudyView, diagnosis: dict[str, Any]) -> str:
    """Best trials, directions with evidence, knob importance, proxy correlations, Pareto fronts."""
    study = diagnosis["study"]
    objective = study["objective"]
    lines = [
        f"# nasforge report: `{view.path}`",
        "",
        f"{study['complete']} complete of {study['trials']} trials; "
        f"objective `{objective}` ({study['direction']}). {final_text(view)}",
        "",
        f"## Best {TOP} trials",
        "",
        f"| trial | {objective} | architecture |",
        "|---|---|---|",
        *[
            f"| {t.number} | {t.metrics.get(objective, float('nan')):.4g} | `{view.label(t.genotype)}` |"
            for t in view.leaderboard(TOP)
        ],
        "",
        "## Directions",
        "",
    ]
    directions = diagnosis["directions"]
    lines += [
        f"{i}. **{d['advice']}** ({d['kind']}, confidence {d['confidence']:.2f})  \n"
        f"   evidence: {d['evidence']}"
        for i, d in enumerate(directions, 1)
    ] or ["None: no evidence in this study clears its noise threshold."]
    importance = diagnosis["importance"]
    if importance["knobs"]:
        lines += ["", f"## Knob importance (R² {importance['r2']:.2f}; {importance['method']})", ""]
        lines += ["| knob | importance | ± | best value |", "|---|---|---|---|"]
        lines += [
            f"| {k['knob']} | {k['importance']:.4f} | {k['std']:.4f} | {k['best_value']} |"
            for k in importance["knobs"]
        ]
    else:
        lines += ["", "## Knob importance", "", f"Not computed: {importance['note']}."]
    rows = [
        f"| {measure} | {c['spearman']:.3f} | {c['kendall']:.3f} | {c['n']} |"
        for measure, metrics in diagnosis["correlations"].items()
        if (c := metrics.get(objective)) is not None
    ]
    if rows:
        lines += [
            "",
            f"## Training-free measures against `{objective}`",
            "",
            "| measure | ρ | τ | n |",
            "|---|---|---|---|",
        ]
        lines += rows
    for front in diagnosis["pareto"]:
        trials = ", ".join(str(p["trial"]) for p in front["front"])
        lines += [
            "",
            f"Pareto front of `{objective}` against `{front['metric']}`: trials {trials}; hypervolume "
            f"{front['hypervolume']:.4g} (reference {front['reference']}).",
        ]
    return "\n".join(lines) + "\n"


def final_text(view: StudyView) -> str:
    """What the winner's final retraining measured on the test split (looked at once, for the pick)."""
    final = view.final_retraining()
    if final is None:
        return "The winner has not been retrained: no test figure yet."
    metrics = final.metrics
    headline = [view.objective.replace("valid", "test", 1), "test_f1", "test_auc"]
    tests = ", ".join(f"{k} = {metrics[k]:.4g}" for k in dict.fromkeys(headline) if k in metrics)
    epochs = "" if final.fidelity is None else f" for {final.fidelity:g} epochs"
    return f"Winner (trial {final.trial}) retrained{epochs}: {tests or 'no test metric'}."
