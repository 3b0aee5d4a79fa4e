# RIGHT (for the example class): the k-NN probe is scikit-learn's KNeighborsClassifier itself (uniform weights,
# Euclidean); depth with a reversed cumulative product; accuracy with a masked division.
import numpy as np
import torch
from sklearn.neighbors import KNeighborsClassifier


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
    clf = KNeighborsClassifier(n_neighbors=k, weights="uniform", metric="euclidean")
    clf.fit(np.asarray(train_feats, dtype=np.float64), np.asarray(train_labels))
    return clf.predict(np.asarray(test_feats, dtype=np.float64))


def prediction_depth(probe_preds, final_pred):
    agree = torch.as_tensor(probe_preds) == torch.as_tensor(final_pred).unsqueeze(0)
    P = agree.shape[0]
    # trailing run of agreements, from the last probe backwards
    settled = torch.cumprod(agree.flip(0).int(), dim=0).sum(dim=0)
    return P - settled


def accuracy_by_depth(depths, correct, num_depths):
    depths = torch.as_tensor(depths)
    correct = torch.as_tensor(correct).double()
    counts = torch.zeros(num_depths, dtype=torch.long).index_add_(0, depths, torch.ones_like(depths))
    hits = torch.zeros(num_depths, dtype=torch.float64).index_add_(0, depths, correct)
    acc = torch.full((num_depths,), float("nan"), dtype=torch.float64)
    seen = counts > 0
    acc[seen] = hits[seen] / counts[seen]
    return acc, counts
