"""Reference answers for Homework 10, problem 4(a) "Example Difficulty" (prediction depth, Baldock et al. 2021).

A k-NN probe (k = 30, Euclidean, uniform vote) is fit on the training activations after every top-level child
of a ResNet-18 and predicts the test examples. With ``P`` probes (input plus 10 children = 11), the prediction
depth of an example x is the smallest ``l`` such that the probes ``l, ..., P - 1`` all predict ``final_pred[x]``:

    depth(x) = min { l in 0..P : probe_preds[m, x] == final_pred[x] for every m >= l }

so 0 when every probe agrees and ``P`` when the last probe disagrees. The notebook uses the last probe's
prediction as ``final_pred``; Baldock et al. use the network's own prediction.

Code questions: ``collect_activations``, ``knn_predict``, ``prediction_depth``, ``accuracy_by_depth``.
"""

from __future__ import annotations

import sys

import torch
from torch import nn

__all__ = ["collect_activations", "knn_predict", "prediction_depth", "accuracy_by_depth"]

# A float32 distance |x|^2 - 2 x.y + |y|^2 is off by at most about this times |x|^2 + |y|^2 (blocked GEMM sums
# chains of a few hundred products: ~600 u = 4e-5 for d = 16384). A neighbour near the k-th place has
# |y| <= |x| + sqrt(d_(k+1)) (triangle inequality), so a row whose k-th and (k+1)-th distances are further
# apart than twice that bound has its k-set fixed; in the other rows the points within the bound of the
# k-th place are recomputed in float64 (``_repair``).
FLOAT32_RELATIVE_ERROR = 2.0**-13


def collect_activations(model: nn.Module, x: torch.Tensor, batch_size: int = 256) -> list[torch.Tensor]:
    """Probe activations: x (n, ...) -> [input (n, d_0), output of child 1 (n, d_1), ..., of child P-1].

    One forward hook per top-level child (``model.named_children()``) copies its output, flattened, as soon as
    it is produced, so a later in-place op (torchvision's ``ReLU(inplace=True)`` after ``bn1``) cannot change
    an earlier probe. Runs in eval mode under ``torch.no_grad()`` in batches of ``batch_size``; the hooks are
    removed and every module's train/eval mode restored even when the forward pass raises. Tensors are on
    the CPU, in the model's dtype.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    children = [name for name, _ in model.named_children()]
    if not children:
        raise ValueError("model has no children to probe")
    n = len(x)
    if n == 0:
        raise ValueError("x holds no examples")
    probes: list[torch.Tensor | None] = [None] * (1 + len(children))
    batch: dict[int, torch.Tensor] = {}   # probe index -> this batch's snapshot

    def snapshot(index: int):
        def hook(module, inputs, output):
            if index in batch:
                raise RuntimeError(f"child {children[index - 1]!r} ran twice in one forward pass; "
                                   "its probe would be ambiguous")
            batch[index] = output.detach().flatten(1).to("cpu", copy=True)   # (b, d_l) snapshot
        return hook

    modes = {module: module.training for module in model.modules()}
    handles = [child.register_forward_hook(snapshot(i + 1)) for i, (_, child) in enumerate(model.named_children())]
    try:
        model.eval()
        with torch.no_grad():
            for start in range(0, n, batch_size):
                xb = x[start:start + batch_size].detach()                      # (b, ...)
                batch.clear()
                batch[0] = xb.flatten(1).to("cpu", copy=True)                  # (b, d_0)
                model(xb)
                missing = [children[i - 1] for i in range(1, len(probes)) if i not in batch]
                if missing:
                    raise RuntimeError(f"children {missing} did not run in the forward pass")
                for index, values in batch.items():
                    if probes[index] is None:
                        probes[index] = values.new_empty((n, values.shape[1]))  # (n, d_l)
                    probes[index][start:start + len(values)] = values
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes.items():
            module.train(training)
    return probes


def knn_predict(train_feats: torch.Tensor, train_labels: torch.Tensor, test_feats: torch.Tensor, k: int = 30,
                *, chunk_size: int = 1024) -> torch.Tensor:
    """Euclidean k-NN with a uniform vote: (n_train, d), (n_train,), (n_test, d) -> (n_test,) labels.

    The same labels as scikit-learn's ``KNeighborsClassifier(n_neighbors=k).predict`` by brute force: the k
    smallest squared distances |x|^2 - 2 x.y + |y|^2 (float64, clipped at 0) and a tied vote to the smallest
    label. Where equal distances straddle the k-th place, sklearn keeps whichever its fixed-size max-heap,
    filled in training order, keeps; those rows replay that heap. float64 inputs are compared in float64.
    Lower precisions are compared in float32 after centring on the training mean; where a test row's k-th and
    (k+1)-th distances lie within the float32 rounding bound, the training points near the k-th place are
    recomputed in float64 on the raw values.
    """
    train_feats, test_feats = torch.as_tensor(train_feats), torch.as_tensor(test_feats)
    train_labels = torch.as_tensor(train_labels)
    if train_feats.ndim != 2 or test_feats.ndim != 2 or train_feats.shape[1] != test_feats.shape[1]:
        raise ValueError(f"features must be (n_train, d) and (n_test, d), got {tuple(train_feats.shape)} "
                         f"and {tuple(test_feats.shape)}")
    if train_labels.shape != train_feats.shape[:1]:
        raise ValueError(f"train_labels must be ({len(train_feats)},), got {tuple(train_labels.shape)}")
    if not 1 <= k <= len(train_feats):
        raise ValueError(f"k must be in 1..n_train = {len(train_feats)}, got {k}")

    classes, y = torch.unique(train_labels, return_inverse=True)           # (C,), (n_train,)
    votes_per_train = nn.functional.one_hot(y, len(classes)).to(torch.float32)  # (n_train, C)
    exact = train_feats.dtype == torch.float64 and test_feats.dtype == torch.float64
    if not exact:
        shift = train_feats.mean(0, dtype=torch.float64).to(torch.float32)  # (d,) distances ignore shifts
        Y = train_feats.to(torch.float32) - shift                           # (n_train, d)
        Y_sq = (Y * Y).sum(1)                                               # (n_train,)

    pred = torch.empty(len(test_feats), dtype=torch.long)                   # (n_test,)
    for start in range(0, len(test_feats), chunk_size):
        X_raw = test_feats[start:start + chunk_size]                        # (c, d)
        if exact:
            D = _squared_distances(X_raw, train_feats)                      # (c, n_train)
        else:
            X = X_raw.to(torch.float32) - shift                             # (c, d)
            X_sq = (X * X).sum(1, keepdim=True)                             # (c, 1)
            D = torch.addmm(Y_sq[None, :], X, Y.T, alpha=-2).add_(X_sq)     # (c, n_train) squared distances
            if k < len(Y):
                nearest = D.topk(k + 1, dim=1, largest=False).values        # (c, k+1) ascending
                gap = nearest[:, k] - nearest[:, k - 1]                     # (c,)
                reach = (X_sq[:, 0].sqrt() + nearest[:, k].clamp(min=0).sqrt()) ** 2  # (c,) |y|^2 near place k
                tolerance = FLOAT32_RELATIVE_ERROR * (X_sq[:, 0] + reach)   # (c,) bound on the rounding error
                unsure = torch.nonzero(gap <= 2 * tolerance).flatten()      # (u,) rows whose k-set may differ
                if len(unsure):
                    window = nearest[unsure, k - 1] + 2 * tolerance[unsure]  # (u,) beyond it: surely not a neighbour
                    D = D.to(torch.float64)
                    D[unsure] = _repair(D[unsure], window, X_raw[unsure], train_feats, k)  # (u, n_train)
        counts = _k_nearest(D, k).to(torch.float32) @ votes_per_train       # (c, C) neighbours per class
        pred[start:start + len(X_raw)] = counts.argmax(1)                   # first maximum: smallest label
    return classes[pred]                                                    # (n_test,)


def _repair(D: torch.Tensor, window: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, k: int) -> torch.Tensor:
    """float64 distances, as scikit-learn computes them, for the entries of D (u, n) at most ``window`` (u,),
    +inf elsewhere (surely not neighbours); X (u, d) and Y (n, d) are the raw features. A row whose k-th
    float64 distance is tied gets all its distances, for the heap replay of ``_k_nearest``."""
    exact = torch.full_like(D, torch.inf)                                   # (u, n)
    X64 = X.to(torch.float64)                                               # (u, d)
    for row in range(len(D)):
        near = torch.nonzero(D[row] <= window[row]).flatten()               # (t,) candidates, t >= k
        y = Y[near].to(torch.float64)                                       # (t, d)
        exact[row, near] = (X64[row] @ X64[row] - 2 * (y @ X64[row]) + (y * y).sum(1)).clamp(min=0)  # (t,)
    kth = exact.topk(k, dim=1, largest=False).values[:, -1:]                # (u, 1)
    tied = torch.nonzero((exact <= kth).sum(1) > k).flatten()               # (v,)
    if len(tied):
        exact[tied] = _squared_distances(X64[tied], Y.to(torch.float64))    # (v, n)
    return exact


def _squared_distances(X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """max(0, |x|^2 - 2 x.y + |y|^2), summed in scikit-learn's order: (m, d), (n, d) -> (m, n)."""
    D = torch.mm(X, Y.T).mul_(-2)                                           # (m, n) middle term
    D.add_((X * X).sum(1, keepdim=True)).add_((Y * Y).sum(1)[None, :])      # (m, n)
    return D.clamp_(min=0)


def _k_nearest(D: torch.Tensor, k: int) -> torch.Tensor:
    """The k smallest entries of each row as a mask: (c, n) -> (c, n) bool, k per row."""
    kth = D.topk(k, dim=1, largest=False).values[:, -1:]                    # (c, 1) k-th smallest value
    below, at = D < kth, D == kth                                           # (c, n) each
    places = k - below.sum(1, keepdim=True)                                 # (c, 1) >= 1
    mask = below | (at & (at.cumsum(1) <= places))                          # (c, n) ties taken left to right
    for row in torch.nonzero(at.sum(1) > places[:, 0]).flatten().tolist():  # ties straddle the k-th place
        mask[row] = False
        mask[row, _heap_neighbours(D[row].tolist(), k)] = True
    return mask


def _heap_neighbours(distances: list[float], k: int) -> list[int]:
    """Indices kept by scikit-learn's ``heap_push`` (sklearn/utils/_heap.pyx) fed in training order."""
    values, indices = [sys.float_info.max] * k, [-1] * k
    for index, value in enumerate(distances):
        if value >= values[0]:
            continue
        i = 0
        while True:
            left, right = 2 * i + 1, 2 * i + 2
            if left >= k:
                break
            if right >= k:
                child = left if values[left] > value else None
            elif values[left] >= values[right]:
                child = left if value < values[left] else None
            else:
                child = right if value < values[right] else None
            if child is None:
                break
            values[i], indices[i] = values[child], indices[child]
            i = child
        values[i], indices[i] = value, index
    return indices


def prediction_depth(probe_preds: torch.Tensor, final_pred: torch.Tensor) -> torch.Tensor:
    """(P, n), (n,) -> (n,) int64: smallest l with probe_preds[m, x] == final_pred[x] for all m >= l."""
    probe_preds, final_pred = torch.as_tensor(probe_preds), torch.as_tensor(final_pred)
    if probe_preds.ndim != 2 or final_pred.shape != probe_preds.shape[1:]:
        raise ValueError(f"probe_preds must be (P, n) and final_pred (n,), got {tuple(probe_preds.shape)} "
                         f"and {tuple(final_pred.shape)}")
    P = probe_preds.shape[0]
    agree = (probe_preds == final_pred[None, :]).to(torch.long)            # (P, n)
    agreeing_tail = agree.flip(0).cumprod(0).sum(0)                         # (n,) probes P-1, P-2, ... agreeing
    return P - agreeing_tail                                                # (n,)


def accuracy_by_depth(depths: torch.Tensor, correct: torch.Tensor, num_depths: int):
    """(n,) depths in 0..num_depths-1, (n,) correct -> accuracy (num_depths,) float64, NaN where no example
    has that depth, and counts (num_depths,) int64."""
    depths, correct = torch.as_tensor(depths), torch.as_tensor(correct)
    if depths.ndim != 1 or correct.shape != depths.shape:
        raise ValueError(f"depths and correct must both be (n,), got {tuple(depths.shape)} and "
                         f"{tuple(correct.shape)}")
    if len(depths) and (depths.min() < 0 or depths.max() >= num_depths):
        raise ValueError(f"depths must lie in 0..{num_depths - 1}, got {depths.min()}..{depths.max()}")
    depths = depths.to(torch.long)
    counts = torch.bincount(depths, minlength=num_depths)                   # (num_depths,)
    hits = torch.bincount(depths, weights=correct.to(torch.float64), minlength=num_depths)  # (num_depths,)
    accuracy = torch.where(counts > 0, hits / counts.clamp(min=1), torch.nan)  # (num_depths,)
    return accuracy, counts
