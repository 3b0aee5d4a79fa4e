"""An independent cross-check of our math reader: SymPy's own LaTeX parser (`sympy.parsing.latex.parse_latex`,
ANTLR) on every LaTeX row of `symbolic_cases.yaml`.

These strings are staff-written, so running SymPy's parser on them here is fine; the grader never does it
on a student's string. Both readers get the same input: the text our reader tokenized (after the named
notation steps and a dropped label), with each vocabulary name (`\\|q\\|^2`, `D_{\\text{rand}}`, `d_{ap}`)
replaced by a neutral symbol `Z_{n}`, a big-O wrapper and sizing commands (`\\displaystyle`, `\\big(`) removed
(SymPy knows none of them). SymPy's reading, with the vocabulary's symbols put back (and its `e`, `\\max`,
`\\min` made Euler's number, Max and Min), must be mathematically equal to ours, side by side and relation by
relation (a chain or a conjunction one relation at a time); rows SymPy cannot read are counted, not
compared. Rows where SymPy is the one that misreads are listed below with the reason, and must still
disagree (so the list cannot go stale).
"""
from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest
import sympy
import yaml

from graders.suites.kernel_attention import GAUSSIAN_DECOMPOSITION, KERNEL_ATTENTION, KERNEL_COSTS
from graders.suites.triplet_loss_answers import TRIPLET_LOSS
from graders.symbolic import parse_number
from graders.symbolic.parse import AnswerError, parse_answer
from graders.symbolic.tokens import tokenize

parse_latex = pytest.importorskip("sympy.parsing.latex").parse_latex
pytest.importorskip("antlr4")

CASES = yaml.safe_load(Path(__file__).with_name("symbolic_cases.yaml").read_text())
READERS = {"sigma_sq": (GAUSSIAN_DECOMPOSITION, False), "query_factor": (GAUSSIAN_DECOMPOSITION, False),
           "key_factor": (GAUSSIAN_DECOMPOSITION, False), "attention_cost": (KERNEL_COSTS, True),
           "causal_cost": (KERNEL_COSTS, True), "bigo_ndl_nlm": (KERNEL_ATTENTION, True),
           "bigo_nlogn": (KERNEL_ATTENTION, True), "bigo_nlogn_nlogd": (KERNEL_ATTENTION, True),
           "semi_hard_definition": (TRIPLET_LOSS, False)}
NUMBERS = {"nn1_flops", "nn2_flops"}

# SymPy's LaTeX parser reads these rows wrongly (our reading is the homework's): the reason, by row.
CALL = "SymPy reads a name right before a parenthesis as a function call: `N (D + M)` is N applied to D + M"
DEFINE = "SymPy does not know `:=` (it keeps the left side and drops the rest) nor `\\coloneqq` (a product of letters)"
SPACING = ("SymPy ignores the thin space that ends an unbracketed log argument: `N \\log N \\, D` is N log(N) D "
           "in the homework's notation (tests/engine/test_symbolic_notation.py), log(N D) for SymPy")
LT = "SymPy does not know `\\lt` (it reads the letters l t)"
SYMPY_MISREADS = {
    r"d_{ap} \lt d_{an} \lt d_{ap} + \alpha": LT,
    r"\mathcal{O}(N D_{random}(D+M))": CALL,
    r"\mathcal{O}\left(N D_{\text{random}} (D + M)\right)": CALL,
    r"\text{Cost} = \mathcal{O}(N D_r (D + M))": CALL,
    r"\mathcal{O}(2 N D_r D + 2 N D_r M) = \mathcal{O}(N D_r (D+M))": CALL,
    r"O(N D_{\mathrm{random}} (D + M)).": CALL,
    r"\mathcal{O}\big(N D_{random} (D + M)\big)": CALL,
    r"\text{cost} = O(N (c_\phi + L M))": CALL,
    r"\sigma^2 := \sqrt{D}": DEFINE,
    r"\sigma^2 \coloneqq \sqrt{D}": DEFINE,
    r"\sigma^2 := D": DEFINE,
    r"N \log N \, D": SPACING,
    r"O(N \log N \, D D_{random})": SPACING,
}
SIZING = re.compile(r"\\(?:displaystyle|textstyle|[bB]igg?[lr]?|middle)(?![A-Za-z])")  # SymPy: symbols
STRUCTURES = {"conjunction", "conclusion-kept", "dangling-connective", "interval"}   # SymPy's parser has none
SYMPY_NAMES = {sympy.Symbol("e"): sympy.E}           # SymPy's parser reads `e` as a symbol, not Euler's number
SYMPY_FUNCTIONS = {"max": sympy.Max, "min": sympy.Min}   # and `\max`, `\min` as undefined functions


def latex_rows():
    for case in CASES:
        if isinstance(case["answer"], str) and "\\" in case["answer"] and (case["judge"] in READERS
                                                                            or case["judge"] in NUMBERS):
            yield case


def ours_and_sympys_input(raw: str, judge: str):
    """Our reading and what SymPy gets, as pairs (our (sides, relations), SymPy's text), with the
    placeholders; None for a structure SymPy has no form for. A chain `a < b <= c` and a conjunction
    `a < b, b < c` are given to SymPy one relation at a time (`a < b`, `b <= c`), spelled as written."""
    if judge in NUMBERS:
        return [(((sympy.Float(parse_number(raw)),), ()), raw)], {}
    vocabulary, big_o = READERS[judge]
    answer = parse_answer(raw, vocabulary, big_o=big_o)
    if STRUCTURES - {"conjunction"} & set(answer.steps):
        return None, {}
    clauses, placeholders = [[[]]], {}           # clauses of segments of text pieces, split at relations
    relations, depth, at = [[]], 0, 0
    for token in tokenize(answer.text, vocabulary, latex=True, big_o=big_o):
        segment = clauses[-1][-1]
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(token.text, 0) if token.kind == "op" else 0
        connective = depth == 0 and (token.kind == "sep" or token.kind == "op" and token.text == ",")
        if not connective:                        # the `\text{` around `and` goes with the connective
            segment.append(answer.text[at:token.start])
        at = token.end
        if token.kind == "name":
            placeholder = sympy.Symbol(f"Z_{{{len(placeholders)}}}")
            placeholders[placeholder] = vocabulary.value(token.text)
            segment.append(f" {placeholder.name} ")
        elif depth == 0 and token.kind == "rel":
            relations[-1].append(answer.text[token.start:token.end])
            clauses[-1].append([])
        elif connective:
            clauses.append([[]])
            relations.append([])
        elif token.kind != "wrap":
            segment.append(answer.text[token.start:token.end])
    clauses[-1][-1].append(answer.text[at:])
    texts = []
    for segments, spelled in zip(clauses, relations):
        segments = [SIZING.sub(" ", "".join(pieces)) for pieces in segments]
        if len(segments) == 1 and not segments[0].strip():
            continue                              # between two connectives (`\quad\text{and}\quad`)
        texts += [segments[0]] if not spelled else [f"{segments[i]} {spelled[i]} {segments[i + 1]}"
                                                    for i in range(len(spelled))]
    ours = [((c.sides[i], c.sides[i + 1]), (c.relations[i],)) for c in answer.clauses for i in range(len(c.relations))]
    ours = ours or [((answer.expression,), ())]
    assert len(ours) == len(texts), f"{raw!r}: our reading has {len(ours)} relations, the text {len(texts)}"
    return list(zip(ours, texts)), placeholders


def sympys_reading(text: str, placeholders: dict):
    """(sides, relations) as SymPy reads `text`, with the vocabulary's symbols put back."""
    read = parse_latex(text)
    relations = {"==": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
    if isinstance(read, sympy.core.relational.Relational):
        sides, rel = (read.lhs, read.rhs), (relations[read.rel_op],)
    else:
        sides, rel = (read,), ()
    undefined = {f: SYMPY_FUNCTIONS[f.func.__name__](*f.args) for side in sides
                 for f in side.atoms(sympy.core.function.AppliedUndef) if f.func.__name__ in SYMPY_FUNCTIONS}
    return tuple(side.xreplace(undefined).xreplace(SYMPY_NAMES).xreplace(placeholders) for side in sides), rel


def equal(a: sympy.Expr, b: sympy.Expr, seed: int = 0) -> bool:
    """Equal at five log-uniform positive points (relative 1e-9), or simplify(a - b) == 0."""
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    if b.free_symbols - a.free_symbols or a.free_symbols - b.free_symbols:
        return False
    rng = random.Random(seed)
    for _ in range(5):
        point = {s: sympy.Float(math.exp(rng.uniform(-1.0, 2.0)), 30) for s in symbols}
        x, y = complex(a.evalf(30, subs=point)), complex(b.evalf(30, subs=point))
        if not abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y)):
            return sympy.simplify(a - b) == 0
    return True


def agree(ours, sympys) -> bool:
    our_sides, our_relations = ours
    their_sides, their_relations = sympys
    return (our_relations == their_relations and len(our_sides) == len(their_sides)
            and all(equal(a, b) for a, b in zip(our_sides, their_sides)))


def test_sympys_latex_parser_reads_every_latex_row_as_we_do(capsys):
    compared, sympy_unread, structures, ours_invalid, misread, disagreements = 0, [], [], 0, [], []
    for case in latex_rows():
        raw = case["answer"]
        try:
            pairs, placeholders = ours_and_sympys_input(raw, case["judge"])
        except (AnswerError, ValueError):
            ours_invalid += 1                     # invalid for us (the table says why): nothing to compare
            continue
        if pairs is None:
            structures.append(raw)                # intervals, `=>`, dangling `and`: SymPy's parser has none
            continue
        try:
            sympys = [sympys_reading(text, placeholders) for _, text in pairs]
        except Exception:                         # LaTeXParsingError, TypeError, ... : SymPy cannot read it
            sympy_unread.append(raw)
            continue
        agrees = all(agree(ours, theirs) for (ours, _), theirs in zip(pairs, sympys))
        if raw in SYMPY_MISREADS:
            misread.append(raw)
            assert not agrees, f"{raw!r} is listed as a SymPy misreading but SymPy now agrees: remove it"
            continue
        compared += 1
        if not agrees:
            disagreements.append(f"{case['judge']}: {raw!r}\n  ours:  {[o for o, _ in pairs]}\n  sympy: {sympys} "
                                 f"(read {[t for _, t in pairs]})")
    with capsys.disabled():
        print(f"\nSymPy agreement: {compared} LaTeX rows compared and equal; SymPy could not read {len(sympy_unread)}; "
              f"{len(misread)} known SymPy misreadings; {len(structures)} intervals or `=>` (SymPy has none); "
              f"{ours_invalid} invalid for us; unread by SymPy: {sympy_unread}")
    assert not disagreements, "our reader and SymPy's disagree on:\n" + "\n".join(disagreements)
    assert set(misread) == set(SYMPY_MISREADS), f"listed misreadings not in the table: {set(SYMPY_MISREADS) - set(misread)}"
    assert compared >= 100


def test_the_cross_check_can_fail():
    """A reading that differs (the 2 of exp(||q||^2/(2 sigma^2)) lost, or a relation added) disagrees."""
    [(ours, text)], placeholders = ours_and_sympys_input(r"\exp\left(\frac{\|q\|^2}{2\sigma^2}\right)", "query_factor")
    assert agree(ours, sympys_reading(text, placeholders))
    assert not agree(ours, sympys_reading(text.replace("{2", "{"), placeholders))
    assert not agree(ours, sympys_reading(text + " < 1", placeholders))
    chain, placeholders = ours_and_sympys_input(r"d_{ap} < d_{an} \le d_{ap} + \alpha", "semi_hard_definition")
    assert [" ".join(text.split()) for _, text in chain] == ["Z_{0} < Z_{1}", "Z_{1} \\le Z_{2} + Z_{3}"]
    assert all(agree(ours, sympys_reading(text, placeholders)) for ours, text in chain)
    assert not agree(chain[1][0], sympys_reading(chain[1][1].replace("\\le", "<"), placeholders))
