# RIGHT (for the example class): numpy everywhere after the forward pass. collect_activations returns numpy
# arrays; k-NN, depth and accuracy take whatever arrives (tensors) through np.asarray and return ndarrays.
import numpy as np
import torch


def collect_activations(model, x, batch_size=256):
    """Returns [x, out(conv1), out(bn1), ..., out(fc)] as (n, d) numpy arrays."""
    modules = list(model.children())
    batch_out = [None] * len(modules)

    def hook_for(i):
        def hook(_module, _inp, out):
            batch_out[i] = out.detach().cpu().numpy().reshape(out.shape[0], -1).copy()   # copy: relu is in-place
        return hook

    handles = [mod.register_forward_hook(hook_for(i)) for i, mod in enumerate(modules)]
    saved_modes = [(m, m.training) for m in model.modules()]
    columns = [[] for _ in range(len(modules) + 1)]
    try:
        model.eval()
        with torch.no_grad():
            for lo in range(0, x.shape[0], batch_size):
                xb = x[lo:lo + batch_size]
                model(xb)
                columns[0].append(xb.detach().cpu().numpy().reshape(xb.shape[0], -1).copy())
                for i in range(len(modules)):
                    columns[i + 1].append(batch_out[i])
    finally:
        for h in handles:
            h.remove()
        for m, mode in saved_modes:
            m.train(mode)
    return [np.concatenate(c, axis=0) for c in columns]


def knn_predict(train_feats, train_labels, test_feats, k=30):
    A = np.asarray(test_feats, dtype=np.float64)
    B = np.asarray(train_feats, dtype=np.float64)
    y = np.asarray(train_labels).astype(np.int64)
    d2 = np.sum((A[:, None, :] - B[None, :, :]) ** 2, axis=-1)
    nn = np.argsort(d2, axis=1, kind="stable")[:, :k]
    n_classes = int(y.max()) + 1
    votes = np.zeros((A.shape[0], n_classes), dtype=np.int64)
    np.add.at(votes, (np.arange(A.shape[0])[:, None], y[nn]), 1)
    return votes.argmax(axis=1)          # np.argmax -> first max -> smallest label wins a tie


def prediction_depth(probe_preds, final_pred):
    preds = np.asarray(probe_preds)
    final = np.asarray(final_pred)
    P = preds.shape[0]
    disagree = preds != final[None, :]
    # position of the last disagreement counted from the end
    from_end = np.argmax(disagree[::-1], axis=0)
    return np.where(disagree.any(axis=0), P - from_end, 0).astype(np.int64)


def accuracy_by_depth(depths, correct, num_depths):
    d = np.asarray(depths).astype(np.int64)
    c = np.asarray(correct).astype(np.float64)
    counts = np.bincount(d, minlength=num_depths)[:num_depths]
    hits = np.bincount(d, weights=c, minlength=num_depths)[:num_depths]
    acc = np.full(num_depths, np.nan)
    np.divide(hits, counts, out=acc, where=counts > 0)
    return acc, counts
