"""Assignments are plug-ins: found by convention, and the engine's generic parts name none of them."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from graders.sandbox.named import KINDS
from graders.suite import assignment_ids, load_suite

ROOT = Path(__file__).resolve().parents[2]
GENERIC = ("graders/sandbox", "graders/symbolic", "graders/report", "templates")


def test_every_assignment_folder_with_a_manifest_is_found_with_its_suite_and_reference():
    found = assignment_ids()
    assert set(found) == {p.parent.name for p in (ROOT / "assignments").glob("*/manifest.yaml")} and found
    for assignment in found:
        assert load_suite(assignment).assignment == assignment
        assert (ROOT / "reference" / f"{assignment}.py").is_file()


@pytest.mark.parametrize("folder", GENERIC)
def test_the_generic_engine_names_no_assignment(folder):
    ids = assignment_ids()
    named = [f"{path.relative_to(ROOT)} names {assignment}" for path in sorted((ROOT / folder).rglob("*"))
             if path.is_file() and path.suffix in (".py", ".j2", ".js") for assignment in ids
             if assignment in path.read_text(encoding="utf-8")]
    assert not named


def test_argument_kinds_come_from_the_assignments_own_modules():
    assert KINDS["feature_map"].__module__ == "graders.kinds.kernel_attention"
    assert KINDS["model"].__module__ == "graders.kinds.example_difficulty"
    assert KINDS["generator"].__module__ == "graders.sandbox.named"
    for module in (ROOT / "graders" / "kinds").glob("*.py"):
        if module.stem != "__init__":
            assert module.stem in assignment_ids(), f"graders/kinds/{module.name} is named after no assignment"
            importlib.import_module(f"graders.kinds.{module.stem}")
