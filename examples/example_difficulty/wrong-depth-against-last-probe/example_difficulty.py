"""Problem 4(a), with the depth measured against the last probe's prediction (the notebook's reading) instead of
the final_pred argument. Everything else is right."""
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
    final_pred = probe_preds[-1]                 # "the final prediction" read as the last probe
    P = probe_preds.shape[0]
    agree = (probe_preds == final_pred[None, :]).long()
    return P - agree.flip(0).cumprod(0).sum(0)


def accuracy_by_depth(depths, correct, num_depths):
    counts = torch.bincount(depths, minlength=num_depths)
    hits = torch.bincount(depths, weights=correct.double(), minlength=num_depths)
    accuracy = hits / counts
    return torch.where(counts > 0, accuracy, torch.full_like(accuracy, float("nan"))), counts
