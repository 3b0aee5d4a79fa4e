from __future__ import annotations

from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def sandbox():
    """One sandbox slot shared by the tests: each run forks a fresh worker, so tests stay independent."""
    from graders.sandbox import Limits, Sandbox
    with Sandbox(slot=7, limits=Limits(import_timeout_s=3.0)) as box:
        yield box




@pytest.fixture(scope="session")
def graded_examples(tmp_path_factory):
    """assignment -> (output folder, {submission id: results.json}): each bundled example class is graded once
    per session, on first use, with its reports written as `autograde grade` writes them."""
    cache: dict[str, tuple[Path, dict[str, dict]]] = {}

    def graded(assignment: str) -> tuple[Path, dict[str, dict]]:
        if assignment not in cache:
            from graders.batch import grade_class
            from graders.load import load_submissions
            from graders.suite import load_suite
            out = tmp_path_factory.mktemp(assignment)
            results = grade_class(load_suite(assignment), list(load_submissions([EXAMPLES / assignment], assignment)),
                                  out, jobs=2, progress=False)
            cache[assignment] = (out, {r["submission"]: r for r in results})
        return cache[assignment]
    return graded
