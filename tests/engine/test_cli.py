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


def test_check_is_out_of_the_public_points_and_says_what_the_hidden_checks_hold():
    """A self-check with every public check passed is full marks of what it ran; hidden points are said apart
    (stranger tl/loops-mathsqrt: "triplet_mask 1.25/2" with every listed check [ok])."""
    folder = str(ROOT / "examples" / "triplet_loss" / "reference")
    shown = autograde("check", "triplet_loss", folder, "-q", "triplet_mask")
    assert shown.returncode == 0
    assert "triplet_mask  1.25/1.25" in shown.stdout and "+0.75 points in hidden checks" in shown.stdout
    result = json.loads(autograde("check", "triplet_loss", folder, "-q", "triplet_mask", "--json").stdout)
    (question,) = result["questions"]
    assert question["max_score"] == sum(c["max_score"] for c in question["checks"]) == 1.25
    assert result["max_score"] == result["score"] == 1.25


@pytest.mark.parametrize("command", ["grade", "check", "list", "demo", "merge", "report", "prepare", "export", "new"])
def test_every_command_has_help(command):
    done = autograde(command, "--help")
    assert done.returncode == 0 and "usage: autograde" in done.stdout


def _project_copy(root: Path) -> Path:
    """The grader's code in a scratch folder, so `autograde new` writes there, not into this checkout."""
    import shutil
    for name in ("graders", "reference", "templates"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "assignments").mkdir()
    return root


def test_new_writes_a_skeleton_that_grades_its_own_example_class(tmp_path):
    """`autograde new` in a copy of the project; the new assignment is found by convention (no list to edit),
    and grading its example class gives what its expected.yaml says."""
    import os
    import yaml
    project = _project_copy(tmp_path / "project")
    env = dict(os.environ, PYTHONPATH=str(project))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*AUTOGRADE, *args], capture_output=True, text=True, cwd=project, env=env, timeout=900)

    made = run("new", "attention_basics")
    assert made.returncode == 0, made.stderr
    written = {Path(line).relative_to(project).as_posix() for line in made.stdout.split()}
    assert {"assignments/attention_basics/manifest.yaml", "assignments/attention_basics/problem.md",
            "assignments/attention_basics/starter.py", "reference/attention_basics.py",
            "graders/suites/attention_basics.py", "examples/attention_basics/expected.yaml"} <= written
    assert not any("new_assignment" in (project / p).read_text() for p in written)
    assert run("new", "attention_basics").returncode == 2                       # nothing is overwritten
    assert run("new", "Not-An-Id").returncode == 2
    listed = run("list", "attention_basics")
    assert listed.returncode == 0 and "5 points" in listed.stdout, listed.stderr

    graded = run("grade", "attention_basics", "examples/attention_basics", "--out", "out", "--jobs", "1")
    assert graded.returncode == 0, graded.stderr
    expected = yaml.safe_load((project / "examples/attention_basics/expected.yaml").read_text())
    results = {p.parent.name: json.loads(p.read_text()) for p in (project / "out").glob("*/results.json")}
    assert sorted(results) == sorted(expected) == ["reference", "wrong-softmax-wrong-axis"]
    assert results["reference"]["score"] == results["reference"]["max_score"] == 5
    wrong = {q["id"]: q for q in results["wrong-softmax-wrong-axis"]["questions"]}
    assert wrong["softmax"]["score"] == 0 and wrong["softmax_cost"]["score"] == 2
    assert "softmax-wrong-axis" in {c["note"] for c in wrong["softmax"]["checks"]}
