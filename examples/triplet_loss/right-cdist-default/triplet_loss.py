"""torch.cdist for the distances, with its default compute mode (a matrix product above 25 rows), and
vectorised mining."""
import torch


def pairwise_distances(E, squared=False):
    D = torch.cdist(E, E)
    return D.square() if squared else D


def triplet_mask(labels):
    B = labels.numel()
    idx = torch.arange(B)
    a, p, n = torch.meshgrid(idx, idx, idx, indexing="ij")
    y_a, y_p, y_n = labels[a], labels[p], labels[n]
    return (a != p) & (a != n) & (p != n) & (y_a == y_p) & (y_a != y_n)


def batch_all_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    valid = triplet_mask(labels)
    L = (D.unsqueeze(2) - D.unsqueeze(1) + margin).clamp(min=0)[valid]     # losses of the valid triplets
    positive = L[L > 0]
    loss = positive.mean() if positive.numel() else D.new_zeros(())
    fraction = D.new_tensor(positive.numel() / L.numel()) if L.numel() else D.new_zeros(())
    return loss, fraction


def batch_hard_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    same = labels[:, None] == labels[None, :]
    pos = same.fill_diagonal_(False)
    neg = labels[:, None] != labels[None, :]
    anchors = pos.any(1) & neg.any(1)
    if not anchors.any():
        return D.new_zeros(())
    hp = D.masked_fill(~pos, float("-inf")).amax(1)
    hn = D.masked_fill(~neg, float("inf")).amin(1)
    return (hp - hn + margin)[anchors].clamp(min=0).mean()


def semi_hard_triplet_loss(labels, E, margin, squared=True):
    D = pairwise_distances(E, squared)
    losses = []
    for a in range(len(labels)):
        negatives = D[a][labels != labels[a]]
        if negatives.numel() == 0:
            continue
        for p in range(len(labels)):
            if p == a or labels[p] != labels[a]:
                continue
            farther = negatives[negatives > D[a, p]]
            d_an = farther.min() if farther.numel() else negatives.max()
            losses.append((D[a, p] - d_an + margin).clamp(min=0))
    return torch.stack(losses).mean() if losses else D.new_zeros(())
