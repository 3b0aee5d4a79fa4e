# HW10 problem 5 -- triplet loss. Distances from the Gram matrix, ||a||^2 - 2 a.b + ||b||^2,
# following the "online triplet mining" blog post (mask trick before the sqrt).
import torch


def pairwise_distances(E, squared=False):
    dot = E @ E.T                                          # (B, B)
    sq_norms = torch.diagonal(dot)                         # (B,)
    D2 = sq_norms[:, None] - 2.0 * dot + sq_norms[None, :]
    D2 = torch.clamp(D2, min=0.0)                          # rounding errors can make it < 0
    D2 = D2.masked_fill(torch.eye(E.shape[0], dtype=torch.bool), 0.0)   # exact zeros on the diagonal
    if squared:
        return D2
    zero = (D2 == 0.0).to(D2.dtype)
    D = torch.sqrt(D2 + zero * 1e-16)                      # sqrt'(0) is infinite: shift the zeros ...
    return D * (1.0 - zero)                                # ... and put them back


def _pair_masks(labels):
    same = labels[:, None] == labels[None, :]
    not_eye = ~torch.eye(labels.shape[0], dtype=torch.bool)
    return same & not_eye, ~same                           # anchor-positive, anchor-negative


def triplet_mask(labels):
    same = labels[:, None] == labels[None, :]
    not_eye = ~torch.eye(labels.shape[0], dtype=torch.bool)
    i_ne_j = not_eye[:, :, None]
    i_ne_k = not_eye[:, None, :]
    j_ne_k = not_eye[None, :, :]
    distinct = i_ne_j & i_ne_k & j_ne_k
    valid_labels = same[:, :, None] & ~same[:, None, :]
    return distinct & valid_labels


def batch_all_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    anchor_pos, anchor_neg = _pair_masks(labels)
    valid = anchor_pos[:, :, None] & anchor_neg[:, None, :]
    loss = torch.relu(D[:, :, None] - D[:, None, :] + margin) * valid
    num_positive = (loss > 0).sum().item()
    num_valid = valid.sum().item()
    fraction_positive = num_positive / max(num_valid, 1)
    return loss.sum() / max(num_positive, 1), fraction_positive


def batch_hard_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    anchor_pos, anchor_neg = _pair_masks(labels)
    hardest_pos = (D * anchor_pos).max(dim=1).values       # distances are >= 0, so masked zeros never win
    max_per_row = D.max(dim=1, keepdim=True).values
    hardest_neg = (D + max_per_row * (~anchor_neg)).min(dim=1).values   # non-negatives pushed up
    has_both = anchor_pos.any(dim=1) & anchor_neg.any(dim=1)
    if not has_both.any():
        return torch.zeros((), dtype=E.dtype)
    return (torch.relu(hardest_pos - hardest_neg) + margin)[has_both].mean()


def semi_hard_triplet_loss(labels, E, margin, squared=True):
    D = pairwise_distances(E, squared)
    anchor_pos, anchor_neg = _pair_masks(labels)
    d_ap = D[:, :, None]                                   # [a, p, -]
    d_an = D[:, None, :]                                   # [a, -, n]
    candidates = anchor_neg[:, None, :] & (d_an > d_ap)   # [a, p, n]
    big = D.max() + 1.0
    closest = torch.where(candidates, d_an, big).min(dim=2).values
    farthest = (D * anchor_neg).max(dim=1).values
    neg_dist = torch.where(candidates.any(dim=2), closest, farthest[:, None])
    pairs = anchor_pos & anchor_neg.any(dim=1)[:, None]
    if not pairs.any():
        return torch.zeros((), dtype=E.dtype)
    return torch.relu(D - neg_dist + margin)[pairs].mean()
