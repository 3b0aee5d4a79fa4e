# MISTAKE (for the example class): ignores batch_size and runs the whole of x through the model in one forward
# pass (fine for 20 images, out of memory for the real test set).
import torch


def collect_activations(model, x, batch_size=256):
    feats = []
    hooks = []
    for layer in model.children():
        hooks.append(layer.register_forward_hook(
            lambda module, inp, out: feats.append(out.detach().flatten(1).clone())))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x)   # batch_size not needed, the test set is small
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return [x.flatten(1)] + feats


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
