"""Homework 10, problem 5. batch_hard_triplet_loss reduces like pytorch-metric-learning's AvgNonZeroReducer:
the mean over the anchors whose loss is positive.

Distances as sums of squared differences; the square root is masked at 0 so gradients stay finite.
"""
import torch

__all__ = ["pairwise_distances", "triplet_mask", "batch_all_triplet_loss", "batch_hard_triplet_loss",
           "semi_hard_triplet_loss"]


def pairwise_distances(E, squared=False):
    """d(a, b) = ||E_a - E_b|| for all rows (||E_a - E_b||^2 when squared). E: (B, d) -> (B, B).

    Non-negative and exactly 0 on the diagonal, because it is a sum of squared differences. The square root
    has an infinite derivative at 0 and autograd turns 0 * inf into NaN, so entries equal to 0 (the diagonal,
    coincident embeddings) take the root of 1 and are set back to 0 (Moindrot's masking, without an epsilon):
    their gradient is 0, and every gradient is finite.
    """
    _check_embeddings(E)
    diff = E[:, None, :] - E[None, :, :]                           # (B, B, d): E_a - E_b
    D2 = (diff * diff).sum(-1)                                     # (B, B): ||E_a - E_b||^2
    if squared:
        return D2
    zero = D2 == 0                                                 # (B, B)
    return torch.where(zero, 0.0, torch.sqrt(torch.where(zero, 1.0, D2)))   # (B, B)


def triplet_mask(labels):
    """Valid triplets [a, p, n]: a, p, n distinct, y_a == y_p, y_a != y_n. labels: (B,) -> bool (B, B, B)."""
    _check_labels(labels)
    distinct = ~torch.eye(labels.shape[0], dtype=torch.bool, device=labels.device)   # (B, B): i != j
    same = labels[:, None] == labels[None, :]                      # (B, B): y_i == y_j
    a_ne_p, a_ne_n, p_ne_n = distinct[:, :, None], distinct[:, None, :], distinct[None, :, :]
    return a_ne_p & a_ne_n & p_ne_n & same[:, :, None] & ~same[:, None, :]            # (B, B, B)


def batch_all_triplet_loss(labels, E, margin, squared=False):
    """Batch-all mining of eq. 3. labels (B,), E (B, d) -> (loss, fraction_positive), both 0-d.

    With l_apn = [d(a, p) - d(a, n) + margin]_+ over the valid triplets (`triplet_mask`):
    loss = mean of l_apn over the triplets with l_apn > 0 (0 when there are none);
    fraction_positive = (number with l_apn > 0) / (number of valid triplets) (0 when there are none).
    """
    _check_batch(labels, E)
    D = pairwise_distances(E, squared)                             # (B, B)
    valid = triplet_mask(labels)                                   # (B, B, B)
    L = torch.relu(D[:, :, None] - D[:, None, :] + margin)         # (B, B, B): eq. 3 per triplet [a, p, n]
    L = torch.where(valid, L, 0.0)                                 # (B, B, B)
    num_positive = (L > 0).sum().to(E.dtype)                       # ()
    num_valid = valid.sum().to(E.dtype)                            # ()
    loss = L.sum() / num_positive.clamp(min=1)                     # (): 0 / 1 when no triplet has loss > 0
    fraction_positive = num_positive / num_valid.clamp(min=1)      # ()
    return loss, fraction_positive


def batch_hard_triplet_loss(labels, E, margin, squared=False):
    """Batch-hard mining of eq. 3. labels (B,), E (B, d) -> 0-d loss.

    Mean over the anchors with at least one positive and one negative of
    [max_p d(a, p) - min_n d(a, n) + margin]_+ ; 0 when no anchor has both.
    """
    _check_batch(labels, E)
    D = pairwise_distances(E, squared)                             # (B, B)
    positive, negative = _pair_masks(labels)                       # (B, B), (B, B)
    hardest_positive = torch.where(positive, D, -torch.inf).amax(1)   # (B,): max_p d(a, p), -inf if none
    hardest_negative = torch.where(negative, D, torch.inf).amin(1)    # (B,): min_n d(a, n), +inf if none
    anchors = positive.any(1) & negative.any(1)                    # (B,)
    per_anchor = torch.relu(hardest_positive - hardest_negative + margin)   # (B,): 0 where a lacks p or n
    per_anchor = torch.where(anchors, per_anchor, 0.0)             # (B,)
    active = per_anchor > 0                                        # (B,): anchors still violating the margin
    return per_anchor.sum() / active.sum().clamp(min=1)            # ()


def semi_hard_triplet_loss(labels, E, margin, squared=True):
    """Semi-hard mining (eq. 4) of eq. 3. labels (B,), E (B, d) -> 0-d loss.

    For every ordered positive pair (a, p), a != p, y_a == y_p, the negative is the closest n with
    d(a, n) > d(a, p) (strictly: eq. 4), or the farthest negative of a when there is none; pairs whose
    anchor has no negative are left out. Loss: mean over the remaining pairs of
    [d(a, p) - d(a, n) + margin]_+ ; 0 when none remain.
    """
    _check_batch(labels, E)
    D = pairwise_distances(E, squared)                             # (B, B)
    positive, negative = _pair_masks(labels)                       # (B, B), (B, B)
    d_ap, d_an = D[:, :, None], D[:, None, :]                      # (B, B, 1) [a, p, .], (B, 1, B) [a, ., n]
    semi_hard = negative[:, None, :] & (d_an > d_ap)               # (B, B, B) [a, p, n]: eq. 4
    closest_semi_hard = torch.where(semi_hard, d_an, torch.inf).amin(2)   # (B, B) [a, p]
    farthest = torch.where(negative, D, -torch.inf).amax(1)        # (B,): -inf where a has no negative
    d_neg = torch.where(semi_hard.any(2), closest_semi_hard, farthest[:, None])   # (B, B) [a, p]
    pairs = positive & negative.any(1)[:, None]                    # (B, B)
    per_pair = torch.where(pairs, torch.relu(D - d_neg + margin), 0.0)   # (B, B)
    return per_pair.sum() / pairs.sum().clamp(min=1)               # ()


def _pair_masks(labels):
    """Anchor-positive pairs (y_a == y_p, a != p) and anchor-negative pairs (y_a != y_n). (B,) -> 2 x (B, B)."""
    same = labels[:, None] == labels[None, :]                      # (B, B)
    distinct = ~torch.eye(labels.shape[0], dtype=torch.bool, device=labels.device)   # (B, B)
    return same & distinct, ~same


def _check_embeddings(E):
    if E.dim() != 2:
        raise ValueError(f"E must be (B, d); got shape {tuple(E.shape)}")


def _check_labels(labels):
    if labels.dim() != 1:
        raise ValueError(f"labels must be (B,); got shape {tuple(labels.shape)}")


def _check_batch(labels, E):
    _check_embeddings(E)
    _check_labels(labels)
    if labels.shape[0] != E.shape[0]:
        raise ValueError(f"labels {tuple(labels.shape)} and E {tuple(E.shape)} differ in B")
