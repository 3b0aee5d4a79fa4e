"""The attack corpus (corpus.py), graded for real: every case in ONE class beside an honest, correct student,
by the `autograde` command line in its own process, so that its exit code and peak memory are measured.

For every case: no credit from the attack; the honest neighbour's result identical to its result graded
alone; every student has a results.json and a gradebook row; exit code 0; the grader's peak RSS under
1 GB; the slowest submission under 60 s; nothing outside the output folder changed; no secret from the
grader's environment or disk, and no path of the grading machine, in any output.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from corpus import CASES, EXAMPLES, ROOT, SECRET, STAFF_TOKEN

PEAK_RSS_BYTES = 10**9
SLOWEST_S = 60.0
JOBS = 4
_RUN = ("import resource, sys\nfrom graders.cli import main\ncode = main(sys.argv[2:])\n"
        "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))\n"
        "sys.exit(code)\n")


def _snapshot(folder: Path) -> dict[bytes, str]:
    found = {}
    for top, _, files in os.walk(os.fsencode(folder)):
        for name in files:
            path = os.path.join(top, name)
            with open(path, "rb") as stream:
                found[path] = hashlib.sha256(stream.read()).hexdigest()
    return found


def _grade(classroom: Path, out: Path, work: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["AUTOGRADE_TEST_SECRET"] = SECRET
    rss_file = work / f"{out.name}.rss"
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _RUN, str(rss_file), "grade", "kernel_attention", str(classroom),
                           "--out", str(out), "--jobs", str(JOBS)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1500)
    results = {}
    for path in out.glob("*/results.json"):
        data = json.loads(path.read_text())
        results[data["submission"]] = data
    with open(out / "gradebook.csv", newline="") as stream:
        rows = {row["submission"]: row for row in csv.DictReader(stream)} if (out / "gradebook.csv").exists() else {}
    return {"code": done.returncode, "stderr": done.stderr, "rss": int(rss_file.read_text() or 0),
            "seconds": time.monotonic() - start, "results": results, "rows": rows, "out": out}


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """The class with every attack, graded once; the staff's secret copy and the grader's secret planted."""
    work = tmp_path_factory.mktemp("attacks")
    classroom, staff = work / "class", work / "staff"
    classroom.mkdir()
    shutil.copytree(EXAMPLES / "reference", classroom / "honest")
    for name, (build, _) in CASES.items():
        build(classroom, name)
    (staff / "reference").mkdir(parents=True)
    staff_copy = (ROOT / "reference" / "kernel_attention.py").read_text() + f"\n# {STAFF_TOKEN}\n"
    (staff / "reference" / "kernel_attention.py").write_text(staff_copy)
    (staff / "secret.txt").write_text(STAFF_TOKEN)
    before = {"class": _snapshot(classroom), "staff": _snapshot(staff)}
    graded = _grade(classroom, work / "out", work)
    graded.update(before=before, after={"class": _snapshot(classroom), "staff": _snapshot(staff)}, work=work)
    return graded


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """The honest student graded in a class of its own."""
    work = tmp_path_factory.mktemp("alone")
    shutil.copytree(EXAMPLES / "reference", work / "class" / "honest")
    return _grade(work / "class", work / "out", work)


def _id(graded: dict, name: str) -> str:
    if name == "honest-raw-name":
        (found,) = [s for s in graded["results"] if s.startswith("honest-raw-")]
        return found
    return name


def _checks(result: dict) -> list[tuple]:
    """Every check's status and score, in order (names left out: a suite may reword them between two runs)."""
    return [(q["id"], c["status"], c["score"]) for q in result["questions"] for c in q["checks"]]


def test_grading_ran_with_exit_code_0(attacked):
    assert attacked["code"] == 0, attacked["stderr"][-3000:]


def test_the_graders_peak_memory_stays_under_1_gb(attacked):
    assert 0 < attacked["rss"] < PEAK_RSS_BYTES, f"peak RSS {attacked['rss'] / 2**20:.0f} MiB"


def test_every_student_has_results_and_a_gradebook_row(attacked):
    ids = {"honest", *(_id(attacked, n) for n in CASES)}
    assert set(attacked["results"]) == ids
    assert set(attacked["rows"]) == ids
    assert len(CASES) >= 40


def test_the_slowest_submission_takes_under_60_s(attacked):
    slowest = max(attacked["results"].values(), key=lambda r: r["elapsed_s"])
    assert slowest["elapsed_s"] < SLOWEST_S, (slowest["submission"], slowest["elapsed_s"])


def _lost(name: str) -> dict:
    expected = yaml.safe_load((EXAMPLES / "expected.yaml").read_text())
    return expected[name].get("lose") or {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_attack_gets_credit(attacked, alone, name):
    result = attacked["results"][_id(attacked, name)]
    expectation = CASES[name][1]
    scores = {q["id"]: q["score"] for q in result["questions"]}
    if expectation == "zero":
        assert result["score"] == 0, {q: s for q, s in scores.items() if s}
    elif expectation == "honest":
        assert _checks(result) == _checks(alone["results"]["honest"])
    else:
        maximum = {q["id"]: q["max_score"] for q in result["questions"]}
        assert all(scores[q] is not None and scores[q] < maximum[q] for q in _lost(name)), scores


def test_the_honest_neighbour_is_graded_as_if_alone(attacked, alone):
    honest, reference = attacked["results"]["honest"], alone["results"]["honest"]
    assert _checks(honest) == _checks(reference) and honest["score"] == reference["score"]
    assert honest["errors"] == reference["errors"] == []
    assert honest["score"] == max(r["score"] for r in attacked["results"].values())


def test_nothing_outside_the_output_folder_changed(attacked):
    assert attacked["before"] == attacked["after"]
    assert sorted(p.name for p in attacked["work"].iterdir()) == ["class", "out", "out.rss", "staff"]


def test_no_secret_and_no_path_of_the_grading_machine_in_any_output(attacked):
    """`exfiltrate` prints its own /proc/self/mountinfo, which names the folders bound into the sandbox (names,
    not content; README, threat model): paths are checked everywhere else, secrets everywhere."""
    secrets, paths = [SECRET, STAFF_TOKEN], [str(ROOT), str(attacked["work"]), "site-packages/numpy", ".venv/"]
    for top, _, files in os.walk(attacked["out"]):
        for name in files:
            text = Path(top, name).read_bytes().decode("utf-8", "replace")
            found = [leak for leak in secrets + (paths if "exfiltrate" not in top else []) if leak in text]
            assert not found, (Path(top, name).relative_to(attacked["out"]), found)


def _messages(result: dict) -> str:
    return "\n".join([e["message"] for e in result["errors"]] + [result.get("stdout", ""), result.get("stderr", "")] +
                     [c["feedback"] for q in result["questions"] for c in q["checks"]])


@pytest.mark.parametrize("name, words", [
    ("zip-encrypted", "encrypted"), ("zip-bomb", "too large"), ("zip-slip", "unsafe name"),
    ("yaml-alias-bomb", "aliases"), ("yaml-hex-integer", "more than 100 digits"), ("yaml-too-large", "too large"),
    ("answers-numpy-array", "is an array"), ("large-source-file", "too large"),
    ("attack-print-flood", "printed more than 8 MiB"), ("stderr-flood", "printed more than 8 MiB"),
    ("big-file-write", "more than 8 MiB"), ("slow-import-then-hang", "time budget"),
    ("huge-return", "limit"),
])
def test_limits_are_named_in_plain_words(attacked, name, words):
    assert words in _messages(attacked["results"][_id(attacked, name)])


def test_no_grader_noise_in_an_honest_students_output(attacked):
    """joblib (through scikit-learn) once warned "[Errno 13] Permission denied" with the grader's venv path."""
    for name in ["honest", *(_id(attacked, n) for n, (_, expect) in CASES.items() if expect == "honest")]:
        result = attacked["results"][name]
        assert result.get("stderr", "") == "" and result.get("stdout", "") == "", name
