"""Problem 4(a) in float32, to halve the memory of the probes: activations are stored as float32, the k-NN
runs in float32, and the accuracy per depth is a float32 mean per depth (sel.float().mean().item())."""
import math

import torch


def collect_activations(model, x, batch_size=256):
    store = {}

    def keep(name):
        def hook(module, inputs, output):
            store.setdefault(name, []).append(output.detach().flatten(1).to(torch.float32))   # a copy
        return hook

    names = [name for name, _ in model.named_children()]
    handles = [module.register_forward_hook(keep(name)) for name, module in model.named_children()]
    was_training = {m: m.training for m in model.modules()}
    inputs = []
    model.eval()
    try:
        with torch.no_grad():
            for batch in torch.split(x, batch_size):
                inputs.append(batch.flatten(1).to(torch.float32))
                model(batch)
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in was_training.items():
            module.train(mode)
    return [torch.cat(inputs)] + [torch.cat(store[name]) for name in names]


def knn_predict(train_feats, train_labels, test_feats, k=30):
    d = torch.cdist(test_feats.float(), train_feats.float())
    neighbours = train_labels[d.topk(k, dim=1, largest=False).indices]          # (n_test, k)
    classes = torch.unique(train_labels)
    counts = (neighbours[:, :, None] == classes[None, None, :]).sum(1)           # (n_test, C)
    return classes[counts.argmax(1)]                                             # first maximum: smallest label


def prediction_depth(probe_preds, final_pred):
    P, n = probe_preds.shape
    disagree = probe_preds != final_pred.unsqueeze(0)                           # (P, n)
    last = torch.where(disagree, torch.arange(P).unsqueeze(1), torch.full_like(probe_preds, -1)).max(0).values
    return last + 1


def accuracy_by_depth(depths, correct, num_depths):
    accuracy, counts = [], []
    for level in range(num_depths):
        selected = correct[depths == level]
        counts.append(int(selected.numel()))
        accuracy.append(selected.float().mean().item() if selected.numel() else math.nan)
    return torch.tensor(accuracy), torch.tensor(counts)
