"""Known wrong answers to problem 5 (FaceNet and online triplet mining), each written as a student would.

Every function has the signature of the reference function it imitates and makes one mistake. The suite
names a mistake in its feedback when a submission's values match it on every input of a check (or, for the
two distance mistakes that only show in gradients and near coincident rows, when the submission shows the
same symptom). Several of them are also example submissions (`examples/triplet_loss/wrong-*`).
"""
from __future__ import annotations

import torch

from .triplet_loss import pairwise_distances, triplet_mask


def _masks(labels):
    same = labels[:, None] == labels[None, :]
    not_self = ~torch.eye(labels.shape[0], dtype=torch.bool)
    return same & not_self, ~same                                  # anchor-positive, anchor-negative


def _gram_squared(E):
    dot = E @ E.T
    sq = torch.diagonal(dot)
    return sq[:, None] - 2.0 * dot + sq[None, :]


# ------------------------------------------------------------------------------------------ pairwise_distances
def pairwise_distances_sqrt_of_zero(E, squared=False):
    """sqrt of the squared distances as they are: right values, but sqrt'(0) = inf on the diagonal."""
    diff = E[:, None, :] - E[None, :, :]
    D2 = (diff * diff).sum(-1)
    return D2 if squared else torch.sqrt(D2)


def pairwise_distances_unclamped(E, squared=False):
    """||a||^2 - 2ab + ||b||^2 without clamping at 0: rounding makes near-zero entries negative."""
    D2 = _gram_squared(E).masked_fill(torch.eye(E.shape[0], dtype=torch.bool), 0.0)
    if squared:
        return D2
    zero = (D2 == 0.0).to(D2.dtype)
    return torch.sqrt(D2 + zero * 1e-16) * (1.0 - zero)


def pairwise_distances_without_sqrt(E, squared=False):
    """Returns squared distances even when squared=False."""
    return pairwise_distances(E, squared=True)


def pairwise_distances_ignoring_squared(E, squared=False):
    """Returns Euclidean distances even when squared=True."""
    return pairwise_distances(E, squared=False)


# ------------------------------------------------------------------------------------------ triplet_mask
def triplet_mask_allowing_anchor_as_positive(labels):
    """Checks a != n and p != n, but forgets a != p."""
    same = labels[:, None] == labels[None, :]
    not_eye = ~torch.eye(labels.shape[0], dtype=torch.bool)
    return not_eye[:, None, :] & not_eye[None, :, :] & same[:, :, None] & ~same[:, None, :]


def triplet_mask_indexed_a_n_p(labels):
    """The right triplets, stored at [a, n, p] instead of [a, p, n]."""
    return triplet_mask(labels).transpose(1, 2)


# ------------------------------------------------------------------------------------------ batch_all
def _batch_all_terms(labels, E, margin, squared):
    D = pairwise_distances(E, squared)
    valid = triplet_mask(labels)
    L = torch.relu(D[:, :, None] - D[:, None, :] + margin) * valid
    return L, valid


def batch_all_mean_over_valid(labels, E, margin, squared=False):
    """Divides by the number of valid triplets instead of the number with positive loss."""
    L, valid = _batch_all_terms(labels, E, margin, squared)
    n_valid = valid.sum().clamp(min=1)
    return L.sum() / n_valid, (L > 0).sum() / n_valid


def batch_all_summed(labels, E, margin, squared=False):
    """Eq. 3's sum, not the mean over the positive triplets."""
    L, valid = _batch_all_terms(labels, E, margin, squared)
    return L.sum(), (L > 0).sum() / valid.sum().clamp(min=1)


def batch_all_fraction_over_all_index_triplets(labels, E, margin, squared=False):
    """fraction_positive as (L > 0).mean() over the whole (B, B, B) tensor, invalid triplets included."""
    L, _ = _batch_all_terms(labels, E, margin, squared)
    positive = L > 0
    return L.sum() / positive.sum().clamp(min=1), positive.double().mean()


# ------------------------------------------------------------------------------------------ batch_hard
def _batch_hard(labels, E, margin, squared, hardest_negative):
    D = pairwise_distances(E, squared)
    pos, neg = _masks(labels)
    hardest_pos = torch.where(pos, D, -torch.inf).amax(1)
    anchors = pos.any(1) & neg.any(1)
    if not anchors.any():
        return torch.zeros((), dtype=E.dtype)
    return torch.relu(hardest_pos - hardest_negative(D, neg) + margin)[anchors].mean()


def batch_hard_farthest_negative(labels, E, margin, squared=False):
    """The hardest negative taken as the farthest one (max) instead of the closest one (min)."""
    return _batch_hard(labels, E, margin, squared, lambda D, neg: torch.where(neg, D, -torch.inf).amax(1))


def batch_hard_masked_zeros(labels, E, margin, squared=False):
    """min over D * negative_mask: the zeros of the masked-out entries win, so d(a, n) is always 0."""
    return _batch_hard(labels, E, margin, squared, lambda D, neg: (D * neg).min(1).values)


def batch_hard_closest_positive(labels, E, margin, squared=False):
    """The hardest positive taken as the closest one (min) instead of the farthest one (max)."""
    D = pairwise_distances(E, squared)
    pos, neg = _masks(labels)
    anchors = pos.any(1) & neg.any(1)
    if not anchors.any():
        return torch.zeros((), dtype=E.dtype)
    closest_pos = torch.where(pos, D, torch.inf).amin(1)
    hardest_neg = torch.where(neg, D, torch.inf).amin(1)
    return torch.relu(closest_pos - hardest_neg + margin)[anchors].mean()


def batch_hard_mean_over_all_anchors(labels, E, margin, squared=False):
    """As in Moindrot's blog: masked max and shifted min, then the mean over all B anchors, so an anchor
    without a positive still adds [0 - min_n d(a, n) + margin]_+ and counts in the mean."""
    D = pairwise_distances(E, squared)
    pos, neg = _masks(labels)
    hardest_pos = (D * pos).amax(1)
    max_per_row = D.amax(1, keepdim=True)
    hardest_neg = (D + max_per_row * (~neg)).amin(1)
    return torch.relu(hardest_pos - hardest_neg + margin).mean()


# ------------------------------------------------------------------------------------------ semi_hard
def _semi_hard(labels, E, margin, squared, candidate, fallback=True):
    D = pairwise_distances(E, squared)
    pos, neg = _masks(labels)
    d_ap, d_an = D[:, :, None], D[:, None, :]
    candidates = neg[:, None, :] & candidate(d_ap, d_an, margin)
    closest = torch.where(candidates, d_an, torch.inf).amin(2)
    farthest = torch.where(neg, D, -torch.inf).amax(1)
    d_neg = torch.where(candidates.any(2), closest, farthest[:, None]) if fallback else closest
    pairs = pos & neg.any(1)[:, None]
    per_pair = torch.where(pairs, torch.relu(D - d_neg + margin), 0.0)
    return per_pair.sum() / pairs.sum().clamp(min=1)


def semi_hard_without_fallback(labels, E, margin, squared=True):
    """No farthest-negative fallback: a pair without a semi-hard negative adds 0 but still counts."""
    return _semi_hard(labels, E, margin, squared, lambda d_ap, d_an, m: d_an > d_ap, fallback=False)


def semi_hard_beyond_margin(labels, E, margin, squared=True):
    """Candidates d(a, n) >= d(a, p) + margin (the easy negatives) instead of d(a, n) > d(a, p)."""
    return _semi_hard(labels, E, margin, squared, lambda d_ap, d_an, m: d_an >= d_ap + m)


def semi_hard_closest_negative(labels, E, margin, squared=True):
    """The closest negative of the anchor whatever d(a, p): the hardest negative, not a semi-hard one."""
    return _semi_hard(labels, E, margin, squared, lambda d_ap, d_an, m: torch.ones_like(d_ap * d_an, dtype=torch.bool))


def semi_hard_not_strict(labels, E, margin, squared=True):
    """Candidates d(a, n) >= d(a, p): a negative exactly as far as the positive counts as semi-hard."""
    return _semi_hard(labels, E, margin, squared, lambda d_ap, d_an, m: d_an >= d_ap)


def semi_hard_default_not_squared(labels, E, margin, squared=False):
    """Right, but with squared=False as the default (FaceNet and the spec use squared distances)."""
    return _semi_hard(labels, E, margin, squared, lambda d_ap, d_an, m: d_an > d_ap)
