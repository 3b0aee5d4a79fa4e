"""`autograde check` through the warm checker: the same report as the cold check, served by a background
server that the first check starts, and the server answers only while the grader's files are unchanged."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "kernel_attention" / "right-token-loop"


def check(runtime: Path, warm: str) -> tuple[str, float]:
    env = dict(os.environ, AUTOGRADE_WARM=warm, XDG_RUNTIME_DIR=str(runtime))
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "graders.cli", "check", "kernel_attention", str(EXAMPLE), "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout, time.monotonic() - start


def test_code_version_changes_with_the_grader_files(tmp_path, monkeypatch):
    from graders import warm_check
    monkeypatch.setattr(warm_check, "ROOT", tmp_path)
    (tmp_path / "graders").mkdir()
    (tmp_path / "graders" / "a.py").write_text("x = 1\n")
    before = warm_check.code_version()
    (tmp_path / "graders" / "a.py").write_text("x = 22\n")
    assert warm_check.code_version() != before


def test_not_used_when_not_asked_for_and_not_a_terminal(monkeypatch):
    from graders.warm_check import check_warm
    monkeypatch.setenv("AUTOGRADE_WARM", "0")
    assert check_warm("kernel_attention", EXAMPLE, None, False, False) is None


@pytest.mark.slow
def test_warm_check_gives_the_cold_report_and_is_served_by_the_server(tmp_path):
    import json
    cold, _ = check(tmp_path, "0")
    first, _ = check(tmp_path, "1")                                 # starts the server
    folder = tmp_path / f"autograde-check-{os.getuid()}"
    pid = int((folder / "server.pid").read_text())
    try:
        second, seconds = check(tmp_path, "1")
        strip = lambda text: {k: v for k, v in json.loads(text).items() if k not in ("elapsed_s", "student_s")}
        scores = lambda data: [(q["id"], q["score"]) for q in data["questions"]]
        assert scores(strip(first)) == scores(strip(second)) == scores(strip(cold)), (first, second, cold)
        assert (folder / "check.sock").exists()
        print(f"warm check: {seconds:.2f} s")
    finally:
        os.kill(pid, signal.SIGTERM)
