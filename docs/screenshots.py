"""The tracking page's screenshots: a study logged with `search --mlflow --tensorboard` and
exported with `export-study --to-optuna`, shown by `mlflow ui`, `tensorboard` and
`optuna-dashboard` on 127.0.0.1 and photographed in headless Chromium.

    python docs/screenshots.py runs/mnist1d-macro.db [--optuna sqlite:///runs/optuna.db]

Writes docs/images/tracking-{mlflow,tensorboard,optuna-dashboard}.png and prints what each page
showed (its title and the first lines of its text).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from selenium import webdriver

IMAGES = Path(__file__).parent / "images"
BIN = Path(sys.executable).parent
MLFLOW_CLICKS = (  # its tips and assistant away, the study's parent run opened on its trials
    "//button[normalize-space()='Got it']",
    "//button[@aria-label='Close']",
    "//div[@row-index='0']//button[contains(@class, 'btn-icon-only')]",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(command: list[str], ready: str, timeout_s: float = 90) -> Iterator[None]:
    """Run a server until `ready` (a URL) answers; stop it afterwards."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(ready, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{command[0]} did not answer at {ready}") from None
                time.sleep(0.5)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1500,950"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "chromium"
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver") or "chromedriver")
    return webdriver.Chrome(options=options, service=service)


def photograph(
    driver: webdriver.Chrome, url: str, name: str, wait_s: float = 8, click: tuple[str, ...] = ()
) -> None:
    """Open `url`, click what each XPath in `click` finds (tips, side panels, expanders), photograph."""
    driver.get(url)
    time.sleep(wait_s)  # the pages render from JavaScript after their data arrives
    for path in click:
        for element in driver.find_elements("xpath", path):
            element.click()
            time.sleep(1)
    IMAGES.mkdir(exist_ok=True)
    driver.save_screenshot(str(IMAGES / f"tracking-{name}.png"))
    text = driver.find_element("tag name", "body").text.splitlines()
    print(f"{name}: {url}\n  title: {driver.title}\n  text: {' | '.join(text[:12])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path)
    parser.add_argument("--optuna", help="the Optuna storage export-study wrote (default: next to the study)")
    args = parser.parse_args()
    study = args.study.resolve()
    mlflow_uri = f"sqlite:///{study.with_name(study.stem + '.mlflow.db')}"
    logdir = study.with_name(study.stem + ".tensorboard")
    optuna_url = args.optuna or f"sqlite:///{study.with_name(study.stem + '.optuna.db')}"
    driver = browser()
    try:
        port = free_port()
        command = [str(BIN / "mlflow"), "ui", "--backend-store-uri", mlflow_uri, "--host", "127.0.0.1"]
        with serving([*command, "--port", str(port)], f"http://127.0.0.1:{port}/health"):
            photograph(driver, f"http://127.0.0.1:{port}/#/experiments/1/runs", "mlflow", 12, MLFLOW_CLICKS)
        port = free_port()
        command = [str(BIN / "tensorboard"), "--logdir", str(logdir), "--host", "127.0.0.1"]
        with serving([*command, "--port", str(port)], f"http://127.0.0.1:{port}/"):
            photograph(driver, f"http://127.0.0.1:{port}/#hparams", "tensorboard", wait_s=15)
        port = free_port()
        command = [str(BIN / "optuna-dashboard"), optuna_url, "--host", "127.0.0.1"]
        with serving([*command, "--port", str(port)], f"http://127.0.0.1:{port}/api/meta"):
            photograph(driver, f"http://127.0.0.1:{port}/dashboard/studies/1", "optuna-dashboard")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
