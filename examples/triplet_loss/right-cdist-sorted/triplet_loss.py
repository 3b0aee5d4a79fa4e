"""FaceNet triplet losses with torch.cdist distances and a sort-based semi-hard search."""
import torch


def pairwise_distances(E, squared=False):
    # the direct (non-matmul) mode computes sqrt(sum (a - b)^2), so the diagonal is exactly 0
    D = torch.cdist(E, E, p=2.0, compute_mode="donot_use_mm_for_euclid_dist")
    D = D.masked_fill(torch.eye(E.shape[0], dtype=torch.bool), 0.0)
    return D * D if squared else D


def triplet_mask(labels):
    B = labels.shape[0]
    idx = torch.arange(B)
    a, p, n = torch.meshgrid(idx, idx, idx, indexing="ij")
    ya, yp, yn = labels[a], labels[p], labels[n]
    return (a != p) & (a != n) & (p != n) & (ya == yp) & (ya != yn)


def batch_all_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    mask = triplet_mask(labels)
    per_triplet = torch.relu(D.unsqueeze(2) - D.unsqueeze(1) + margin)[mask]   # 1-D, one per valid triplet
    positive = per_triplet > 0
    n_pos = int(positive.sum())
    loss = per_triplet[positive].sum() / n_pos if n_pos else torch.zeros((), dtype=E.dtype)
    frac = n_pos / per_triplet.numel() if per_triplet.numel() else 0.0
    return loss, torch.tensor(frac, dtype=E.dtype)


def batch_hard_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    pos = same.clone()
    pos.fill_diagonal_(False)
    neg = ~same
    big = D.detach().max() + 1.0
    hardest_pos = torch.where(pos, D, -big).max(1).values
    hardest_neg = torch.where(neg, D, big).min(1).values
    keep = pos.any(1) & neg.any(1)
    if keep.sum() == 0:
        return torch.zeros((), dtype=E.dtype)
    return torch.clamp(hardest_pos - hardest_neg + margin, min=0)[keep].mean()


def semi_hard_triplet_loss(labels, E, margin, squared=True):
    D = pairwise_distances(E, squared)
    B = labels.shape[0]
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    pos = same & ~torch.eye(B, dtype=torch.bool)
    neg = ~same
    n_neg = neg.sum(1)                                             # negatives per anchor
    # each anchor's negative distances in increasing order, +inf after the last one
    sorted_neg = torch.where(neg, D, torch.inf).sort(dim=1).values
    # first sorted negative strictly beyond d(a, p); == n_neg[a] when there is none
    first_beyond = torch.searchsorted(sorted_neg, D.detach().contiguous(), right=True)
    has_beyond = first_beyond < n_neg[:, None]
    idx = torch.where(has_beyond, first_beyond, (n_neg - 1).clamp(min=0)[:, None])   # else the farthest
    d_neg = torch.gather(sorted_neg, 1, idx)
    pairs = pos & (n_neg > 0)[:, None]
    if not pairs.any():
        return torch.zeros((), dtype=E.dtype)
    return torch.relu(D - d_neg + margin)[pairs].mean()
