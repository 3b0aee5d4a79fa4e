"""Grading a class: parallel sandbox slots, results written as they finish, safe to re-run.

Each finished submission is written at once (results.json, feedback.html, gradescope.json), so a crash
loses nothing; a re-run skips submissions whose files and grader are unchanged. The class summary
(gradebook.csv, index.html) is rebuilt from all results.json files at the end.
"""
from __future__ import annotations

import hashlib
import json
import logging
import queue
import sys
import threading
import traceback
from pathlib import Path
from typing import Callable, Sequence

from .grade import grade_submission
from .late import graded_content, late_changed, stamp_late_policy
from .manual import ManualScore, apply_manual_scores, read_manual_scores
from .model import CheckResult, Status, Submission, SubmissionError, SubmissionResult
from .report import render_dashboard, render_feedback, result_to_json, to_gradescope, write_gradebook, write_results
from .report.dashboard import report_folder
from .report.regrade import previous_scores
from .report.results_json import read_results
from .sandbox import Sandbox
from .score import score_question, submission_result
from .suite import Suite

__all__ = ["grade_class", "grade_safely", "merge_manual_scores", "rebuild_reports", "grader_version", "GraderFault"]

MANUAL_SCORES = "manual_scores.csv"                 # kept in the output folder: re-grading re-applies it
RELEASED = "RELEASED"                               # present once reports show hidden feedback: kept from then on

_ROOT = Path(__file__).resolve().parents[1]
_log = logging.getLogger("autograde")


def grader_version(assignment: str) -> str:
    """Changes whenever the engine, the reference or this assignment's files change."""
    digest = hashlib.sha256()
    for folder in (_ROOT / "graders", _ROOT / "reference", _ROOT / "assignments" / assignment, _ROOT / "templates"):
        for file in sorted(folder.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(file.relative_to(_ROOT).as_posix().encode() + graded_content(file))
    return digest.hexdigest()[:16]


def _fingerprint(submission: Submission, version: str) -> str:
    digest = hashlib.sha256(version.encode())
    for name, content in sorted(submission.files.items()):
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0" + content)
    digest.update(repr(submission.problems).encode("utf-8", "replace"))
    return digest.hexdigest()[:24]


def _fault_result(suite: Suite, submission_id: str, error: BaseException) -> SubmissionResult:
    """The submission's result when the grader failed on it: every check ungraded, the fault named. Nothing
    of the grader's machine (paths, tracebacks) goes into it; staff see the details on stderr."""
    message = (f"The grader failed on this submission ({type(error).__name__}); it was not graded. "
               "Course staff will look into it.")
    questions = []
    for q in suite.questions:
        checks = [CheckResult(c.name, Status.MANUAL if q.manual else Status.ERROR, None if q.manual else 0.0,
                              c.points, c.visibility, message) for c in q.checks]
        questions.append(score_question(q, checks))
    return submission_result(suite, submission_id, questions, errors=(SubmissionError("grader-fault", message),),
                             elapsed_s=0.0)


def grade_safely(suite: Suite, submission: Submission, sandbox: Sandbox, fingerprint: str, *,
                 public_only: bool = False) -> dict:
    """One submission -> its results.json data. Never raises: any fault becomes this submission's error."""
    try:
        result = grade_submission(suite, submission, sandbox, public_only=public_only)
        data = dict(result_to_json(result), fingerprint=fingerprint)
        json.dumps(data, ensure_ascii=False).encode("utf-8")             # what write_results will need
        return data
    except Exception as error:                                          # noqa: BLE001 - the class goes on
        _log.error("grader fault on %s: %s", submission.id, traceback.format_exc())
        return dict(result_to_json(_fault_result(suite, submission.id, error)), fingerprint=fingerprint)


def _write_outputs(data: dict, folder: Path) -> None:
    """A submission's files; its reports are released once the class folder says so (`autograde report`).
    Scores that change keep the old ones under `previous`, for the dashboard's re-grade changes."""
    data.update(previous_scores(data, folder / "results.json"))
    stamp_late_policy(data)                                         # applied after grading: never regrades
    write_results(data, folder / "results.json")
    released = (folder.parent / RELEASED).is_file()
    (folder / "feedback.html").write_text(render_feedback(data, released=released))
    (folder / "gradescope.json").write_text(json.dumps(to_gradescope(data, released=released), indent=1))


def _write_safely(suite: Suite, data: dict, out: Path) -> dict:
    """Write a submission's files; if its reports cannot be written, its fault result is written instead."""
    folder = out / report_folder(data["submission"])
    try:
        _write_outputs(data, folder)
        return data
    except Exception as error:                                          # noqa: BLE001 - the class goes on
        _log.error("grader fault while writing %s: %s", data["submission"], traceback.format_exc())
        data = dict(result_to_json(_fault_result(suite, data["submission"], error)), fingerprint=data.get("fingerprint"))
        _write_outputs(data, folder)
        return data


def _finished(folder: Path, fingerprint: str) -> dict | None:
    try:
        data = read_results(folder / "results.json")
    except (OSError, ValueError):
        return None
    return data if data.get("fingerprint") == fingerprint else None


class GraderFault(RuntimeError):
    """The grader itself failed on a submission (never the student's doing): exit code 1."""


def _work(suite: Suite, jobs: queue.Queue, out: Path, slot: int, public_only: bool,
          done: Callable[[dict], None], faults: list, manual: list[ManualScore]) -> None:
    with Sandbox(slot=slot) as sandbox:
        while True:
            try:
                submission, fingerprint = jobs.get_nowait()
            except queue.Empty:
                return
            data = grade_safely(suite, submission, sandbox, fingerprint, public_only=public_only)
            try:
                data = apply_manual_scores(data, manual)
            except Exception:                                           # noqa: BLE001 - kept as graded
                pass
            try:
                data = _write_safely(suite, data, out)
            except Exception as error:                                  # noqa: BLE001 - the disk, not a student
                faults.append(f"{submission.id}: {type(error).__name__}: {error}")
                continue
            done(data)


def grade_class(suite: Suite, submissions: Sequence[Submission], out: Path, *, jobs: int = 2, force: bool = False,
                public_only: bool = False, progress: bool = True, scheduler: str | None = None) -> list[dict]:
    """Grade every submission into `out/<id>/`, then write `out/gradebook.csv` and `out/index.html`.
    With `scheduler` (a Dask address, or "local"), the grading runs on a dask.distributed cluster."""
    from tqdm import tqdm
    out.mkdir(parents=True, exist_ok=True)
    version = grader_version(suite.assignment)
    results, pending = [], queue.Queue()
    for submission in submissions:
        fingerprint = _fingerprint(submission, version)
        previous = None if force else _finished(out / report_folder(submission.id), fingerprint)
        if previous is not None:
            results.append(previous)
        else:
            pending.put((submission, fingerprint))
    bar = tqdm(total=pending.qsize(), desc=f"grading {suite.assignment}", unit="submission", file=sys.stderr,
               disable=not progress or pending.empty())
    lock, faults, manual = threading.Lock(), [], _kept_manual_scores(out)

    def done(data: dict) -> None:
        with lock:
            results.append(data)
            bar.update()
            bar.set_postfix_str(f"{data['submission']}: {data['score']:g}/{data['max_score']:g}")

    if scheduler:
        from .distributed import grade_on_cluster
        work = [pending.get_nowait() for _ in range(pending.qsize())]
        for data in grade_on_cluster(scheduler, suite.assignment, work, workers=jobs):
            data = _write_safely(suite, apply_manual_scores(data, manual), out)
            done(data)
    else:
        workers = [threading.Thread(target=_work, args=(suite, pending, out, slot, public_only, done, faults,
                                                         manual), daemon=True)
                   for slot in range(max(1, min(jobs, pending.qsize())))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    bar.close()
    _write_summary(results, out, suite.assignment)
    if faults:
        raise GraderFault("the grader failed on: " + "; ".join(faults))
    return sorted(results, key=lambda r: r["submission"])


def _write_summary(results: Sequence[dict], out: Path, assignment: str) -> None:
    for data in results:                            # a changed late policy is re-applied, without grading
        if late_changed(data):
            _write_outputs(data, out / report_folder(data["submission"]))
    write_gradebook(results, out / "gradebook.csv")
    (out / "index.html").write_text(render_dashboard(results, assignment=assignment))


def _kept_manual_scores(out: Path) -> list[ManualScore]:
    path = out / MANUAL_SCORES
    if not path.is_file():
        return []
    results = {r["submission"]: r for r in _all_results(out)}
    return read_manual_scores(path, results) if results else []


def _all_results(out: Path) -> list[dict]:
    return [read_results(p) for p in sorted(out.glob("*/results.json"))]


def rebuild_reports(out: Path, assignment: str, *, released: bool = False) -> list[dict]:
    """Every report again, from the results.json files alone: no grading. With `released`, hidden checks'
    feedback and the reference answers are shown (after the deadline)."""
    results = _all_results(out)
    if not results:
        raise FileNotFoundError(f"no graded submissions in {out}: run `autograde grade` first")
    (out / RELEASED).unlink(missing_ok=True)
    if released:
        (out / RELEASED).write_text("Reports in this folder show hidden checks' feedback and reference answers.\n")
    for data in results:
        _write_outputs(data, out / report_folder(data["submission"]))
    _write_summary(results, out, assignment)
    return results


def merge_manual_scores(out: Path, scores_csv: Path, assignment: str) -> list[dict]:
    """Validate the CSV against the graded class in `out`, keep it there, and rewrite every report."""
    results = {r["submission"]: r for r in _all_results(out)}
    if not results:
        raise FileNotFoundError(f"no graded submissions in {out}: run `autograde grade` first")
    scores = read_manual_scores(scores_csv, results)
    if scores_csv.resolve() != (out / MANUAL_SCORES).resolve():
        (out / MANUAL_SCORES).write_bytes(scores_csv.read_bytes())
    merged = [apply_manual_scores(r, scores) for r in results.values()]
    for data in merged:
        _write_outputs(data, out / report_folder(data["submission"]))
    _write_summary(merged, out, assignment)
    return merged
