"""Suite for new_assignment (assignments/new_assignment/problem.md): one code check and one answer check.

A suite maps each question id of the manifest to its checks; every check has its points (they must add up
to the question's). Inputs are built here from explicit seeds; expected values come from
`reference.new_assignment`, computed in the grader's process, never in the student's. An optional
`prepare(progress=False)` builds what grading needs once (data sets, trained models): `autograde prepare`
calls it.
"""
from __future__ import annotations

import numpy as np

from reference import new_assignment as ref
from reference import new_assignment_mistakes as wrong

from ..checks import Mistake, answer, returns
from ..model import Call
from ..suite import build_suite
from ..symbolic import Vocabulary, big_o

# The assignment's notation lives here, beside the answer checks written in it (graders/symbolic has only the
# machinery): every name an answer may use, with its spellings; other names are invalid, not wrong.
NOTATION = Vocabulary.of("N", "D")


def inputs(seed: int, N: int = 6, D: int = 5) -> np.ndarray:
    return 3.0 * np.random.default_rng(seed).standard_normal((N, D))


SOFTMAX_CALLS = [Call("softmax", (inputs(seed),), seed=seed) for seed in range(3)]

SUITE = build_suite("new_assignment", {
    "softmax": [
        returns("matches eq. 1 on random inputs", 3, SOFTMAX_CALLS, ref.softmax,
                concept="Each row i is divided by its own sum of exp(X_ik) (eq. 1).",
                mistakes=[Mistake("softmax-wrong-axis", wrong.softmax_over_columns,
                                  "The sums run over each column, not over each row: eq. 1 sums over k in row i.")]),
    ],
    "softmax_cost": [
        answer("cost in big-O", 2, ("softmax_cost",), big_o("N D", NOTATION)),
    ],
})
