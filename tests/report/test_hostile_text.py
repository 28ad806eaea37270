"""Script in user-controlled text (class names and headers of a CSV, the study's file name, a
knob's values) is shown as text in the HTML report and the dashboard: in headless Chromium, no
script of it runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import free_port, run

pytestmark = pytest.mark.slow  # headless Chromium

ATTACKS = {
    "class": "<script>window.__xss = 'class'</script>",
    "header": "<img src=x onerror=\"window.__xss='header'\">",
    "knob": "</script><script>window.__xss='knob'</script>",
    "study": "<svg onload=window.__xss=1>",
}
SPACE = f"""
import math
from torch import nn
import nasforge

@nasforge.space
def hostile(k, task):
    k.choice("note", ["plain", {ATTACKS["knob"]!r}])
    width = k.choice("width", [4, 8])
    size = math.prod(task.input_shape)
    return nn.Sequential(nn.Flatten(), nn.Linear(size, width), nn.ReLU(), nn.Linear(width, task.num_classes))
"""


@pytest.fixture
def hostile_study(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    rng = np.random.default_rng(0)
    rows = [f"a,b,{ATTACKS['header'].replace(',', ' ')},label"]
    for i in range(120):
        label = ATTACKS["class"] if i % 2 else "plain"
        x = rng.normal(size=3) + (i % 2)
        rows.append(f"{x[0]:.3f},{x[1]:.3f},{x[2]:.3f},{label}")
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "hostile_space.py").write_text(SPACE)
    study = tmp_path / f"{ATTACKS['study']}.db"
    argv = ["search", "--data", "data.csv", "--space", "hostile_space.py:hostile", "--budget", "3"]
    code, _, err = run(
        capsys, *argv, "--epochs", "1", "--final-epochs", "1", "--study", str(study), "--no-progress"
    )
    assert code == 0, err
    return study


def chromium():  # type: ignore[no-untyped-def]
    webdriver = pytest.importorskip("selenium.webdriver")
    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver_path is None:
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (make test installs them as root)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))


def no_script_ran(url: str) -> str:
    """The page's visible text, after checking that none of the attacks ran in it."""
    from selenium.webdriver.support.wait import WebDriverWait

    driver = chromium()
    try:
        driver.get(url)
        WebDriverWait(driver, timeout=30).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        time.sleep(1.0)  # an onerror or onload handler would have run by now
        assert driver.execute_script("return window.__xss") is None
        return str(driver.execute_script("return document.body.innerText"))
    finally:
        driver.quit()


def test_hostile_text_in_the_report_is_shown_not_run(
    hostile_study: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "report", str(hostile_study), "--out", "r.html")
    assert code == 0, err
    page = (tmp_path / "r.html").read_text()
    assert ATTACKS["class"] not in page and ATTACKS["study"] not in page  # escaped wherever they appear
    assert "<script>window.__xss" not in page  # even inside the page's JSON, no tag begins
    text = no_script_ran((tmp_path / "r.html").as_uri())
    assert ATTACKS["study"] in text and ATTACKS["knob"] in text  # shown as the text they are


def test_hostile_text_in_the_dashboard_is_shown_not_run(hostile_study: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "nasforge.cli.main", "dashboard", str(hostile_study), "--port", str(port)]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert server.stdout is not None and b"dashboard of" in server.stdout.readline()
        text = no_script_ran(f"http://127.0.0.1:{port}/")
        assert ATTACKS["study"] in text and ATTACKS["knob"] in text
    finally:
        server.kill()
        server.wait()
