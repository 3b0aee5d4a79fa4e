# RIGHT (for the example class): hooks registered through named_children(), outputs collected per batch in a dict
# of lists keyed by layer name; torch.inference_mode() instead of no_grad; depth via argmax on the flipped
# disagreement mask; accuracy via scatter_add.
from collections import defaultdict

import torch


def collect_activations(model, x, batch_size=256):
    names = [name for name, _ in model.named_children()]
    store = defaultdict(list)
    handles = []

    def hook_factory(name):
        def hook(module, inputs, output):
            store[name].append(output.flatten(start_dim=1).clone())
        return hook

    for name, module in model.named_children():
        handles.append(module.register_forward_hook(hook_factory(name)))

    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for batch in x.split(batch_size):
                store["__input__"].append(batch.flatten(start_dim=1).clone())
                model(batch)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return [torch.cat(store[name], dim=0) for name in ["__input__"] + names]


def knn_predict(train_feats, train_labels, test_feats, k=30):
    d = torch.cdist(test_feats.to(torch.float64), train_feats.to(torch.float64))
    _, nearest = torch.sort(d, dim=1, stable=True)
    neighbour_labels = train_labels[nearest[:, :k]]
    num_classes = int(train_labels.max().item()) + 1
    counts = torch.stack([(neighbour_labels == c).sum(dim=1) for c in range(num_classes)], dim=1)
    best = counts.max(dim=1, keepdim=True).values
    # smallest label among those with the maximum count
    labels = torch.arange(num_classes).expand_as(counts)
    return torch.where(counts == best, labels, num_classes).min(dim=1).values


def prediction_depth(probe_preds, final_pred):
    P = probe_preds.shape[0]
    disagree = (probe_preds != final_pred.unsqueeze(0)).int()
    any_disagree = disagree.any(dim=0)
    last = P - 1 - disagree.flip(0).argmax(dim=0)      # index of the last disagreeing probe
    return torch.where(any_disagree, last + 1, torch.zeros_like(last))


def accuracy_by_depth(depths, correct, num_depths):
    counts = torch.zeros(num_depths, dtype=torch.int64).scatter_add_(0, depths, torch.ones_like(depths))
    right = torch.zeros(num_depths, dtype=torch.float64).scatter_add_(0, depths, correct.to(torch.float64))
    accuracy = right / counts.to(torch.float64)       # 0/0 = nan for empty depths, which is what we want
    return accuracy, counts
