"""The k-NN checks of the example_difficulty suite (question `knn_predict`): clustered data against
scikit-learn's KNeighborsClassifier, exactly k neighbours, and tied votes, where a prediction outside the tied
labels is blamed on the neighbours, not on tie-breaking.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from reference import example_difficulty as ref
from reference import example_difficulty_mistakes as wrong

from ..checks import Check, Mistake, describe_call, returns
from ..compare import as_array
from ..model import Call, Status, Verdict

__all__ = ["knn_checks"]


def clusters(seed: int, n_train: int, n_test: int, classes: int, d: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    centres = 2.0 * rng.standard_normal((classes, d))
    y = rng.integers(0, classes, n_train)
    train = centres[y] + rng.standard_normal((n_train, d))
    test = centres[rng.integers(0, classes, n_test)] + rng.standard_normal((n_test, d))
    return train, y.astype(np.int64), test


def tied_votes(near: int, far: int) -> tuple[np.ndarray, ...]:
    """k = 4 and each test point has two neighbours of label `near` (at about 1) and two of label `far` (at
    about 1.1), plus far-away points: the vote ties, and scikit-learn's rule gives the smaller label whichever
    is nearer."""
    train = np.array([[-1.0, 0], [1, 0], [0, -1.1], [0, 1.1], [9, 9], [-9, 9], [9, -9]])
    labels = np.array([near, near, far, far, 0, 2, 4], dtype=np.int64)
    test = np.array([[0.0, 0.0], [0.05, -0.02], [-0.03, 0.04]])
    return train, labels, test


def tied_three_ways() -> tuple[np.ndarray, ...]:
    """k = 6: two neighbours each of labels 4 (nearest), 2 and 5 (farthest): the smallest label (2) is neither
    the nearest neighbour's (4) nor the largest (5), nor the first of the tied labels met in the data."""
    train = np.array([[1.0, 0], [-1, 0], [0, 1.1], [0, -1.1], [1.2, 1.2], [-1.2, -1.2], [9, 9], [-9, 9]])
    labels = np.array([4, 4, 2, 2, 5, 5, 0, 1], dtype=np.int64)
    return train, labels, np.array([[0.0, 0.0], [0.02, -0.03]])


def one_more_neighbour() -> tuple[np.ndarray, ...]:
    """k = 3. Test points 0 and 0.5: the 3 nearest vote 2, 2, 1; the 4th and 5th are 1 too, so counting k + 1
    (or skipping the nearest) changes the answer. Test point -100: its neighbours, at 1.0, 1.05, 1.1, 1.15,
    1.2, have labels 3, 0, 0, 3, 3, so 3, 4 (k + 1), or 2..4 (skipping the nearest) of them vote 0 (also with
    1/distance weights) while 5 vote 3: scikit-learn's default n_neighbors=5 is not taken for k + 1. (They
    are in the order of their distance, so a cosine k-NN, for which all five are at 0, agrees here too.)"""
    train = np.array([[1.0], [2.0], [3.0], [4.0], [5.0], [40.0], [-101.0], [-101.05], [-98.9], [-101.15], [-98.8]])
    labels = np.array([2, 2, 1, 1, 1, 0, 3, 0, 0, 3, 3], dtype=np.int64)
    return train, labels, np.array([[0.0], [0.5], [-100.0]])


KNN_MISTAKES = [
    Mistake("vote-tie-to-largest-label", wrong.knn_ties_to_largest_label,
            "A tied vote went to the largest label; KNeighborsClassifier (and the spec) give it to the smallest."),
    Mistake("vote-tie-to-nearest-label", wrong.knn_ties_to_nearest_label,
            "A tied vote went to the nearest neighbour's label (as Counter.most_common does); KNeighborsClassifier "
            "(and the spec) give it to the smallest label."),
    Mistake("k-plus-one-neighbours", wrong.knn_k_plus_one,
            "The vote counts k + 1 neighbours. The test points are not in the training set, so there is no "
            "'self' to skip: take exactly the k nearest."),
    Mistake("knn-ignores-k", wrong.knn_default_k,       # after k + 1, which it equals where k + 1 = 5
            "Your vote always uses 5 neighbours (scikit-learn's default n_neighbors), whatever k is: pass "
            "n_neighbors=k."),
]
KNN_MISTAKES += [Mistake(c.note, c.function, c.feedback) for c in wrong.CONVENTIONS  # the field's conventions
                 if c.replaces == "knn_predict" and c.note and c.function not in {m.expected for m in KNN_MISTAKES}]


def tied_labels(train, labels, test, k: int) -> list[set[int]]:
    """Per test point, the labels tied at the top of the vote of its k Euclidean nearest neighbours."""
    order = np.argsort(((test[:, None, :] - train[None, :, :]) ** 2).sum(-1), axis=1, kind="stable")[:, :k]
    votes = [np.bincount(labels[row], minlength=int(labels.max()) + 1) for row in order]
    return [set(np.flatnonzero(v == v.max()).tolist()) for v in votes]


def blaming_ties_only_for_ties(check: Check) -> Check:
    """`check` (tie-breaking), except that a prediction outside the tied labels is not a tie-break: the student's
    neighbours (or vote) differ, so the feedback says that and names the Euclidean distance, with no tie talk."""
    tied = [tied_labels(*call.args, call.kwargs["k"]) for call in check.calls]

    def judge(values, *support) -> Verdict:
        verdict = check.judge(values, *support)
        if verdict.status is not Status.FAILED or verdict.note:
            return verdict
        for call, got, ties in zip(check.calls, values, tied):
            got = as_array(got)
            if got is None or got.shape != (len(ties),):
                continue
            outside = [i for i, (g, t) in enumerate(zip(got.tolist(), ties)) if g not in t]
            if outside:
                i = outside[0]
                return Verdict.failed(
                    f"Not a tie-break problem: on {describe_call(call)}, test point {i} gets label {got[i]}, which "
                    f"is not among the labels tied in the vote of its k nearest neighbours by Euclidean distance "
                    f"({sorted(ties[i])}). Check which neighbours you take: the spec's k-NN uses Euclidean "
                    f"distance and exactly k neighbours.", note="neighbours-differ", **verdict.evidence)
        return verdict
    return dataclasses.replace(check, judge=judge)


knn_checks = [
    returns("matches scikit-learn's KNeighborsClassifier on clustered data", 1.5,
            [Call("knn_predict", clusters(11, 300, 60, 4, 5), {"k": 30}),
             Call("knn_predict", clusters(12, 120, 40, 6, 3), {"k": 7})],
            ref.knn_predict, what="the predicted labels", mistakes=KNN_MISTAKES),
    returns("votes among exactly k neighbours", 0.5, [Call("knn_predict", one_more_neighbour(), {"k": 3})],
            ref.knn_predict, what="the predicted labels", mistakes=KNN_MISTAKES),
    blaming_ties_only_for_ties(returns(
        "breaks a tied vote (even k) towards the smallest label", 1.0,
        [Call("knn_predict", tied_votes(3, 1), {"k": 4}), Call("knn_predict", tied_votes(1, 3), {"k": 4}),
         Call("knn_predict", tied_three_ways(), {"k": 6})],
        ref.knn_predict, what="the predicted labels", mistakes=KNN_MISTAKES)),
]
