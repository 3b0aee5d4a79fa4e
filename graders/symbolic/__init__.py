"""The trusted checker for students' math answers (answers.yaml): expressions, equations, inequalities,
numbers, big-O bounds and short choices.

Each factory returns a pure `judge(answer) -> graders.model.Verdict`; `answer` is what the student wrote
(a string, a YAML number, a list, a mapping or None). Nothing a student writes is ever passed to `eval`,
`exec`, `sympify` or `parse_expr`: plain math goes through our own tokenizer and parser, LaTeX through
SymPy's ANTLR grammar behind a normaliser (see `parse`). Names come from a declared `Vocabulary`; an unknown
name makes the answer INVALID (costs nothing) with the allowed names and a caret under the bad spot.
Undecided answers are MANUAL (flagged for review), never marked wrong.

    from graders.symbolic import GAUSSIAN_DECOMPOSITION, expression
    judge = expression("exp(q_sq/(2 sqrt(D)))", GAUSSIAN_DECOMPOSITION, substitutions=["sigma^2 = sqrt(D)"])
    judge(r"\\exp\\left(\\frac{\\|q\\|^2}{2\\sigma^2}\\right)").status   # Status.PASSED
"""
from .big_o import big_o
from .choice import Option, choice, mapping
from .equivalent import equation, expression
from .quantity import Reading, number, number_table, parse_number
from .relations import inequality
from .verdicts import Distractor
from .vocabularies import GAUSSIAN_DECOMPOSITION, KERNEL_ATTENTION, KERNEL_COSTS, TRIPLET_LOSS
from .vocabulary import Name, Vocabulary, inner_product, norm_squared

__all__ = [
    "Vocabulary", "Name", "norm_squared", "inner_product",
    "KERNEL_ATTENTION", "GAUSSIAN_DECOMPOSITION", "KERNEL_COSTS", "TRIPLET_LOSS",
    "Distractor", "Reading", "Option",
    "expression", "equation", "inequality", "big_o", "number", "number_table", "choice", "mapping",
    "parse_number",
]
