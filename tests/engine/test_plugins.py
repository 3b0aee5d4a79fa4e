"""Assignments are plug-ins: found by convention, and the engine's generic parts name none of them."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from graders.sandbox.named import KINDS
from graders.suite import assignment_ids, load_suite
from graders.symbolic import Vocabulary

ROOT = Path(__file__).resolve().parents[2]
GENERIC = ("graders/sandbox", "graders/symbolic", "graders/report", "templates")


def test_every_assignment_folder_with_a_manifest_is_found_with_its_suite_and_reference():
    found = assignment_ids()
    assert set(found) == {p.parent.name for p in (ROOT / "assignments").glob("*/manifest.yaml")} and found
    for assignment in found:
        assert load_suite(assignment).assignment == assignment
        assert (ROOT / "reference" / f"{assignment}.py").is_file()


def assignment_names() -> list[re.Pattern]:
    """Every assignment id in any case (`KERNEL_ATTENTION` too), and, as words, the names of the symbol
    vocabularies the assignments' own modules declare (`KERNEL_COSTS`, `TRIPLET_LOSS`)."""
    vocabularies = set()
    for folder in ("suites", "kinds"):
        for module in (ROOT / "graders" / folder).glob("*.py"):
            attributes = vars(importlib.import_module(f"graders.{folder}.{module.stem}"))
            vocabularies |= {name for name, value in attributes.items() if isinstance(value, Vocabulary)}
    return ([re.compile(re.escape(assignment), re.IGNORECASE) for assignment in assignment_ids()]
            + [re.compile(rf"\b{re.escape(name)}\b") for name in sorted(vocabularies)])


def names_in(text: str) -> list[str]:
    return [pattern.pattern for pattern in assignment_names() if pattern.search(text)]


def test_the_assignments_declare_their_own_vocabularies_and_the_check_sees_them():
    assert not any(isinstance(value, Vocabulary) for value in vars(importlib.import_module("graders.symbolic")).values())
    assert names_in("from .vocabularies import GAUSSIAN_DECOMPOSITION  # as in Triplet_Loss") == [
        "triplet_loss", r"\bGAUSSIAN_DECOMPOSITION\b"]
    assert not names_in("def tokenize(text, vocabulary): ...  # kernel costs, triplet loss")


@pytest.mark.parametrize("folder", GENERIC)
def test_the_generic_engine_names_no_assignment(folder):
    named = [f"{path.relative_to(ROOT)} names {name}" for path in sorted((ROOT / folder).rglob("*"))
             if path.is_file() and path.suffix in (".py", ".j2", ".js")
             for name in names_in(path.read_text(encoding="utf-8"))]
    assert not named


def test_argument_kinds_come_from_the_assignments_own_modules():
    assert KINDS["feature_map"].__module__ == "graders.kinds.kernel_attention"
    assert KINDS["model"].__module__ == "graders.kinds.example_difficulty"
    assert KINDS["generator"].__module__ == "graders.sandbox.named"
    for module in (ROOT / "graders" / "kinds").glob("*.py"):
        if module.stem != "__init__":
            assert module.stem in assignment_ids(), f"graders/kinds/{module.name} is named after no assignment"
            importlib.import_module(f"graders.kinds.{module.stem}")
