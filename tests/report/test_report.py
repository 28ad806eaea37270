"""`nasforge report` and `nasforge dashboard` on a real small study; the page in headless Chromium."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import run

pytestmark = pytest.mark.slow  # a trained study, its HTML report and the dashboard

CONFIG = """
budget = 14
final_epochs = 2
[space]
name = "macro"
max_blocks = 2
choices = { channels = [8, 16], batchnorm = [true] }
[strategy]
name = "random"
[evaluator]
name = "training"
data = "digits"
epochs = 2
proxies = ["synflow"]
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real search on digits: 14 trials with curves, proxies, timings and a kept final model."""
    folder = tmp_path_factory.mktemp("report")
    (folder / "s.toml").write_text(CONFIG)
    path = folder / "s.db"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nasforge.cli.main",
            "search",
            "--config",
            str(folder / "s.toml"),
            "--study",
            str(path),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return path


def test_report_is_one_self_contained_file(
    study: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "report", str(study), "--out", "r.html", "--json")
    assert code == 0, err
    page = (tmp_path / "r.html").read_text()
    assert json.loads(out)["bytes"] < 10_000_000
    assert "<script src=" not in page and "https://" not in page.split("</script>", 1)[1]  # nothing fetched
    for title in (
        "best so far",
        "knob importance",
        "confusion matrix",
        "timeline",
        "theory against practice",
    ):
        assert f'data-title="{title}"' in page, title
    code, out, err = run(capsys, "report", str(study), "--format", "md", "--out", "r.md")
    assert code == 0, err
    text = (tmp_path / "r.md").read_text()
    assert "## Best 5 trials" in text and "## Directions" in text
    final = "retrained for 2 epochs: test_accuracy = "  # the winner's one look at the test split
    assert final in text and final in page
    assert "reference {" not in page and "'valid_accuracy': 0." not in page  # titles without raw dicts
    code, _, err = run(capsys, "report", str(study), "--format", "pdf")
    assert code == 2 and "--format" in err


def test_report_opens_in_headless_chromium_without_errors(
    study: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.support.wait import WebDriverWait

    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver_path is None:
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (make test installs them as root)"
        )
    code, _, err = run(capsys, "report", str(study), "--out", "r.html")
    assert code == 0, err
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1300,2400"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    try:
        driver.get((tmp_path / "r.html").as_uri())
        every_plot_drawn = (
            "return Array.from(document.querySelectorAll('.plot')).every(s => {"
            " const d = s.querySelector('.plotly-graph-div'); return d && d.querySelector('.main-svg'); })"
        )
        WebDriverWait(driver, timeout=30).until(lambda d: d.execute_script(every_plot_drawn))
        plots = driver.execute_script(
            "return Array.from(document.querySelectorAll('.plot')).map(s => {"
            " const d = s.querySelector('.plotly-graph-div');"
            " return [s.dataset.title, (d && d.data) ? d.data.length : 0,"
            " d ? d.querySelectorAll('.main-svg').length : 0]; })"
        )
        screenshot = tmp_path / "report.png"
        driver.save_screenshot(str(screenshot))  # the top of the page: header, directions, first plots
        rows = driver.execute_script("return document.querySelectorAll('#trials tbody tr').length")
        widths = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        first = driver.execute_script(
            "return Array.from(document.querySelectorAll('#trials tbody tr')).slice(0, 3)"
            ".map(r => parseFloat(r.cells[0].textContent))"
        )
        driver.find_element("id", "filter").send_keys("COMPLETE")
        filtered = driver.execute_script("return document.querySelectorAll('#trials tbody tr').length")
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        driver.quit()
    assert errors == []
    assert len(plots) >= 12 and all(traces > 0 and svgs > 0 for _, traces, svgs in plots), plots
    assert rows == 14 and 0 < filtered <= 14
    assert widths[0] <= widths[1], widths  # the trials table fits the page
    assert first == sorted(first, reverse=True), first  # best trials first
    assert screenshot.stat().st_size > 10_000


@pytest.mark.slow
def test_dashboard_serves_the_page_and_follows_the_study(study: Path, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    copy = tmp_path / "live.db"
    shutil.copy(study, copy)
    argv = [
        sys.executable,
        "-m",
        "nasforge.cli.main",
        "dashboard",
        str(copy),
        "--port",
        str(port),
        "--refresh",
        "2",
    ]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        page = ""
        for _ in range(100):
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).read().decode()
                break
            except OSError:
                time.sleep(0.3)
        assert '<meta http-equiv="refresh" content="2">' in page and "14 complete of 14 trials" in page
        code = subprocess.run(
            [
                sys.executable,
                "-m",
                "nasforge.cli.main",
                "search",
                "--study",
                str(copy),
                "--budget",
                "15",
                "--json",
            ],
            capture_output=True,
            timeout=600,
        ).returncode
        assert code == 0
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).read().decode()
        assert "15 complete of 15 trials" in page  # rebuilt after the study changed
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_dashboard_on_a_busy_port_is_a_one_line_error(
    study: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        code, _, err = run(capsys, "dashboard", str(study), "--port", str(busy.getsockname()[1]))
    assert code == 2 and "cannot listen on 127.0.0.1" in err and "Traceback" not in err
