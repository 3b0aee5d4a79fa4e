"""Suites and questions: what an assignment grades, validated against its manifest when imported.

`assignments/<id>/manifest.yaml` is the one home of question ids, titles, kinds and points. A suite
supplies the checks for each question; `build_suite` fails loudly when ids differ from the manifest or
when a question's check points do not add up to its points.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import yaml

from .checks import Check

__all__ = ["Question", "Suite", "build_suite", "load_suite", "read_manifest", "assignment_ids", "assignment_folder",
           "ASSIGNMENTS", "ASSIGNMENTS_DIR", "SuiteError"]

ASSIGNMENTS_DIR = Path(__file__).resolve().parents[1] / "assignments"


def assignment_ids() -> tuple[str, ...]:
    """Every assignment, found by convention: a folder `assignments/<id>/` with a `manifest.yaml`; its checks are
    the module `graders/suites/<id>.py` (which defines SUITE), its staff solution `reference/<id>.py`."""
    return tuple(sorted(path.parent.name for path in ASSIGNMENTS_DIR.glob("*/manifest.yaml")))


def assignment_folder(assignment: str) -> Path:
    return ASSIGNMENTS_DIR / assignment


ASSIGNMENTS = assignment_ids()                      # as found when this module was imported


class SuiteError(ValueError):
    """A suite that disagrees with its manifest: a staff mistake, caught before any student is graded."""


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    kind: str
    points: float
    checks: tuple[Check, ...]
    prompt: str | None = None                # the question in the course's words (manifest), for reports

    @property
    def manual(self) -> bool:
        return self.kind == "free-text"


@dataclass(frozen=True)
class Suite:
    assignment: str
    title: str
    code_file: str
    questions: tuple[Question, ...]
    preload: tuple[str, ...] = ()            # modules most submissions import (the starter's), loaded once per slot

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)


def read_manifest(assignment: str) -> dict:
    path = ASSIGNMENTS_DIR / assignment / "manifest.yaml"
    if not path.is_file():
        raise SuiteError(f"no manifest at {path}")
    return yaml.safe_load(path.read_text())


def build_suite(assignment: str, checks: Mapping[str, Sequence[Check]], *, preload: Sequence[str] = ()) -> Suite:
    manifest = read_manifest(assignment)
    listed = [q["id"] for q in manifest["questions"]]
    if sorted(listed) != sorted(checks):
        raise SuiteError(f"{assignment}: suite questions {sorted(checks)} differ from the manifest's {sorted(listed)}")
    questions = []
    for entry in manifest["questions"]:
        own = tuple(checks[entry["id"]])
        names = [c.name for c in own]
        if len(set(names)) != len(names):
            raise SuiteError(f"{assignment}.{entry['id']}: check names repeat: {names}")
        total = sum(c.points for c in own)
        if abs(total - float(entry["points"])) > 1e-9:
            raise SuiteError(f"{assignment}.{entry['id']}: checks add up to {total}, the manifest says {entry['points']}")
        questions.append(Question(entry["id"], entry["title"], entry["kind"], float(entry["points"]), own,
                                  entry.get("prompt")))
    return Suite(assignment, manifest["title"], manifest["code_file"], tuple(questions), tuple(preload))


def load_suite(assignment: str) -> Suite:
    if assignment not in assignment_ids():
        raise KeyError(assignment)
    return importlib.import_module(f"graders.suites.{assignment}").SUITE
