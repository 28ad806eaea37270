"""Writing a study's report: `write_report` (a file) and `page` (the HTML text, for the dashboard)."""

from __future__ import annotations

from pathlib import Path

from nasforge.errors import InvalidArgumentError
from nasforge.extras import require_extra
from nasforge.study.record import StudyView

FORMATS = ("html", "md")


def page(study: str | Path, refresh_s: int = 0) -> str:
    """The HTML report of the study file `study` (read-only).

    Raises:
        MissingExtraError: Plotly (the `report` extra) is not installed.
    """
    require_extra("report", "the HTML report")
    from nasforge.analysis.diagnosis import diagnose
    from nasforge.analysis.knob_data import knob_data
    from nasforge.report.best_model import best_model_checks
    from nasforge.report.html import render_html

    with StudyView(study) as view:
        data = knob_data(view)
        return render_html(view, data, diagnose(view, data), best_model_checks(view), refresh_s)


def write_report(study: str | Path, out: str | Path | None = None, fmt: str = "html") -> Path:
    """Write the report of `study` to `out` (default: beside the study, `<name>.report.html|md`).

    Raises:
        InvalidArgumentError: an unknown format, or `out` is a folder.
    """
    if fmt not in FORMATS:
        raise InvalidArgumentError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    target = Path(out) if out is not None else Path(f"{Path(study).with_suffix('')}.report.{fmt}")
    if target.is_dir():
        raise InvalidArgumentError(f"--out must be a file path, got the folder {str(target)!r}")
    if fmt == "html":
        text = page(study)
    else:
        from nasforge.analysis.diagnosis import diagnose
        from nasforge.report.markdown import render_markdown

        with StudyView(study) as view:
            text = render_markdown(view, diagnose(view))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
