"""`autograde new ASSIGNMENT_ID`: a working skeleton of a new assignment, in every place the conventions look.

The skeleton is graders/skeleton/, a complete small assignment called `new_assignment` (a row-wise softmax:
one code question, one big-O answer). Its files are copied under the repository with `new_assignment`
replaced by the new id in their paths and text:

    assignments/<id>/manifest.yaml, problem.md, starter.py, answers.yaml, README.md
    reference/<id>.py, reference/<id>_mistakes.py
    graders/suites/<id>.py
    examples/<id>/expected.yaml, reference/, wrong-softmax-wrong-axis/

so `autograde list`, `grade`, `check` and the example-class test find it at once, and it grades its own
example class. Then staff replace the softmax with their homework, file by file.
"""
from __future__ import annotations

import keyword
import re
from pathlib import Path

__all__ = ["write_skeleton", "SkeletonError", "SKELETON", "PLACEHOLDER"]

SKELETON = Path(__file__).resolve().parent / "skeleton"
PLACEHOLDER = "new_assignment"
ROOT = Path(__file__).resolve().parents[1]


class SkeletonError(ValueError):
    """An id that cannot be an assignment here: not a Python name, or taken."""


def _targets(assignment: str, root: Path) -> dict[Path, Path]:
    return {source: root / source.relative_to(SKELETON).as_posix().replace(PLACEHOLDER, assignment)
            for source in sorted(SKELETON.rglob("*"))
            if source.is_file() and "__pycache__" not in source.parts}


def write_skeleton(assignment: str, root: Path = ROOT) -> list[Path]:
    """Writes the skeleton for `assignment` under `root`; refuses to overwrite anything."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", assignment) or keyword.iskeyword(assignment):
        raise SkeletonError(f"{assignment!r} cannot be an assignment id: use lower case letters, digits and _, "
                            "starting with a letter (it names a Python module)")
    targets = _targets(assignment, root)
    taken = [str(t.relative_to(root)) for t in targets.values() if t.exists()]
    taken += [f"assignments/{assignment}/"] if (root / "assignments" / assignment).exists() else []
    if taken:
        raise SkeletonError(f"{assignment!r} exists already ({', '.join(sorted(set(taken))[:4])})")
    for source, target in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text(encoding="utf-8").replace(PLACEHOLDER, assignment), encoding="utf-8")
    return list(targets.values())
