"""Triplet mining in numpy (no gradient needed to pick indices), losses in torch so they can be trained.

triplet_mask returns a numpy bool array; the losses return torch scalars.
"""
import numpy as np
import torch


def pairwise_distances(E, squared=False):
    diff = E.unsqueeze(1) - E.unsqueeze(0)                 # B x B x d
    D2 = diff.pow(2).sum(-1)
    if squared:
        return D2
    nonzero = D2 > 0
    safe = torch.where(nonzero, D2, torch.ones_like(D2))   # never take sqrt(0): its gradient is inf
    return torch.where(nonzero, safe.sqrt(), torch.zeros_like(D2))


def _label_masks(labels):
    y = np.asarray(labels)
    same = y[:, None] == y[None, :]
    not_self = ~np.eye(len(y), dtype=bool)
    return same & not_self, ~same                          # positives, negatives of each anchor


def triplet_mask(labels):
    positives, negatives = _label_masks(labels)
    # y_a != y_n already makes n differ from a and from p
    return positives[:, :, None] & negatives[:, None, :]


def batch_all_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared=True)      # eq. 3 of FaceNet is in squared distances
    a, p, n = np.nonzero(triplet_mask(labels))
    losses = torch.relu(D[a, p] - D[a, n] + margin)
    hard = losses > 0
    if not bool(hard.any()):
        return torch.zeros((), dtype=E.dtype), 0.0
    return losses[hard].mean(), float(hard.sum()) / len(a)


def batch_hard_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    Dn = D.detach().numpy()
    positives, negatives = _label_masks(labels)
    anchors = np.flatnonzero(positives.any(1) & negatives.any(1))
    if len(anchors) == 0:
        return torch.zeros((), dtype=E.dtype)
    p = np.where(positives, Dn, -np.inf).argmax(1)[anchors]
    n = np.where(negatives, Dn, np.inf).argmin(1)[anchors]
    return torch.relu(D[anchors, p] - D[anchors, n] + margin).mean()


def semi_hard_triplet_loss(labels, E, margin, squared=True):
    D = pairwise_distances(E, squared)
    Dn = D.detach().numpy()
    positives, negatives = _label_masks(labels)
    a, p = np.nonzero(positives & negatives.any(1)[:, None])
    if len(a) == 0:
        return torch.zeros((), dtype=E.dtype)
    d_ap = Dn[a, p][:, None]                               # pairs x 1
    d_an = Dn[a]                                           # pairs x B
    neg = negatives[a]                                     # pairs x B
    semi_hard = neg & (d_an > d_ap)
    closest = np.where(semi_hard, d_an, np.inf).argmin(1)
    farthest = np.where(neg, d_an, -np.inf).argmax(1)
    n = np.where(semi_hard.any(1), closest, farthest)
    return torch.relu(D[a, p] - D[a, n] + margin).mean()
