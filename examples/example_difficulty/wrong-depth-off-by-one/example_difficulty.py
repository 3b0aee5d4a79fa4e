# MISTAKE (for the example class): returns the index of the last disagreeing probe, not the index after it
# (off by one: 10 instead of P = 11 when the last probe disagrees; 0 both for "all agree" and "only probe 0 is off").
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
    P, n = probe_preds.shape
    disagree = (probe_preds != final_pred[None, :])
    depth = torch.zeros(n, dtype=torch.long)
    for l in range(P):
        depth[disagree[l]] = l          # remember the last layer that still disagrees
    return depth


def accuracy_by_depth(depths, correct, num_depths):
    counts = torch.bincount(depths, minlength=num_depths)
    hits = torch.bincount(depths, weights=correct.double(), minlength=num_depths)
    accuracy = hits / counts
    return torch.where(counts > 0, accuracy, torch.full_like(accuracy, float("nan"))), counts
