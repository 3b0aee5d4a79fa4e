"""example_difficulty's checks on outcomes made in this process (no sandbox): right variants pass, each note
the suite can give is produced, and a mistake costs on its own check."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from graders.model import Status
from graders.suite import load_suite
from inprocess import grade_questions, judge_values, outcome
from reference import example_difficulty as ref
from reference import example_difficulty_mistakes as wrong

SUITE = load_suite("example_difficulty")
REFERENCE = {name: getattr(ref, name) for name in ref.__all__}


def check(question: str, words: str):
    (found,) = [c for c in SUITE.question(question).checks if words in c.name]
    return found


def lost(**functions) -> dict:
    results = grade_questions(SUITE, {**REFERENCE, **functions})
    return {(q, c): v.note for q, checks in results.items() for c, v in checks.items() if v.status is not Status.PASSED}


def sklearn_knn(train_feats, train_labels, test_feats, k=30):
    from sklearn.neighbors import KNeighborsClassifier
    return KNeighborsClassifier(n_neighbors=k).fit(train_feats.numpy(), train_labels.numpy()).predict(test_feats.numpy())


@pytest.mark.parametrize("functions", [
    dict(accuracy_by_depth=wrong.accuracy_as_python_floats),       # sel.float().mean().item(): float32 means
    dict(prediction_depth=wrong.depth_in_a_python_loop),
    dict(knn_predict=wrong.knn_bincount_argmax),
    dict(knn_predict=sklearn_knn),
], ids=["float32-accuracy", "depth-loop", "bincount-argmax", "sklearn"])
def test_right_variants_get_full_marks(functions):
    assert lost(**functions) == {}


@pytest.mark.parametrize("name, function, expected", [
    ("collect_activations", wrong.activations_without_snapshot,
     {("collect_activations", "returns the input and every top-level child's output, flattened"): "inplace-relu-overwrote-probe",
      ("collect_activations", "processes batch_size examples at a time"): "batch-size-ignored"}),
    ("collect_activations", wrong.activations_in_train_mode,
     {("collect_activations", "collects in eval mode and restores the model's mode"): "train-mode-activations"}),
    ("knn_predict", wrong.knn_ties_to_largest_label,
     {("knn_predict", "matches scikit-learn's KNeighborsClassifier on clustered data"): "vote-tie-to-largest-label",
      ("knn_predict", "breaks a tied vote (even k) towards the smallest label"): "vote-tie-to-largest-label"}),
    ("knn_predict", wrong.knn_cosine_distance,
     {("knn_predict", "matches scikit-learn's KNeighborsClassifier on clustered data"): "knn-not-euclidean",
      ("knn_predict", "breaks a tied vote (even k) towards the smallest label"): "knn-not-euclidean"}),
    ("prediction_depth", wrong.depth_against_last_probe,
     {("prediction_depth", "matches the definition on random probe predictions"): "depth-against-last-probe",
      ("prediction_depth", "gets the edge cases: all agree (0), last disagrees (P), flip-flops"): "depth-against-last-probe"}),
    ("accuracy_by_depth", wrong.accuracy_zero_for_empty_depth,
     {("accuracy_by_depth", "accuracy per depth, NaN where no example has that depth"): "nan-mismatch"}),
    ("accuracy_by_depth", wrong.accuracy_bincount_without_minlength,
     {("accuracy_by_depth", "accuracy per depth, NaN where no example has that depth"): "counts-cut-short",
      ("accuracy_by_depth", "counts per depth"): "counts-cut-short"}),
    ("accuracy_by_depth", wrong.accuracy_histogram_bins,
     {("accuracy_by_depth", "accuracy per depth, NaN where no example has that depth"): "histogram-bins-not-depths",
      ("accuracy_by_depth", "counts per depth"): "histogram-bins-not-depths"}),
    ("knn_predict", wrong.knn_default_k,
     {("knn_predict", "matches scikit-learn's KNeighborsClassifier on clustered data"): "knn-ignores-k",
      ("knn_predict", "votes among exactly k neighbours"): "knn-ignores-k"}),
    ("knn_predict", wrong.knn_k_plus_one,
     {("knn_predict", "votes among exactly k neighbours"): "k-plus-one-neighbours"}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_each_mistake_loses_on_its_own_checks_with_its_note(name, function, expected):
    assert lost(**{name: function}) == expected


def farthest_knn(train_feats, train_labels, test_feats, k=30):
    """Votes among the k farthest points, not catalogued: its tie-check failures are not tie-breaks."""
    nearest = torch.cdist(test_feats.double(), train_feats.double()).argsort(dim=1, descending=True)[:, :k]
    return torch.nn.functional.one_hot(train_labels[nearest], int(train_labels.max()) + 1).sum(1).argmax(1)


def test_the_tie_check_does_not_blame_tie_breaking_when_the_neighbours_differ():
    verdict = lost(knn_predict=farthest_knn)
    assert verdict[("knn_predict", "breaks a tied vote (even k) towards the smallest label")] == "neighbours-differ"
    results = grade_questions(SUITE, {**REFERENCE, "knn_predict": farthest_knn})
    feedback = results["knn_predict"]["breaks a tied vote (even k) towards the smallest label"].feedback
    assert "Not a tie-break problem" in feedback and "Euclidean" in feedback


def test_a_wrong_tie_break_is_still_named_as_one():
    """The wrapper leaves a prediction among the tied labels to the tie-break notes."""
    assert lost(knn_predict=wrong.knn_ties_to_nearest_label)[
        ("knn_predict", "breaks a tied vote (even k) towards the smallest label")] == "vote-tie-to-nearest-label"


def test_the_mode_check_does_not_charge_an_overwritten_probe_again():
    (key,) = [k for k in lost(collect_activations=wrong.activations_without_snapshot) if "mode" in k[1]] or [None]
    assert key is None


def test_probes_that_depend_on_the_mode_found_get_their_own_note():
    c = check("collect_activations", "eval mode")            # calls: found training, same model found eval, eval
    outs = [outcome(ref.collect_activations, call).value for call in c.calls]
    activations, report = outs[0]
    shifted = [a + 0.5 for a in activations]
    v = judge_values(c, [(shifted, report), outs[1], outs[2]])
    assert v.status is Status.FAILED and v.note == "depends-on-mode"


def test_nan_not_zero_is_said_only_when_a_zero_stands_for_nan():
    c = check("accuracy_by_depth", "accuracy per depth")
    expected = [ref.accuracy_by_depth(*map(torch.as_tensor, call.args[:2]), call.args[2]) for call in c.calls]
    values = [(a.numpy().copy(), n.numpy()) for a, n in expected]
    zero, half = [tuple(np.copy(x) for x in v) for v in values], [tuple(np.copy(x) for x in v) for v in values]
    zero[0][0][3], half[0][0][3] = 0.0, 0.5                    # depth 3 never occurs: NaN expected
    assert "NaN, not 0" in judge_values(c, zero).feedback
    v = judge_values(c, half)
    assert v.note == "nan-mismatch" and "NaN, not 0" not in v.feedback and "0.5 where nan was expected" in v.feedback


@pytest.mark.parametrize("words, note, function", [
    ("removes its hooks", "hooks-not-removed", "hooks"),
    ("keeps no autograd graph", "keeps-autograd-graph", "graph"),
    ("restores the model's mode", "mode-not-restored", "mode"),
])
def test_report_notes(words, note, function):
    c = check("collect_activations", words)
    outs = [outcome(ref.collect_activations, call).value for call in c.calls]
    bad = {"hooks": {"hooks_left": 3}, "graph": {"keeps_graph": True}, "mode": {"training": [False]}}[function]
    activations, (report,) = outs[0]
    outs[0] = (activations, [dict(report, **bad)])
    v = judge_values(c, outs)
    assert v.status is Status.FAILED and v.note == note


def unique_depths_only(depths, correct, num_depths):
    """np.unique(depths, return_counts=True): an entry only for the depths that occur (not catalogued)."""
    values, counts = np.unique(depths.numpy(), return_counts=True)
    hits = np.array([correct.numpy()[depths.numpy() == v].mean() for v in values])
    return hits, counts


def test_arrays_shorter_than_num_depths_are_a_mistake_not_an_invalid_result():
    results = grade_questions(SUITE, {**REFERENCE, "accuracy_by_depth": unique_depths_only})["accuracy_by_depth"]
    for verdict in results.values():
        assert verdict.status is Status.FAILED and verdict.note == "counts-cut-short", verdict
        assert "num_depths = 12" in verdict.feedback and "count 0, accuracy NaN" in verdict.feedback


def test_the_accuracy_inputs_leave_out_depth_0_and_the_top_depths_on_one_call():
    """Else np.bincount without minlength and np.histogram(bins=num_depths) return the right arrays."""
    calls = check("accuracy_by_depth", "counts per depth").calls
    assert any(call.args[0].min() > 0 and call.args[0].max() < call.args[2] - 1 for call in calls)


def test_sklearn_default_k_is_not_blamed_on_k_plus_one():
    results = grade_questions(SUITE, {**REFERENCE, "knn_predict": wrong.knn_default_k})["knn_predict"]
    feedback = " ".join(v.feedback for v in results.values())
    assert "k + 1" not in feedback and "5 neighbours (scikit-learn's default n_neighbors)" in feedback
