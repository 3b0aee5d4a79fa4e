"""The answer questions of the triplet_loss suite: FaceNet's numbers, the semi-hard condition, and the free-text
questions with their staff rubrics (assignments/triplet_loss/README.md). Imported by `triplet_loss.py`."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

import numpy as np

from ..checks import Check, answer, manual
from ..compare import describe
from ..model import Status, Verdict
from ..symbolic import (Distractor, Name, Option, Reading, Vocabulary, choice, holds, inequality, number,
                        number_table, parse_number, read_answer, squared_distance)
from ..symbolic.quantity import NumberError

# The paper's notation: distances d_ap, d_an (also as ||f(x^a) - f(x^p)||_2^2), the margin alpha. The squared
# distance is also read with the label as a subscript (f(x_a)), f of the label (f(a)), and with a, p, n standing
# for the embeddings themselves (||a - p||^2, the notation of many triplet-loss write-ups, as in d(a, p) above);
# the plain spelling with bars is the one messages show. An unsquared norm is not a name here (eq. 4 is squared).
TRIPLET_LOSS = Vocabulary.of(
    Name("d_ap", aliases=("d_{ap}", "d_{a,p}", "d(a,p)", "d(a, p)", "D_{ap}", "d_{pos}", "d^+",
                          r"\|f(x^a) - f(x^p)\|^2") + squared_distance("f", "x", "a", "p"), latex="d_{ap}"),
    Name("d_an", aliases=("d_{an}", "d_{a,n}", "d(a,n)", "d(a, n)", "D_{an}", "d_{neg}", "d^-",
                          r"\|f(x^a) - f(x^n)\|^2") + squared_distance("f", "x", "a", "n"), latex="d_{an}"),
    Name("alpha", aliases=(r"\alpha", "margin"), latex=r"\alpha"),
    indexed=("x",),                        # the paper's x_i^a, x_i^p, x_i^n
)


ARCHITECTURES = choice([Option("Zeiler & Fergus (NN1)", (r"zeiler", r"fergus", r"\bzf(?:\s*-?\s*net)?\b",
                                                                   r"\bnn\s*-?\s*1\b")),
                        Option("Inception (NN2)", (r"inception", r"googl?e?\s*-?\s*net", r"\bnn\s*-?\s*2\b"))])


def judge_architectures(raw: Any) -> Verdict:
    """Exactly two strings, one per family, in any order; both are needed for the point (README)."""
    if not isinstance(raw, (list, tuple)) or len(raw) != 2 or not all(isinstance(e, str) for e in raw):
        return Verdict.invalid(f'Give a list of exactly two short strings, ["...", "..."]; got {describe(raw)}.')
    verdict = ARCHITECTURES(raw)
    if verdict.status is Status.FAILED:
        return dataclasses.replace(verdict, fraction=0.0)
    return verdict


def cost_judge(model: str, params: tuple[str, Callable], flops: tuple[str, Callable]) -> Callable[[Any], Verdict]:
    """Parameters and FLOPs of one model, half the credit each; the two values exchanged is a named mistake."""
    (p_key, p_judge), (f_key, f_judge) = params, flops

    def judge(raw: Any) -> Verdict:
        if not isinstance(raw, Mapping):
            return Verdict.invalid(f"model_costs should be a mapping with the keys {p_key}, {f_key}, ...; got {describe(raw)}.")
        p, f = raw.get(p_key), raw.get(f_key)
        verdicts = {p_key: p_judge(p), f_key: f_judge(f)}
        if all(v.status is Status.PASSED for v in verdicts.values()):
            return Verdict.passed(" ".join(v.feedback for v in verdicts.values() if v.feedback).strip())
        if all(v.status is Status.MISSING for v in verdicts.values()):
            return Verdict(Status.MISSING, 0.0, f"No answer for {p_key} and {f_key}.")
        if p is not None and f is not None and p_judge(f).status is Status.PASSED and f_judge(p).status is Status.PASSED:
            return Verdict.failed(f"The parameter count and the FLOPs of {model} are exchanged: {p_key} is the number of "
                                  f"weights, {f_key} the operations per image.", note="params-flops-swapped")
        if any(v.status is Status.MANUAL for v in verdicts.values()):
            return Verdict(Status.MANUAL, None, "The checker could not decide; course staff will review it.", "undecided")
        fraction = sum(v.fraction or 0.0 for v in verdicts.values()) / 2
        lost = [v for v in verdicts.values() if v.status is not Status.PASSED]
        feedback = " ".join(f"{key}: {v.feedback.splitlines()[0] if v.feedback else v.status.value}"
                            for key, v in verdicts.items() if v.status is not Status.PASSED)
        note = next((v.note for v in lost if v.note), None)
        statuses = {v.status for v in lost}               # an unreadable part is invalid (fix it), not wrong
        status = (Status.FAILED if Status.FAILED in statuses else Status.INVALID if Status.INVALID in statuses
                  else Status.FAILED if fraction > 0 else lost[0].status)
        return Verdict(status, fraction, feedback, note)

    return judge


TWO_OPS = "Read as a count of single operations (a multiply-add counted as two FLOPs)."
RESNET50_FLOPS = number(3.8e9, rel_tol=0.05, accepted=[           # He et al. 2016, Table 1: multiply-adds
    Reading(4.09e9, "torchvision-flops", "Read as torchvision's 4.09 GFLOPS."),
    Reading(7.6e9, "flops-as-two-ops", TWO_OPS), Reading(8.18e9, "flops-as-two-ops", TWO_OPS)])

model_cost_checks = [
    answer("NN1 (Zeiler & Fergus): parameters and FLOPs", 1.0, ("model_costs",),
           cost_judge("NN1", ("nn1_params", number(140e6, rel_tol=0.05)), ("nn1_flops", number(1.6e9, rel_tol=0.05)))),
    answer("NN2 (Inception): parameters and FLOPs", 1.0, ("model_costs",),
           cost_judge("NN2", ("nn2_params", number(7.5e6, rel_tol=0.05)), ("nn2_flops", number(1.6e9, rel_tol=0.05)))),
    answer("ResNet-50: parameters and FLOPs", 1.0, ("model_costs",),
           cost_judge("ResNet-50", ("resnet50_params", number(25.6e6, rel_tol=0.05)), ("resnet50_flops", RESNET50_FLOPS))),
]


def strict_lower_bound(judge: Callable[[Any], Verdict]) -> Callable[[Any], Verdict]:
    """`judge`, except that a condition admitting d_an = d_ap loses 0.5 of 2 with note `semi-hard-not-strict`, as the
    code does on the same boundary (README, "Semi-hard: one rule for code and answer"). Only this boundary: at
    d_an = d_ap + alpha the hinge of eq. 3 is 0 whether it is in or out, so `<=` there changes nothing."""
    rng = np.random.default_rng(4)
    d = rng.uniform(0.0, 4.0, 200)
    on_the_boundary = {TRIPLET_LOSS.symbol("d_ap"): d, TRIPLET_LOSS.symbol("d_an"): d.copy(),
                       TRIPLET_LOSS.symbol("alpha"): rng.uniform(0.05, 1.0, 200)}

    def judge_strict(raw: Any) -> Verdict:
        verdict = judge(raw)
        if verdict.status is not Status.PASSED or not holds(read_answer(raw, TRIPLET_LOSS), on_the_boundary).any():
            return verdict
        return Verdict.failed("Your condition admits a negative exactly as far as the positive, d_an = d_ap; eq. 4 "
                              "is strict, d_ap < d_an.", "semi-hard-not-strict", 0.75, **verdict.evidence)
    return judge_strict


SEMI_HARD = "Semi-hard negatives are farther than the positive but inside the margin."
SEMI_HARD_CONDITION = strict_lower_bound(inequality(
    "d_ap < d_an < d_ap + alpha", TRIPLET_LOSS, {"d_ap": (0.0, 4.0), "d_an": (0.0, 4.0), "alpha": (0.0, 1.0)},
    distractors=[
        Distractor("d_ap < d_an", "missing-margin-bound", "Half right: this also admits negatives whose loss is "
                   "already 0 (eq. 3).", 0.5, answer_hint="Semi-hard negatives are also inside the margin."),
        Distractor("d_an < d_ap + alpha", "missing-lower-bound", "Half right: this also admits hard negatives (closer "
                   "than the positive).", 0.5, answer_hint="A semi-hard negative is also farther than the positive "
                   "(eq. 4)."),
        Distractor("d_an < d_ap", "hard-negative-condition", "d_an < d_ap describes hard negatives (closer than the "
                   "positive), not semi-hard ones.", answer_hint=SEMI_HARD),
        Distractor("d_an > d_ap + alpha", "easy-negative-condition", "d_an > d_ap + alpha describes easy negatives, "
                   "whose loss is already 0, not semi-hard ones.", answer_hint=SEMI_HARD),
    ]))

DIMENSION_UNITS = ("D", "d", "dims", "dim", "dimensions", "dimensional", "floats", "dimensional embeddings",
                   "dimensional embedding", "-D embeddings", "-d embeddings", "embeddings", "embedding")
TRAINING_DATA = number_table({2.6e6: 76.3, 26e6: 85.1, 52e6: 85.1, 260e6: 86.2})      # FaceNet Table 6


def judge_training_data(raw: Any) -> Verdict:
    """number_table, plus a line naming the extra sizes it ignored (README)."""
    verdict = TRAINING_DATA(raw)
    if verdict.status is not Status.PASSED or not isinstance(raw, Mapping):
        return verdict
    extra = []
    for key in raw:
        try:
            size = parse_number(key)
        except NumberError:
            continue
        if all(abs(size - known) > 0.02 * known for known in (2.6e6, 26e6, 52e6, 260e6)):
            extra.append(str(key))
    return Verdict.passed(f"Ignored the sizes the paper does not report: {', '.join(extra[:5])}.") if extra else verdict


# The rubrics of assignments/triplet_loss/README.md ("Rubric for the manual questions"), 2 points each.
RUBRIC_RULES = ("Half points are allowed. Wording from the paper is fine if it is explained; pure quotation earns at "
                "most 1.")
RUBRICS = {
    "triplet_vs_supervised": "1: the network maps a face image to a compact (128-d) embedding on the unit hypersphere; "
        "eq. 3 hinges on squared distances; the margin forces a gap between positive and negative distances (without "
        "it the all-equal embedding has zero loss), and the unit sphere fixes the scale so that alpha means something. "
        "1: the contrast with a softmax classifier: no output layer over a fixed set of identities, the distance itself "
        "is trained, it generalises to unseen people, and verification, recognition (k-NN) and clustering work "
        "directly on the embedding.",
    "triplet_mining": "1: the number of triplets grows cubically and most already satisfy the margin (no gradient, slow "
        "training); the very hardest ones are dominated by mislabelled or poorly imaged faces and can collapse the "
        "model (f(x) = 0). 1: online mining in large mini-batches (about 1,800 exemplars, about 40 faces per identity, "
        "random negatives added), all anchor-positive pairs, semi-hard negatives; offline mining on a recent "
        "checkpoint every n steps named as the alternative.",
    "harmonic_embeddings": "1: embeddings of two different models (e.g. NN1 and NN2) that are compatible, comparable "
        "with each other directly, so an upgraded model can be deployed without recomputing stored embeddings. 1: how: "
        "the new model is trained with a harmonic triplet loss whose triplets mix in the old model's embeddings.",
    "emergent_property": "1: a property the model was not trained for directly, from the paper: robustness to pose, "
        "illumination, occlusion or age (the clustering figure), to JPEG quality and image size, compatibility of "
        "harmonic embeddings, or a 128-byte code after quantisation. 1: an explanation tied to the loss: only relative "
        "distances between identities are trained, so variation that is not identity must be squeezed out of the "
        "embedding. Half a point for a property with no link to the loss.",
    "favorite_approach": "1: names a specific idea or technique from the paper (not \"the paper\") and describes it "
        "correctly. 1: a reason of the student's own (a comparison, a consequence, a limitation, a follow-up), in "
        "about 100 words. The choice itself is never marked down.",
}


def free_text(question: str, title: str) -> list[Check]:
    return [manual(title, 2.0, (question,), f"{RUBRICS[question]} {RUBRIC_RULES}")]



ANSWER_CHECKS = {
    "architectures": [answer("names both families (Zeiler & Fergus, Inception)", 1.0, ("architectures",),
                             judge_architectures)],
    "triplet_vs_supervised": free_text("triplet_vs_supervised", "embedding, margin, and the contrast with a classifier"),
    "triplet_mining": free_text("triplet_mining", "why and how triplets are selected"),
    "model_costs": model_cost_checks,
    "semi_hard_definition": [answer("the semi-hard condition (eq. 4 and the margin)", 2.0, ("semi_hard_definition",),
                                    SEMI_HARD_CONDITION)],
    "harmonic_embeddings": free_text("harmonic_embeddings", "what harmonic embeddings are and how they are trained"),
    "embedding_dimensionality": [
        answer("best dimension (Table 5)", 0.5, ("embedding_dimensionality", "best_dimension"),
               number(128, rel_tol=0.0, units=DIMENSION_UNITS)),
        answer("its VAL at 1e-3 FAR (Table 5)", 0.5, ("embedding_dimensionality", "val"),
               number(87.9, rel_tol=0.0, abs_tol=0.05, percent=True))],
    "training_data": [answer("VAL for each training-set size (Table 6)", 1.0, ("training_data",), judge_training_data)],
    "emergent_property": free_text("emergent_property", "a property that emerged, tied to the loss"),
    "favorite_approach": free_text("favorite_approach", "a specific idea of the paper and a reason of one's own"),
}
