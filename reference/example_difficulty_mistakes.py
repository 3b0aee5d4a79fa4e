"""Known wrong answers to problem 4(a), written as students write them; the suite names them in feedback."""
from __future__ import annotations

import numpy as np
import torch

from .conventions import Convention
from .example_difficulty import knn_predict, prediction_depth


def activations_without_snapshot(model, x, batch_size=256):
    """Hooks keep references to the outputs: the in-place ReLU after bn1 overwrites the bn1 probe."""
    outputs, handles = [], []
    for child in model.children():
        handles.append(child.register_forward_hook(lambda m, i, o: outputs.append(o.flatten(1))))
    training = model.training
    model.eval()
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    model.train(training)
    return [x.flatten(1)] + outputs


def activations_in_train_mode(model, x, batch_size=256):
    """Forward in whatever mode the model is in: batch norm then uses the batch's statistics."""
    probes = [[x[i:i + batch_size].flatten(1)] for i in range(0, len(x), batch_size)]
    handles, current = [], []
    for child in model.children():
        handles.append(child.register_forward_hook(lambda m, i, o: current.append(o.detach().flatten(1).clone())))
    with torch.no_grad():
        for b, start in enumerate(range(0, len(x), batch_size)):
            current.clear()
            model(x[start:start + batch_size])
            probes[b] += list(current)
    for handle in handles:
        handle.remove()
    return [torch.cat(column) for column in zip(*probes)]


def knn_ties_to_largest_label(train_feats, train_labels, test_feats, k=30):
    """A vote tie goes to the largest label."""
    distances = torch.cdist(test_feats.double(), train_feats.double())
    nearest = distances.topk(k, largest=False).indices
    votes = torch.nn.functional.one_hot(train_labels[nearest], int(train_labels.max()) + 1).sum(1)
    return (votes.shape[1] - 1) - votes.flip(1).argmax(1)


def depth_first_agreement(probe_preds, final_pred):
    """The first probe that agrees, not the last change: later disagreements are ignored."""
    agree = probe_preds == final_pred[None, :]
    first = agree.to(torch.int64).argmax(0)
    return torch.where(agree.any(0), first, torch.full_like(first, probe_preds.shape[0]))


def depth_counting_disagreements(probe_preds, final_pred):
    """The number of probes that disagree, instead of where the last disagreement is."""
    return (probe_preds != final_pred[None, :]).sum(0)


def depth_off_by_one(probe_preds, final_pred):
    """Depth as the index of the last disagreeing probe (one less than the definition)."""
    return (prediction_depth(probe_preds, final_pred) - 1).clamp(min=0)


def accuracy_zero_for_empty_depth(depths, correct, num_depths):
    """0 instead of NaN where no example has a depth."""
    counts = torch.bincount(depths, minlength=num_depths)
    hits = torch.bincount(depths, weights=correct.double(), minlength=num_depths)
    return hits / counts.clamp(min=1), counts


def accuracy_bincount_without_minlength(depths, correct, num_depths):
    """np.bincount(depths) without minlength=num_depths: the arrays end at the largest depth that occurs."""
    counts = torch.bincount(depths)
    hits = torch.bincount(depths, weights=correct.double())
    accuracy = hits / counts                                                # 0/0 = NaN for a missing depth
    return accuracy, counts


def accuracy_histogram_bins(depths, correct, num_depths):
    """np.histogram(depths, bins=num_depths): num_depths equal bins over the data's min..max, not the depths
    0..num_depths-1 (the same thing only when depths 0 and num_depths-1 both occur)."""
    d = np.asarray(depths)
    counts, edges = np.histogram(d, bins=num_depths)
    hits, _ = np.histogram(d, bins=edges, weights=np.asarray(correct).astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = hits / counts
    return torch.from_numpy(accuracy), torch.from_numpy(counts)


def _votes(train_feats, train_labels, test_feats, k, skip=0):
    """Label counts among neighbours skip .. skip + k - 1 (by distance), and the neighbours' labels in order."""
    order = torch.cdist(test_feats.double(), train_feats.double()).argsort(dim=1, stable=True)[:, skip:skip + k]
    labels = train_labels[order]                                            # (n_test, k), nearest first
    return torch.nn.functional.one_hot(labels, int(train_labels.max()) + 1).sum(1), labels


def knn_k_plus_one(train_feats, train_labels, test_feats, k=30):
    """Counts k + 1 neighbours (e.g. topk(k + 1), meant to drop the query itself, which is not in the train set)."""
    votes, _ = _votes(train_feats, train_labels, test_feats, k + 1)
    return votes.argmax(1)


def knn_default_k(train_feats, train_labels, test_feats, k=30):
    """KNeighborsClassifier() without n_neighbors=k: scikit-learn's default, 5 neighbours, whatever k is."""
    return knn_predict(train_feats, train_labels, test_feats, k=5)


def knn_ties_to_nearest_label(train_feats, train_labels, test_feats, k=30):
    """Counter(labels).most_common(1): a tied vote goes to the label met first, the nearest neighbour's."""
    votes, labels = _votes(train_feats, train_labels, test_feats, k)
    tied = votes == votes.max(1, keepdim=True).values                       # (n_test, C)
    first_tied = tied.gather(1, labels).to(torch.int64).argmax(1)           # first neighbour with a tied label
    return labels[torch.arange(len(labels)), first_tied]


# ------------------------------------------------------------------------------------------------ conventions of the field
def knn_distance_weighted(train_feats, train_labels, test_feats, k=30):
    """KNeighborsClassifier(weights="distance"): each neighbour votes 1 / distance, not 1."""
    distances = torch.cdist(test_feats.double(), train_feats.double())
    nearest = distances.topk(k, largest=False)
    votes = torch.zeros(len(test_feats), int(train_labels.max()) + 1, dtype=torch.float64)
    votes.scatter_add_(1, train_labels[nearest.indices], 1.0 / nearest.values.clamp(min=1e-12))
    return votes.argmax(1)


def knn_cosine_distance(train_feats, train_labels, test_feats, k=30):
    """cdist(..., metric="cosine") or KNeighborsClassifier(metric="cosine"): neighbours by angle, not by Euclidean
    distance (ties to the smallest label, as the spec says)."""
    unit = torch.nn.functional.normalize
    cosine = 1 - unit(test_feats.double(), dim=1) @ unit(train_feats.double(), dim=1).T
    nearest = cosine.argsort(dim=1, stable=True)[:, :k]
    return torch.nn.functional.one_hot(train_labels[nearest], int(train_labels.max()) + 1).sum(1).argmax(1)


def knn_bincount_argmax(train_feats, train_labels, test_feats, k=30):
    """np.bincount(...).argmax() per row: argmax returns the first maximum, the smallest label. Right."""
    votes, _ = _votes(train_feats, train_labels, test_feats, k)
    return votes.argmax(1)


def depth_against_last_probe(probe_preds, final_pred):
    """The notebook's reading: depth measured against the last probe's prediction, whatever final_pred says."""
    return prediction_depth(probe_preds, probe_preds[-1])


def depth_in_a_python_loop(probe_preds, final_pred):
    """Walks back from the last probe until the first disagreement: right."""
    P, n = probe_preds.shape
    depths = []
    for x in range(n):
        l = P
        while l > 0 and probe_preds[l - 1, x] == final_pred[x]:
            l -= 1
        depths.append(l)
    return torch.tensor(depths)


def accuracy_as_python_floats(depths, correct, num_depths):
    """float('nan') for empty depths, sel.float().mean().item() elsewhere: float32 means, right."""
    accuracy, counts = [], []
    for l in range(num_depths):
        selected = correct[depths == l]
        counts.append(len(selected))
        accuracy.append(selected.float().mean().item() if len(selected) else float("nan"))
    return torch.tensor(accuracy, dtype=torch.float64), torch.tensor(counts)


# ------------------------------------------------------------------------------------------------ the catalogue
CONVENTIONS = (
    Convention("knn_predict", knn_ties_to_largest_label, ("knn_predict",), "vote-tie-to-largest-label",
               "A tied vote goes to the smallest label, as in KNeighborsClassifier.", "argmax over flipped counts"),
    Convention("knn_predict", knn_ties_to_nearest_label, ("knn_predict",), "vote-tie-to-nearest-label",
               "A tied vote goes to the smallest label, not to the label met first.", "Counter.most_common"),
    Convention("knn_predict", knn_distance_weighted, ("knn_predict",), "distance-weighted-vote",
               "The vote is uniform: each of the k neighbours counts once, whatever its distance.",
               "KNeighborsClassifier(weights='distance')"),
    Convention("knn_predict", knn_cosine_distance, ("knn_predict",), "knn-not-euclidean",
               "The spec's k-NN uses Euclidean distance between feature vectors; cosine distance picks other "
               "neighbours.", "cdist(..., metric='cosine'), KNeighborsClassifier(metric='cosine')"),
    Convention("knn_predict", knn_default_k, ("knn_predict",), "knn-ignores-k",
               "The vote uses k neighbours: pass n_neighbors=k, or scikit-learn uses its default of 5.",
               "KNeighborsClassifier() without n_neighbors=k"),
    Convention("knn_predict", knn_bincount_argmax, ("knn_predict",), source="np.bincount(...).argmax()"),
    Convention("prediction_depth", depth_against_last_probe, ("prediction_depth",), "depth-against-last-probe",
               "Depth is measured against final_pred, the network's own prediction (Baldock et al.), which may "
               "differ from the last probe's.", "the course notebook"),
    Convention("prediction_depth", depth_first_agreement, ("prediction_depth",), "first-agreement-not-last-change",
               "Every probe from the depth on must agree; the first agreeing probe is not enough.",
               "argmax of the agreement mask"),
    Convention("prediction_depth", depth_in_a_python_loop, ("prediction_depth",), source="a loop per example"),
    Convention("accuracy_by_depth", accuracy_zero_for_empty_depth, ("accuracy_by_depth",), "nan-mismatch",
               "A depth with no example has no accuracy: NaN, not 0.", "hits / counts.clamp(min=1)"),
    Convention("accuracy_by_depth", accuracy_bincount_without_minlength, ("accuracy_by_depth",), "counts-cut-short",
               "Every depth 0..num_depths-1 has an entry, also one no example has (count 0, accuracy NaN).",
               "np.bincount(depths) without minlength=num_depths"),
    Convention("accuracy_by_depth", accuracy_histogram_bins, ("accuracy_by_depth",), "histogram-bins-not-depths",
               "The bins are the integer depths 0..num_depths-1, not num_depths equal bins over the data's range.",
               "np.histogram(depths, bins=num_depths)"),
    Convention("accuracy_by_depth", accuracy_as_python_floats, ("accuracy_by_depth",), source="sel.float().mean().item()"),
)
