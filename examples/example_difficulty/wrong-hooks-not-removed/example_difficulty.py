# MISTAKE (for the example class): registers a forward hook on every child and never calls .remove() on the
# handles, so the hooks stay on the model (and keep appending to a dead list on every later forward pass).
import torch

activations = {}


def get_activation(name):
    # the classic "get_activation" hook from the forums
    def hook(model, input, output):
        activations[name] = output.detach().clone()
    return hook


def collect_activations(model, x, batch_size=256):
    names = []
    for name, layer in model.named_children():
        layer.register_forward_hook(get_activation(name))
        names.append(name)

    mode = model.training
    model.eval()
    feats = {name: [] for name in ["input"] + names}
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = x[i:i + batch_size]
            model(xb)
            feats["input"].append(xb.reshape(len(xb), -1))
            for name in names:
                feats[name].append(activations[name].reshape(len(xb), -1))
    model.train(mode)
    return [torch.cat(feats[name]) for name in ["input"] + names]


def knn_predict(train_feats, train_labels, test_feats, k=30):
    dist = torch.cdist(test_feats.double(), train_feats.double())
    _, idx = torch.topk(dist, k, dim=1, largest=False)
    votes = torch.nn.functional.one_hot(train_labels[idx], int(train_labels.max()) + 1).sum(1)
    return torch.argmax(votes, dim=1)


def prediction_depth(probe_preds, final_pred):
    P = probe_preds.shape[0]
    disagree = probe_preds != final_pred[None, :]
    # index of the last disagreeing probe + 1 (0 if none disagree)
    idx = torch.arange(1, P + 1)[:, None].expand_as(disagree)
    return torch.where(disagree, idx, torch.zeros_like(idx)).max(0).values


def accuracy_by_depth(depths, correct, num_depths):
    counts = torch.bincount(depths, minlength=num_depths)
    hits = torch.bincount(depths, weights=correct.double(), minlength=num_depths)
    acc = torch.where(counts > 0, hits / counts.clamp(min=1), torch.tensor(float("nan"), dtype=torch.float64))
    return acc, counts
