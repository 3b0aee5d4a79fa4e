"""Suite for homework problem 4(a), prediction depth (spec: assignment `example_difficulty`).

Small models and data keep a submission to seconds: `collect_activations` runs on a seeded ProbeModel
(ResNet-18's top-level layout, tiny width, with torchvision's in-place ReLU), which also reports what the
student's code did to it (hooks left, modes, batch sizes, autograd graph). The trained ResNet-18 and the
full analysis live in `reference.difficulty_pipeline` (`autograde prepare example_difficulty`); their numbers
are shown to the staff who grade the conceptual answers.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from reference import example_difficulty as ref
from reference import example_difficulty_mistakes as wrong

from ..checks import Mistake, call_reference, describe_call, manual, matches_reference, returns, satisfies
from ..compare import Tolerance, as_array, compare_arrays, describe
from ..model import Call, Status, Verdict
from ..suite import build_suite, read_manifest
from ..wire import Named
from .example_difficulty_knn import knn_checks

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "example_difficulty"


def images(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 3, 32, 32))


def activations_call(seed: int, *, n: int, batch_size: int, train: bool) -> Call:
    model = Named("model", {"seed": seed, "train": train})
    return Call("collect_activations", (model, images(seed, n)), {"batch_size": batch_size}, report=True, timeout_s=20)


# ------------------------------------------------------------------------------------------------ activations
EVAL_CALL = activations_call(1, n=20, batch_size=8, train=False)
TRAIN_CALL = activations_call(2, n=12, batch_size=32, train=True)
SNAPSHOT = Mistake("inplace-relu-overwrote-probe", wrong.activations_without_snapshot,
                   "The bn1 probe holds the ReLU's output: ReLU(inplace=True) overwrote the tensor your hook kept. "
                   "Copy each output in the hook (output.detach().clone()).")


def _split(values):
    """Each call returns (activations, [report]); a missing report means the call did not get a model."""
    activations, reports = values
    return activations, (reports[0] if reports else {})


def _activations_match(call: Call, *, mistakes=()):
    """The activations of `call` against the reference's, probe by probe."""
    expected, _ = call_reference(ref.collect_activations, call)
    outputs = [(m, call_reference(m.expected, call)[0]) for m in mistakes]

    def judge(values) -> Verdict:
        activations, _ = _split(values[0])
        if (invalid := _probe_list(activations, len(expected))) is not None:
            return invalid
        for index, (got, want) in enumerate(zip(activations, expected)):
            verdict = compare_arrays(got, np.asarray(want), what=f"probe {index}")
            if verdict.status is not Status.PASSED:
                for mistake, wrong_outputs in outputs:
                    if _all_match(activations, wrong_outputs):
                        return Verdict.failed(mistake.feedback, note=mistake.note)
                return verdict
        return Verdict.passed()
    return judge


def _probe_list(activations, probes: int) -> Verdict | None:
    if not isinstance(activations, (list, tuple)) or len(activations) != probes:
        return Verdict.invalid(f"collect_activations should return a list of {probes} arrays (the input and the output "
                               f"of each of the model's {probes - 1} top-level children); got {describe(activations)}.")
    return None


def _all_match(activations, expected) -> bool:
    return len(activations) == len(expected) and all(
        compare_arrays(g, np.asarray(w)).status is Status.PASSED for g, w in zip(activations, expected))


def judge_hooks_removed(values) -> Verdict:
    _, report = _split(values[0])
    left = report.get("hooks_left", 0)
    if left:
        return Verdict.failed(f"{left} hook(s) are still registered on the model afterwards: keep the handles that "
                              "register_forward_hook returns and call .remove() on each (in a finally block).",
                              note="hooks-not-removed")
    return Verdict.passed()


def judge_no_graph(values) -> Verdict:
    _, report = _split(values[0])
    if report.get("keeps_graph"):
        return Verdict.failed("The activations carry an autograd graph (requires_grad=True): run the forward passes "
                              "under torch.no_grad() or detach each output, or memory grows with every batch.",
                              note="keeps-autograd-graph")
    return Verdict.passed()


def judge_batches(values) -> Verdict:
    _, report = _split(values[0])
    batches = report.get("batches", [])
    if sum(batches) != 20 or max(batches, default=0) > 8:
        return Verdict.failed(f"With 20 examples and batch_size=8 the model saw batches of {batches}; expected at most "
                              "8 examples per forward pass, 20 in all.", note="batch-size-ignored")
    return Verdict.passed()


# The same model (seed 2) found in training mode and in eval mode: right code collects the same probes from
# both, whatever else it gets wrong (an overwritten probe is charged on the probe check, not here).
SAME_MODEL_IN_EVAL = activations_call(2, n=12, batch_size=32, train=False)
TRAIN_MODE = Mistake("train-mode-activations", wrong.activations_in_train_mode,
                     "The probes were computed in training mode, so batch norm used each batch's statistics (and "
                     "updated its running averages). Switch to model.eval() while collecting, then restore the mode "
                     "you found.")
_TRAIN_MODE_OUTPUTS = call_reference(TRAIN_MODE.expected, TRAIN_CALL)[0]


def judge_eval_mode_and_restore(values) -> Verdict:
    """values: the TRAIN_CALL (model found in training mode), SAME_MODEL_IN_EVAL, then the EVAL_CALL."""
    (found_training, _), (found_eval, _) = _split(values[0]), _split(values[1])
    for activations in (found_training, found_eval):
        if (invalid := _probe_list(activations, len(_TRAIN_MODE_OUTPUTS))) is not None:
            return invalid
    if not _all_match(found_training, found_eval):
        if _all_match(found_training, _TRAIN_MODE_OUTPUTS):
            return Verdict.failed(TRAIN_MODE.feedback, note=TRAIN_MODE.note)
        return Verdict.failed("The same model gave other probes when it was found in training mode than when it was "
                              "found in eval mode: collect in eval mode (model.eval()), whatever mode the model is in.",
                              note="depends-on-mode")
    for value, before in zip(values[::2], ("training", "eval")):
        after = _split(value)[1].get("training")
        if after != [before == "training"]:
            return Verdict.failed(f"The model was in {before} mode before the call and is not (everywhere) afterwards: "
                                  "remember each module's mode and restore it (model.train(was_training)).",
                                  note="mode-not-restored")
    return Verdict.passed()


activation_checks = [
    satisfies("returns the input and every top-level child's output, flattened", 1.5, [EVAL_CALL],
              _activations_match(EVAL_CALL, mistakes=[SNAPSHOT])),
    satisfies("collects in eval mode and restores the model's mode", 1.0, [TRAIN_CALL, SAME_MODEL_IN_EVAL, EVAL_CALL],
              judge_eval_mode_and_restore),
    satisfies("removes its hooks afterwards", 0.5, [EVAL_CALL], judge_hooks_removed),
    satisfies("keeps no autograd graph", 0.5, [EVAL_CALL], judge_no_graph),
    satisfies("processes batch_size examples at a time", 0.5, [EVAL_CALL], judge_batches),
]


# ------------------------------------------------------------------------------------------------ depth
def walk_predictions(seed: int, P: int = 11, n: int = 400, classes: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Probe predictions that settle at a random depth, with some flips before it."""
    rng = np.random.default_rng(seed)
    final = rng.integers(0, classes, n)
    settle = rng.integers(0, P + 1, n)                                      # the true depth
    preds = np.where(rng.random((P, n)) < 0.5, final[None, :], rng.integers(0, classes, (P, n)))
    preds = np.where(np.arange(P)[:, None] >= settle[None, :], final[None, :], preds)
    wrong_at = settle - 1                                                   # make probe settle-1 disagree
    rows = np.clip(wrong_at, 0, P - 1)
    cols = np.arange(n)[wrong_at >= 0]
    preds[rows[wrong_at >= 0], cols] = (final[cols] + 1) % classes
    return preds.astype(np.int64), final.astype(np.int64)


EDGE_PREDICTIONS = (np.array([[1, 1, 2, 0, 3, 3],                          # columns: all agree -> 0; last
                              [1, 0, 2, 0, 3, 1],                          # probe disagrees -> P; flip-flop
                              [1, 1, 0, 1, 3, 3],                          # back and forth; agree only at
                              [1, 1, 2, 1, 2, 3]], dtype=np.int64),        # the end; ...
                   np.array([1, 0, 2, 1, 3, 3], dtype=np.int64))
DEPTH_MISTAKES = [
    Mistake("first-agreement-not-last-change", wrong.depth_first_agreement,
            "The depth is where the probes stop changing their mind: every probe from l on must agree with the "
            "final prediction. The first probe that agrees is not enough when a later one disagrees again."),
    Mistake("counted-disagreements", wrong.depth_counting_disagreements,
            "The depth is not the number of disagreeing probes but the place after the last disagreement."),
    Mistake("depth-off-by-one", wrong.depth_off_by_one,
            "Off by one: the depth is the index after the last disagreeing probe (P when the last probe disagrees)."),
    Mistake("depth-against-last-probe", wrong.depth_against_last_probe,
            "Your depths are measured against the last probe's prediction, probe_preds[-1], not against the "
            "final_pred argument: with the network's own prediction as final_pred (Baldock et al.), the depth is P "
            "where the last probe disagrees with it."),
]
DEPTH_CALLS = [Call("prediction_depth", walk_predictions(s)) for s in (21, 22)]


def _histogram(depths, P: int = 11) -> list[int]:
    array = as_array(depths)
    if array is None or array.dtype.kind not in "iuf" or array.ndim != 1:
        return []
    return np.bincount(np.clip(array.astype(np.int64), 0, P), minlength=P + 1).tolist()


_depth_values = matches_reference(DEPTH_CALLS, ref.prediction_depth, what="the depths",
                                  mistakes=DEPTH_MISTAKES)


def judge_depths(values) -> Verdict:
    """The definition on random predictions; the histograms (student's and reference's) go to the report."""
    verdict = _depth_values(values)
    expected = call_reference(ref.prediction_depth, DEPTH_CALLS[0])
    evidence = dict(verdict.evidence, depth_histogram=_histogram(values[0]), reference_depth_histogram=_histogram(expected))
    return Verdict(verdict.status, verdict.fraction, verdict.feedback, verdict.note, evidence)


depth_checks = [
    satisfies("matches the definition on random probe predictions", 1.5, DEPTH_CALLS, judge_depths),
    returns("gets the edge cases: all agree (0), last disagrees (P), flip-flops", 1.5,
            [Call("prediction_depth", EDGE_PREDICTIONS)], ref.prediction_depth, what="the depths",
            mistakes=DEPTH_MISTAKES),
]


# ------------------------------------------------------------------------------------------------ accuracy
def depth_sample(seed: int, n: int = 300, num_depths: int = 12,
                 occurring: tuple[int, ...] = (0, 1, 2, 4, 5, 6, 7, 8, 10, 11)) -> tuple:
    rng = np.random.default_rng(seed)
    depths = rng.choice(occurring, n)
    correct = rng.random(n) < 1 - depths / 15
    return depths.astype(np.int64), correct, num_depths


# Depths 3 and 9 never occur (as in the notebook). In the third call neither does depth 0 nor the top depths
# 9..11 (as in the real pipeline, where the top depth often never occurs): arrays that stop at the largest
# depth that occurs (np.bincount without minlength) and bins over the data's min..max (np.histogram with
# bins=num_depths) are right on the first two calls and wrong on the third.
ACCURACY_CALLS = [Call("accuracy_by_depth", depth_sample(s)) for s in (31, 32)] + [
    Call("accuracy_by_depth", depth_sample(33, occurring=(1, 2, 4, 5, 6, 7, 8)))]
_accuracy_expected = [call_reference(ref.accuracy_by_depth, c) for c in ACCURACY_CALLS]
ACCURACY_MISTAKES = [
    Mistake("counts-cut-short", wrong.accuracy_bincount_without_minlength,
            "Your arrays stop at the largest depth that occurs. A depth that no example has must still have an "
            "entry (count 0, accuracy NaN), so both arrays have num_depths entries: np.bincount (and "
            "torch.bincount) needs minlength=num_depths."),
    Mistake("histogram-bins-not-depths", wrong.accuracy_histogram_bins,
            "The bins must be the integer depths 0..num_depths-1, one per depth. np.histogram(depths, "
            "bins=num_depths) makes num_depths equal bins over the data's range (its smallest to its largest "
            "depth), which are not the depths when depth 0 or num_depths-1 does not occur. Count with "
            "np.bincount(depths, minlength=num_depths) (or bins=np.arange(num_depths + 1))."),
]
_accuracy_wrong = [(m, [call_reference(m.expected, c) for c in ACCURACY_CALLS]) for m in ACCURACY_MISTAKES]


NAN_NOT_ZERO = " A depth with no example has no accuracy: NaN, not 0 (0 would read as 'all wrong')."


def _accuracy_part(index: int, what: str, tolerance: Tolerance):
    """One of the two arrays on every call. A known mistake is named when it gives this array on every call;
    a 1-d array with fewer than num_depths entries is a mistake too (`counts-cut-short`), not an unreadable
    result: the student left out depths."""
    def judge(values) -> Verdict:
        for value in values:
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                return Verdict.invalid(f"accuracy_by_depth should return (accuracy, counts); got {describe(value)}.")
        for call, value, expected in zip(ACCURACY_CALLS, values, _accuracy_expected):
            verdict = compare_arrays(value[index], np.asarray(expected[index]), tolerance, what=what)
            if verdict.status is Status.PASSED:
                continue
            for mistake, outputs in _accuracy_wrong:
                if all(compare_arrays(v[index], np.asarray(o[index]), tolerance).status is Status.PASSED
                       for v, o in zip(values, outputs)):
                    return Verdict.failed(mistake.feedback, note=mistake.note, call=describe_call(call))
            got, num_depths = as_array(value[index]), call.args[2]
            if got is not None and got.ndim == 1 and got.dtype.kind in "biuf" and len(got) < num_depths:
                return Verdict.failed(
                    f"On {describe_call(call)}: {what} has {len(got)} entries; expected num_depths = {num_depths}. "
                    f"Every depth 0..num_depths-1 needs an entry, also a depth that no example has (count 0, "
                    f"accuracy NaN).", note="counts-cut-short", call=describe_call(call))
            zero_for_nan = verdict.note == "nan-mismatch" and verdict.evidence.get("got") == 0
            return Verdict(verdict.status, verdict.fraction, verdict.feedback + (NAN_NOT_ZERO if zero_for_nan else ""),
                           verdict.note, verdict.evidence)
        return Verdict.passed()
    return judge


def _naming(check, mistakes):
    """`check` with the known mistakes its judge names (for the catalogue tests)."""
    return dataclasses.replace(check, mistakes=tuple(mistakes))


accuracy_checks = [
    _naming(satisfies("accuracy per depth, NaN where no example has that depth", 1.5, ACCURACY_CALLS,
                      _accuracy_part(0, "the accuracy", Tolerance(equal_nan=True))), ACCURACY_MISTAKES),
    _naming(satisfies("counts per depth", 0.5, ACCURACY_CALLS, _accuracy_part(1, "the counts", Tolerance())),
            ACCURACY_MISTAKES),
]


# ------------------------------------------------------------------------------------------------ conceptual
def pipeline_context() -> str:
    """The staff pipeline's numbers, when `autograde prepare example_difficulty` has run: context for graders."""
    for summary in sorted(CACHE.glob("analysis-*/summary.json")):
        data = json.loads(summary.read_text())
        keep = {k: data[k] for k in ("test_accuracy", "knn_probe_accuracy", "depth", "why_depths_never_occur")
                if k in data}
        return " Pipeline numbers: " + json.dumps(keep)[:1500]
    return ""


RUBRICS = {
    "i": "depth 2: probes 2..P-1 all agree with the final prediction, probe 1 does not; depth P: the last probe disagrees.",
    "ii": "names where the mass is (early depths for most examples) and ties it to easy, prototypical shapes.",
    "iii": "accuracy falls as depth grows; deep examples are ambiguous or atypical.",
    "iv": "names the classes with the largest mean depth (e.g. ellipse vs circle, rectangle vs square) and why they are confusable.",
    "v": "hard examples are ambiguous (near-circular ellipses, near-square rectangles), small, thin or noisy.",
    "vi": "ReLU(inplace=True) overwrites the stored bn1 output; clone the activation in the hook.",
    "vii": "at 32x32 layer4's map is 1x1, so avgpool changes nothing and its probe equals layer4's.",
    "viii": "differ when the last probe disagrees with the network; argues for one (Baldock et al.: the network's).",
    "ix": "a use (curriculum, finding mislabelled or ambiguous data, early exit) and a risk (removing rare but valid examples).",
}
conceptual_checks = [manual(f"({part})", 1.0, ("conceptual", part), RUBRICS[part] + pipeline_context())
                     for part in read_manifest("example_difficulty")["questions"][-1]["parts"]]


def prepare(*, progress: bool = True) -> None:
    """`autograde prepare example_difficulty`: the data set, the trained ResNet-18 and the analysis, cached."""
    from reference.difficulty_pipeline import prepare as build
    build(CACHE, progress=progress)


SUITE = build_suite("example_difficulty", {
    "collect_activations": activation_checks,
    "knn_predict": knn_checks,
    "prediction_depth": depth_checks,
    "accuracy_by_depth": accuracy_checks,
    "conceptual": conceptual_checks,
}, preload=["sklearn.neighbors"])                   # the course notebook's k-NN: a 1.5 s import per submission
