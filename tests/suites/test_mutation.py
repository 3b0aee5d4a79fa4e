"""Mutation adequacy: every convention in the catalogue (`reference/*_mistakes.py`, `CONVENTIONS`) is graded with
its suite's own checks. A mistake must lose points on one of its own questions, with its own note, and cost
nothing anywhere else (cost checks left out: they are not what a convention changes); a right variant (an eps
guard, float32, another loop order) must get full marks, cost checks included.
A convention no check catches fails here by name: then the suite needs inputs that separate it.
"""
from __future__ import annotations

import importlib

import pytest

from mutation import grade_variant, questions_lost

ASSIGNMENTS = ("kernel_attention", "triplet_loss", "example_difficulty")
CATALOGUE = [(assignment, convention) for assignment in ASSIGNMENTS
             for convention in importlib.import_module(f"reference.{assignment}_mistakes").CONVENTIONS]
MISTAKES = [(a, c) for a, c in CATALOGUE if not c.must_pass]
RIGHT = [(a, c) for a, c in CATALOGUE if c.must_pass]
caught: dict[str, bool] = {}                       # mistake name -> caught with its note, as the tests ran


def _id(entry) -> str:
    return entry[1].name


def _lost(graded) -> str:
    return "; ".join(f"{g.question} / {g.check}: {g.verdict.status.value} {g.verdict.note} {g.verdict.feedback[:160]}"
                     for g in graded if g.lost > 1e-12) or "nothing"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_reference_gets_full_marks_in_process(assignment):
    graded = grade_variant(assignment)
    assert not questions_lost(graded), _lost(graded)


def test_the_harness_charges_a_deviation_on_its_question_only():
    from reference.triplet_loss import batch_hard_triplet_loss

    def off_by_a_little(labels, E, margin, squared=False):
        return batch_hard_triplet_loss(labels, E, margin, squared) * (1 + 1e-3)
    assert questions_lost(grade_variant("triplet_loss", "batch_hard_triplet_loss", off_by_a_little)) == {"batch_hard"}


@pytest.mark.parametrize("entry", MISTAKES, ids=_id)
def test_each_catalogued_mistake_is_caught_on_its_own_question_with_its_note(entry):
    assignment, convention = entry
    caught[convention.name] = False
    graded = grade_variant(assignment, convention.replaces, convention.function, cost=False)
    lost = questions_lost(graded)
    assert lost & set(convention.questions), (
        f"{convention.name} ({convention.source}) is not caught: no check of {convention.questions} fails. "
        f"Add inputs that separate it from the spec.")
    assert lost <= set(convention.questions), f"{convention.name} also costs points elsewhere: {_lost(graded)}"
    notes = {g.verdict.note for g in graded if g.question in convention.questions and g.lost > 1e-12}
    assert convention.note in notes, f"{convention.name} is caught, but reported as {notes}: {_lost(graded)}"
    caught[convention.name] = True


@pytest.mark.parametrize("entry", RIGHT, ids=_id)
def test_each_right_variant_gets_full_marks(entry):
    assignment, convention = entry
    graded = grade_variant(assignment, convention.replaces, convention.function)
    assert not questions_lost(graded), f"{convention.name} ({convention.source}) loses points: {_lost(graded)}"


def test_mutation_figure(capsys):
    """Runs last in this module: the share of catalogued mistakes caught with their own note."""
    if len(caught) < len(MISTAKES):
        pytest.skip("the figure needs every catalogue test of this module to run first")
    figure = f"mutation adequacy: {sum(caught.values())} / {len(MISTAKES)} catalogued mistakes caught with their " \
             f"own note; {len(RIGHT)} right variants checked"
    with capsys.disabled():
        print(f"\n{figure}")
    missed = sorted(name for name, ok in caught.items() if not ok)
    assert not missed, f"{figure}; missed: {missed}"
