"""Mistakes in export, serve and piped output end with one line and exit 2 (or quietly), never a
traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import run


def one_line(err: str) -> bool:
    return "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_export_with_a_trial_that_is_not_a_number(
    exported: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "export", "s.db", "--out", "again", "--trial", "abc")
    assert code == 2 and one_line(err) and "--trial must be 'best' or the number" in err
    assert not (tmp_path / "again").exists()


def test_serve_refuses_bad_ports_hosts_and_a_missing_int8_model(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "serve", str(exported), "--port", "70000")
    assert code == 2 and one_line(err) and "between 1 and 65535" in err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        code, _, err = run(capsys, "serve", str(exported), "--port", port)
    assert code == 2 and one_line(err) and f"--port {port}: cannot listen on 127.0.0.1:{port}" in err
    code, _, err = run(capsys, "serve", str(exported), "--host", "999.1.1.1")
    assert code == 2 and one_line(err) and "--host '999.1.1.1' is not an address" in err
    code, _, err = run(capsys, "serve", str(exported), "--runtime", "int8")
    assert code == 2 and one_line(err) and "model.int8.onnx (write it with nasforge compress" in err


def test_serve_says_where_it_listens(exported: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [sys.executable, "-m", "nasforge.cli.main", "serve", str(exported), "--port", str(port)]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert line.startswith(f"serving model (torch, 1 worker) at http://127.0.0.1:{port}/v2/models/model")


@pytest.mark.slow
def test_a_leaderboard_piped_into_head_ends_quietly(tmp_path: Path) -> None:
    nasforge = [sys.executable, "-c", "from nasforge.cli.main import console; console()"]
    made = subprocess.run(
        [*nasforge, "search", "--table", "--budget", "300", "--study", "t.db", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    board = subprocess.Popen(
        [*nasforge, "leaderboard", "--study", "t.db", "--json", "--top", "300"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert board.stdout is not None and board.stdout.readline().strip() == b"{"
    board.stdout.close()  # what `| head -1` does after its line; 400 kB are still to be written
    time.sleep(0.1)
    assert board.wait(timeout=60) == 0
    assert board.stderr is not None and b"Traceback" not in board.stderr.read()
