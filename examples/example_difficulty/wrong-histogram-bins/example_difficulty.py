# MISTAKE (for the example class): counts with np.histogram(depths, bins=num_depths), whose bins split the
# data's min..max range into num_depths equal parts; they are the depths 0..num_depths-1 only when depth 0 and
# depth num_depths-1 both occur.
import numpy as np
import torch


def collect_activations(model, x, batch_size=256):
    children = list(model.children())
    current = {}
    handles = [child.register_forward_hook(lambda m, i, o, j=j: current.__setitem__(j, o.detach().flatten(1).clone()))
               for j, child in enumerate(children)]
    modes = {m: m.training for m in model.modules()}
    probes = [[] for _ in range(len(children) + 1)]
    try:
        model.eval()
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                xb = x[start:start + batch_size]
                current.clear()
                model(xb)
                probes[0].append(xb.flatten(1).clone())
                for j in range(len(children)):
                    probes[j + 1].append(current[j])
    finally:
        for h in handles:
            h.remove()
        for m, training in modes.items():
            m.train(training)
    return [torch.cat(p) for p in probes]


def knn_predict(train_feats, train_labels, test_feats, k=30):
    distances = torch.cdist(test_feats.double(), train_feats.double())
    nearest = distances.topk(k, largest=False).indices
    votes = torch.nn.functional.one_hot(train_labels[nearest], int(train_labels.max()) + 1).sum(1)
    return votes.argmax(1)


def prediction_depth(probe_preds, final_pred):
    P = probe_preds.shape[0]
    agree = (probe_preds == final_pred[None, :]).long()
    return P - agree.flip(0).cumprod(0).sum(0)


def accuracy_by_depth(depths, correct, num_depths):
    depths = depths.numpy()
    correct = correct.numpy().astype(float)
    counts, bin_edges = np.histogram(depths, bins=num_depths)           # one bin per depth
    n_correct, _ = np.histogram(depths, bins=bin_edges, weights=correct)
    accuracy = np.full(num_depths, np.nan)
    nonempty = counts > 0
    accuracy[nonempty] = n_correct[nonempty] / counts[nonempty]
    return accuracy, counts
