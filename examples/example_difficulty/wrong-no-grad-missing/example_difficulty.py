# MISTAKE (for the example class): no torch.no_grad() and no .detach(): every stored activation carries the
# autograd graph (requires_grad=True), so memory grows with each batch.
import torch


def collect_activations(model, x, batch_size=256):
    children = list(model.children())
    buffer = [None] * len(children)

    def save(j):
        def fn(module, inp, out):
            buffer[j] = out.flatten(1).clone()
        return fn

    handles = [c.register_forward_hook(save(j)) for j, c in enumerate(children)]
    was_training = model.training
    model.eval()
    result = [[] for _ in range(len(children) + 1)]
    try:
        for start in range(0, len(x), batch_size):
            xb = x[start:start + batch_size]
            model(xb)
            result[0].append(xb.flatten(1))
            for j in range(len(children)):
                result[j + 1].append(buffer[j])
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return [torch.cat(r) for r in result]


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
    counts = torch.bincount(depths, minlength=num_depths)
    hits = torch.bincount(depths, weights=correct.double(), minlength=num_depths)
    accuracy = hits / counts
    return torch.where(counts > 0, accuracy, torch.full_like(accuracy, float("nan"))), counts
