"""Triplet losses with an epsilon before the square root, sqrt(d^2 + 1e-6), a common way to keep the gradient
finite at 0. Everything else is right. d(a, a) becomes 1e-3, not 0."""
import torch

EPS = 1e-6


def pairwise_distances(E, squared=False):
    dot = E @ E.T
    sq = torch.diagonal(dot)
    d2 = torch.clamp(sq.unsqueeze(0) - 2.0 * dot + sq.unsqueeze(1), min=0.0)
    if squared:
        return d2
    return torch.sqrt(d2 + 1e-6)


def triplet_mask(labels):
    not_eye = ~torch.eye(len(labels), dtype=torch.bool)
    distinct = not_eye[:, :, None] & not_eye[:, None, :] & not_eye[None, :, :]
    eq = labels[None, :] == labels[:, None]
    return distinct & (eq[:, :, None] & ~eq[:, None, :])


def batch_all_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    mask = triplet_mask(labels).to(D.dtype)
    loss = torch.clamp(D[:, :, None] - D[:, None, :] + margin, min=0.0) * mask
    num_positive = (loss > 1e-16).to(D.dtype).sum()
    return loss.sum() / (num_positive + EPS), num_positive / (mask.sum() + EPS)


def batch_hard_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    eq = labels[None, :] == labels[:, None]
    pos = (eq & ~torch.eye(len(labels), dtype=torch.bool)).to(D.dtype)
    neg = (~eq).to(D.dtype)
    hardest_pos = (D * pos).max(1).values                            # distances are >= 0
    hardest_neg = (D + D.max() * (1.0 - neg) + 1.0 * (1.0 - neg)).min(1).values
    valid = pos.max(1).values * neg.max(1).values
    per_anchor = torch.clamp(hardest_pos - hardest_neg + margin, min=0.0) * valid
    return per_anchor.sum() / (valid.sum() + EPS)


def semi_hard_triplet_loss(labels, E, margin, squared=True):
    D = pairwise_distances(E, squared)
    eq = labels[None, :] == labels[:, None]
    pos = eq & ~torch.eye(len(labels), dtype=torch.bool)
    neg = ~eq
    d_ap, d_an = D[:, :, None], D[:, None, :]
    semi = neg[:, None, :] & (d_an > d_ap)
    closest = torch.where(semi, d_an, torch.full_like(d_an, float("inf"))).amin(2)
    farthest = torch.where(neg, D, torch.full_like(D, -float("inf"))).amax(1, keepdim=True)
    d_neg = torch.where(semi.any(2), closest, farthest)
    pairs = (pos & neg.any(1, keepdim=True)).to(D.dtype)
    per_pair = torch.clamp(D - torch.where(pairs > 0, d_neg, D) + margin, min=0.0) * pairs
    return per_pair.sum() / (pairs.sum() + EPS)
