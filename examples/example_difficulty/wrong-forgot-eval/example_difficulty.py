# MISTAKE (for the example class): never calls model.eval(), so a model handed over in training mode runs batch
# norm with each batch's statistics (and updates its running averages) while the probes are collected.
import torch


def collect_activations(model, x, batch_size=256):
    """Forward hooks on every top-level child; returns [input, child_1, ..., child_L], each (n, d)."""
    layers = list(model.children())
    outs = [None] * len(layers)
    hooks = []
    for i, layer in enumerate(layers):
        def hook(mod, inputs, output, i=i):
            outs[i] = output.detach().flatten(start_dim=1).clone()
        hooks.append(layer.register_forward_hook(hook))

    all_acts = [[] for _ in range(len(layers) + 1)]
    with torch.no_grad():
        for s in range(0, x.shape[0], batch_size):
            batch = x[s:s + batch_size]
            model(batch)
            all_acts[0].append(batch.flatten(start_dim=1))
            for i in range(len(layers)):
                all_acts[i + 1].append(outs[i])

    for h in hooks:
        h.remove()
    return [torch.cat(a) for a in all_acts]


def knn_predict(train_feats, train_labels, test_feats, k=30):
    d = torch.cdist(test_feats.double(), train_feats.double())
    nn_idx = torch.argsort(d, dim=1)[:, :k]
    nn_labels = train_labels[nn_idx]
    C = int(train_labels.max()) + 1
    counts = torch.zeros(len(test_feats), C, dtype=torch.long)
    counts.scatter_add_(1, nn_labels, torch.ones_like(nn_labels))
    return counts.argmax(1)


def prediction_depth(probe_preds, final_pred):
    P, n = probe_preds.shape
    agree = probe_preds == final_pred.unsqueeze(0)
    depth = torch.full((n,), P, dtype=torch.long)
    # walk backwards while the probes keep agreeing
    ok = torch.ones(n, dtype=torch.bool)
    for l in range(P - 1, -1, -1):
        ok = ok & agree[l]
        depth[ok] = l
    return depth


def accuracy_by_depth(depths, correct, num_depths):
    counts = torch.bincount(depths, minlength=num_depths)
    acc = torch.full((num_depths,), float("nan"), dtype=torch.float64)
    for d in range(num_depths):
        if counts[d] > 0:
            acc[d] = correct[depths == d].double().mean()
    return acc, counts
