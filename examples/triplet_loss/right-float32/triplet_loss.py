"""FaceNet triplet losses computed in float32, as they would be on a GPU (E = E.float() first)."""
import torch


def pairwise_distances(E, squared=False):
    E = E.float()
    diff = E.unsqueeze(1) - E.unsqueeze(0)
    d2 = diff.pow(2).sum(-1)
    if squared:
        return d2
    zero = d2 == 0
    return torch.where(zero, torch.zeros_like(d2), torch.sqrt(torch.where(zero, torch.ones_like(d2), d2)))


def triplet_mask(labels):
    n = labels.shape[0]
    distinct = ~torch.eye(n, dtype=torch.bool)
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    return (distinct.unsqueeze(2) & distinct.unsqueeze(1) & distinct.unsqueeze(0)
            & same.unsqueeze(2) & ~same.unsqueeze(1))


def batch_all_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    valid = triplet_mask(labels).float()
    losses = torch.relu(D.unsqueeze(2) - D.unsqueeze(1) + margin) * valid
    positive = (losses > 0).float().sum()
    loss = losses.sum() / positive if positive > 0 else losses.sum() * 0
    fraction = positive / valid.sum() if valid.sum() > 0 else positive * 0
    return loss, fraction


def _pairs(labels):
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    return same & ~torch.eye(labels.shape[0], dtype=torch.bool), ~same


def batch_hard_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    pos, neg = _pairs(labels)
    hardest_pos = torch.where(pos, D, torch.full_like(D, -float("inf"))).max(1).values
    hardest_neg = torch.where(neg, D, torch.full_like(D, float("inf"))).min(1).values
    keep = pos.any(1) & neg.any(1)
    if not keep.any():
        return torch.zeros((), dtype=torch.float32)
    return torch.relu(hardest_pos[keep] - hardest_neg[keep] + margin).mean()


def semi_hard_triplet_loss(labels, E, margin, squared=True):
    D = pairwise_distances(E, squared)
    pos, neg = _pairs(labels)
    d_ap, d_an = D.unsqueeze(2), D.unsqueeze(1)
    semi = neg.unsqueeze(1) & (d_an > d_ap)
    closest = torch.where(semi, d_an, torch.full_like(d_an, float("inf"))).min(2).values
    farthest = torch.where(neg, D, torch.full_like(D, -float("inf"))).max(1).values
    d_neg = torch.where(semi.any(2), closest, farthest.unsqueeze(1))
    pairs = pos & neg.any(1).unsqueeze(1)
    if not pairs.any():
        return torch.zeros((), dtype=torch.float32)
    return torch.relu(D - d_neg + margin)[pairs].mean()
