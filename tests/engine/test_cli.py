"""The `autograde` command as a user runs it: exit codes, stdout that tools can parse, help."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AUTOGRADE = [sys.executable, "-m", "graders.cli"]


def autograde(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*AUTOGRADE, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_unknown_assignment_is_a_usage_error():
    done = autograde("grade", "no_such_homework", str(ROOT / "examples"))
    assert done.returncode == 2 and "unknown assignment" in done.stderr and "kernel_attention" in done.stderr


def test_missing_path_is_a_usage_error(tmp_path):
    done = autograde("grade", "kernel_attention", str(tmp_path / "nope"))
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_list_shows_points_and_check_visibility():
    done = autograde("list", "triplet_loss")
    assert done.returncode == 0 and "hidden" in done.stdout and "35 points" in done.stdout


def test_grade_json_prints_only_the_results_on_stdout(tmp_path):
    submission = tmp_path / "carol"
    submission.mkdir()
    (submission / "kernel_attention.py").write_text("print('noise from the student')\n")
    (submission / "answers.yaml").write_text("causal_cost: 'O(N c_phi + N L M)'\n")
    done = autograde("grade", "kernel_attention", str(submission), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["schema"] == 1 and result["submission"] == "carol" and result["max_score"] == 30
    scores = {q["id"]: q["score"] for q in result["questions"]}
    assert scores["causal_cost"] == 3 and scores["softmax_attention"] == 0
    assert "noise from the student" in result["stdout"]


def test_check_runs_public_checks_of_one_question_and_exits_zero(tmp_path):
    done = autograde("check", "kernel_attention", str(ROOT / "examples" / "kernel_attention" / "wrong-softmax-no-sqrt-d"),
                     "-q", "softmax_attention")
    assert done.returncode == 0
    assert "public checks only" in done.stdout and "1/sqrt(D)" in done.stdout and "random_features" not in done.stdout


@pytest.mark.parametrize("command", ["grade", "check", "list", "demo", "merge", "report", "prepare", "export"])
def test_every_command_has_help(command):
    done = autograde(command, "--help")
    assert done.returncode == 0 and "usage: autograde" in done.stdout
