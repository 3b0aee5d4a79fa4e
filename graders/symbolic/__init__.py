"""The trusted checker for students' math answers (answers.yaml): expressions, equations, inequalities,
numbers, big-O bounds and short choices.

Each factory returns a pure `judge(answer) -> graders.model.Verdict`; `answer` is what the student wrote
(a string, a YAML number, a list, a mapping or None). Nothing a student writes is ever passed to `eval`,
`exec`, `sympify` or `parse_expr`: plain math and LaTeX go through our own tokenizer and grammar after named
notation steps (see `parse`). Names come from a declared `Vocabulary`, which each assignment's suite declares
(this package holds only the machinery); an unknown name makes the answer INVALID (costs nothing) with the
allowed names and a caret under the bad spot. Undecided answers are MANUAL (flagged for review), never wrong.

    from graders.symbolic import Name, Vocabulary, expression, norm_squared
    notation = Vocabulary.of("D", Name("sigma", aliases=(r"\\sigma",)), Name("q_sq", aliases=norm_squared("q")))
    judge = expression("exp(q_sq/(2 sqrt(D)))", notation, substitutions=["sigma^2 = sqrt(D)"])
    judge(r"\\exp\\left(\\frac{\\|q\\|^2}{2\\sigma^2}\\right)").status   # Status.PASSED
"""
from .big_o import big_o
from .choice import Option, choice, mapping
from .equivalent import equation, expression
from .quantity import Reading, number, number_table, parse_number
from .relations import holds, inequality
from .verdicts import Distractor, read_answer
from .vocabulary import Name, Vocabulary, inner_product, norm, norm_squared, squared_distance

__all__ = [
    "Vocabulary", "Name", "norm", "norm_squared", "inner_product", "squared_distance",
    "Distractor", "Reading", "Option",
    "expression", "equation", "inequality", "big_o", "number", "number_table", "choice", "mapping",
    "parse_number", "holds", "read_answer",
]
