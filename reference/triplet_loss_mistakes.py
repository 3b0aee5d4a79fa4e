"""Known wrong answers to problem 5 (FaceNet and online triplet mining), each written as a student would.

Every function has the signature of the reference function it imitates and makes one mistake. The suite
names a mistake in its feedback when a submission's values match it on every input of a check (or, for the
two distance mistakes that only show in gradients and near coincident rows, when the submission shows the
same symptom). Several of them are also example submissions (`examples/triplet_loss/wrong-*`).
"""
from __future__ import annotations

import torch

from .conventions import Convention
from .triplet_loss import (batch_all_triplet_loss, batch_hard_triplet_loss, pairwise_distances, semi_hard_triplet_loss,
                           triplet_mask)


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


def batch_all_margin_outside_hinge(labels, E, margin, squared=False):
    """[d(a, p) - d(a, n)]_+ + margin: the margin added after the hinge, so every valid triplet has loss >= margin
    (and counts as positive)."""
    D = pairwise_distances(E, squared)
    valid = triplet_mask(labels)
    L = (torch.relu(D[:, :, None] - D[:, None, :]) + margin) * valid
    num_positive = (L > 0).sum()
    return L.sum() / num_positive.clamp(min=1), num_positive / valid.sum().clamp(min=1)


def batch_all_always_squared(labels, E, margin, squared=False):
    """Squared distances whatever `squared` says (FaceNet's eq. 3 hard-coded)."""
    return batch_all_triplet_loss(labels, E, margin, squared=True)


def batch_all_always_euclidean(labels, E, margin, squared=False):
    """Euclidean distances whatever `squared` says."""
    return batch_all_triplet_loss(labels, E, margin, squared=False)


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


def batch_hard_margin_outside_hinge(labels, E, margin, squared=False):
    """relu(max_p d(a, p) - min_n d(a, n)) + margin: every anchor is charged the margin, satisfied or not."""
    D = pairwise_distances(E, squared)
    pos, neg = _masks(labels)
    anchors = pos.any(1) & neg.any(1)
    if not anchors.any():
        return torch.zeros((), dtype=E.dtype)
    hardest = torch.where(pos, D, -torch.inf).amax(1) - torch.where(neg, D, torch.inf).amin(1)
    return (torch.relu(hardest) + margin)[anchors].mean()


def batch_hard_always_squared(labels, E, margin, squared=False):
    """Squared distances whatever `squared` says."""
    return batch_hard_triplet_loss(labels, E, margin, squared=True)


def batch_hard_always_euclidean(labels, E, margin, squared=False):
    """Euclidean distances whatever `squared` says."""
    return batch_hard_triplet_loss(labels, E, margin, squared=False)


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


def semi_hard_margin_outside_hinge(labels, E, margin, squared=True):
    """The right negatives, but [d(a, p) - d(a, n)]_+ + margin: every pair is charged the margin."""
    D = pairwise_distances(E, squared)
    pos, neg = _masks(labels)
    d_ap, d_an = D[:, :, None], D[:, None, :]
    semi_hard = neg[:, None, :] & (d_an > d_ap)
    closest = torch.where(semi_hard, d_an, torch.inf).amin(2)
    farthest = torch.where(neg, D, -torch.inf).amax(1)
    d_neg = torch.where(semi_hard.any(2), closest, farthest[:, None])
    pairs = pos & neg.any(1)[:, None]
    per_pair = torch.where(pairs, torch.relu(D - d_neg) + margin, 0.0)
    return per_pair.sum() / pairs.sum().clamp(min=1)


def semi_hard_always_squared(labels, E, margin, squared=True):
    """Squared distances whatever `squared` says (tf.contrib's triplet_semihard_loss has no option)."""
    return semi_hard_triplet_loss(labels, E, margin, squared=True)


def semi_hard_always_euclidean(labels, E, margin, squared=True):
    """Euclidean distances whatever `squared` says."""
    return semi_hard_triplet_loss(labels, E, margin, squared=False)


# ------------------------------------------------------------------------------------------ conventions of the field
# Each is written the way widely used code writes it; the catalogue at the end says what the grader must report.
def pairwise_distances_cdist(E, squared=False):
    """torch.cdist: above 25 rows it switches to the ||a||^2 - 2ab + ||b||^2 path, whose diagonal is ~1e-8
    (rounding noise, which the grader accepts)."""
    D = torch.cdist(E, E)                                                    # (B, B)
    return D * D if squared else D


def pairwise_distances_sqrt_with_epsilon(E, squared=False):
    """sqrt(D^2 + 1e-8) everywhere, to keep the gradient finite: d(a, a) becomes 1e-4."""
    D2 = pairwise_distances(E, squared=True)
    return D2 if squared else torch.sqrt(D2 + 1e-8)


def pairwise_distances_of_normalised_embeddings(E, squared=False):
    """L2-normalises the rows first (FaceNet trains on the unit hypersphere), so unnormalised E gets other distances."""
    return pairwise_distances(torch.nn.functional.normalize(E, dim=1), squared)


def pairwise_distances_masked_epsilon(E, squared=False):
    """Moindrot's guard: 1e-16 added where the squared distance is exactly 0, then those entries zeroed again."""
    D2 = _gram_squared(E).clamp(min=0.0)
    D2 = D2 * ~torch.eye(E.shape[0], dtype=torch.bool)
    if squared:
        return D2
    zero = (D2 == 0.0).to(D2.dtype)
    return torch.sqrt(D2 + zero * 1e-16) * (1.0 - zero)


def batch_all_with_epsilons(labels, E, margin, squared=False):
    """Moindrot's batch-all: a triplet counts as positive when its loss exceeds 1e-16; divisions get + 1e-16."""
    L, valid = _batch_all_terms(labels, E, margin, squared)
    num_positive = (L > 1e-16).sum().to(E.dtype)
    return L.sum() / (num_positive + 1e-16), num_positive / (valid.sum().to(E.dtype) + 1e-16)


def batch_hard_mean_over_positive_anchors(labels, E, margin, squared=False):
    """An "average non-zero" reducer (pytorch-metric-learning's default for triplet losses): the mean runs over
    the anchors whose hardest triplet has a positive loss, not over every anchor with a positive and a negative."""
    D = pairwise_distances(E, squared)
    pos, neg = _masks(labels)
    hardest = torch.where(pos, D, -torch.inf).amax(1) - torch.where(neg, D, torch.inf).amin(1)
    per_anchor = torch.relu(hardest + margin)[pos.any(1) & neg.any(1)]     # (anchors,)
    positive = per_anchor > 0
    return per_anchor.sum() / positive.sum().clamp(min=1)


def batch_hard_with_large_constants(labels, E, margin, squared=False):
    """Masks by adding the row maximum (Moindrot) and -1e9 / +1e9 fillers instead of -inf / +inf: right."""
    D = pairwise_distances(E, squared)
    pos, neg = _masks(labels)
    hardest_pos = (D * pos - 1e9 * ~pos).amax(1)
    hardest_neg = (D + 1e9 * ~neg).amin(1)
    anchors = pos.any(1) & neg.any(1)
    per_anchor = torch.relu(hardest_pos - hardest_neg + margin) * anchors
    return per_anchor.sum() / anchors.sum().clamp(min=1)


def semi_hard_dropping_pairs_without_semi_hard(labels, E, margin, squared=True):
    """No fallback: pairs with no negative farther than the positive are skipped (left out of the mean)."""
    D = pairwise_distances(E, squared)
    pos, neg = _masks(labels)
    candidates = neg[:, None, :] & (D[:, None, :] > D[:, :, None])          # (B, B, B) [a, p, n]
    closest = torch.where(candidates, D[:, None, :], torch.inf).amin(2)     # (B, B)
    pairs = pos & candidates.any(2)
    per_pair = torch.where(pairs, torch.relu(D - closest + margin), 0.0)
    return per_pair.sum() / pairs.sum().clamp(min=1)


def semi_hard_random_negative(labels, E, margin, squared=True):
    """A random semi-hard negative (d(a, p) < d(a, n) < d(a, p) + margin, as in FaceNet's own mining and
    siamese-triplet's selector) instead of the closest one; the spec's fallback where there is none."""
    D = pairwise_distances(E, squared)
    pos, neg = _masks(labels)
    d_ap, d_an = D[:, :, None], D[:, None, :]
    in_margin = neg[:, None, :] & (d_an > d_ap) & (d_an < d_ap + margin)    # (B, B, B)
    scores = torch.where(in_margin, torch.rand(in_margin.shape, dtype=D.dtype), -1.0)
    drawn = torch.gather(D[:, None, :].expand_as(scores), 2, scores.argmax(2, keepdim=True))[..., 0]   # (B, B)
    closest = torch.where(neg[:, None, :] & (d_an > d_ap), d_an, torch.inf).amin(2)
    farthest = torch.where(neg, D, -torch.inf).amax(1)[:, None].expand_as(closest)
    d_neg = torch.where(in_margin.any(2), drawn, torch.where(torch.isfinite(closest), closest, farthest))
    pairs = pos & neg.any(1)[:, None]
    return torch.where(pairs, torch.relu(D - d_neg + margin), 0.0).sum() / pairs.sum().clamp(min=1)


def semi_hard_unordered_pairs(labels, E, margin, squared=True):
    """Positive pairs from itertools.combinations (a < p only, as siamese-triplet's selectors do): half the pairs,
    and the negatives of p as anchor are never mined."""
    D = pairwise_distances(E, squared)
    pos, neg = _masks(labels)
    pos = pos & torch.ones_like(pos).triu(diagonal=1)
    candidates = neg[:, None, :] & (D[:, None, :] > D[:, :, None])
    closest = torch.where(candidates, D[:, None, :], torch.inf).amin(2)
    farthest = torch.where(neg, D, -torch.inf).amax(1)
    d_neg = torch.where(candidates.any(2), closest, farthest[:, None])
    pairs = pos & neg.any(1)[:, None]
    return torch.where(pairs, torch.relu(D - d_neg + margin), 0.0).sum() / pairs.sum().clamp(min=1)


def semi_hard_in_float32(labels, E, margin, squared=True):
    """The reference computed in float32 (embeddings from a float32 network): right."""
    from .triplet_loss import semi_hard_triplet_loss
    return semi_hard_triplet_loss(labels, E.float(), margin, squared)


# ------------------------------------------------------------------------------------------ the catalogue
def _mistake(replaces, function, question, note, feedback, source):
    return Convention(replaces, function, (question,), note, feedback, source)


def _right(replaces, function, question, source):
    return Convention(replaces, function, (question,), source=source)


DISTANCES, MINING = "pairwise_distances", ("batch_all_triplet_loss", "batch_hard_triplet_loss", "semi_hard_triplet_loss")
CONVENTIONS = (
    _right(DISTANCES, pairwise_distances_cdist, "pairwise_distances", "torch.cdist (matrix-product path above 25 rows)"),
    _mistake(DISTANCES, pairwise_distances_sqrt_with_epsilon, "pairwise_distances", "nonzero-diagonal",
             "d(a, a) = 0: an epsilon inside the square root puts sqrt(eps) on the diagonal; add it only where the "
             "squared distance is 0 and set those entries back to 0.", "sqrt(x + 1e-8) for finite gradients"),
    _mistake(DISTANCES, pairwise_distances_of_normalised_embeddings, "pairwise_distances", "normalised-embeddings",
             "pairwise_distances measures E as given; normalising the rows to unit length belongs to the model, "
             "not to the distance.", "FaceNet's unit hypersphere; F.normalize inside many triplet losses"),
    _mistake(DISTANCES, pairwise_distances_unclamped, "pairwise_distances", "negative-squared-distance",
             "The Gram form loses digits near coincident rows and goes below 0: clamp at 0 before the square root.",
             "the ||a||^2 - 2ab + ||b||^2 identity without a clamp"),
    _mistake(DISTANCES, pairwise_distances_sqrt_of_zero, "pairwise_distances", "nan-gradient-sqrt-at-zero",
             "sqrt has an infinite derivative at 0: take it only where the squared distance is positive.",
             "torch.sqrt of the squared distances as they are"),
    _right(DISTANCES, pairwise_distances_masked_epsilon, "pairwise_distances", "Moindrot's tensorflow-triplet-loss"),
    _mistake(MINING[0], batch_all_mean_over_valid, "batch_all", "averaged-over-all-valid",
             "Batch-all averages over the triplets whose loss is > 0, not over all valid triplets.",
             "a plain .mean() over the valid triplets"),
    _right(MINING[0], batch_all_with_epsilons, "batch_all", "Moindrot's tensorflow-triplet-loss"),
    _mistake(MINING[0], batch_all_always_squared, "batch_all", "ignores-squared",
             "The loss uses the distances `squared` asks for: with squared=False, d is the Euclidean distance "
             "||E_a - E_b||, not its square.", "davidsandberg/facenet's triplet_loss (squared L2 hard-coded)"),
    _mistake(MINING[1], batch_hard_mean_over_positive_anchors, "batch_hard", "averaged-over-positive-anchors",
             "Batch-hard averages over every anchor that has a positive and a negative, including those whose "
             "loss is already 0.", "pytorch-metric-learning's AvgNonZeroReducer with a batch-hard miner"),
    _mistake(MINING[1], batch_hard_mean_over_all_anchors, "batch_hard", "averaged-over-all-anchors",
             "Anchors without a positive or without a negative are left out of the mean.",
             "Moindrot's batch-hard (mean over all B anchors)"),
    _right(MINING[1], batch_hard_with_large_constants, "batch_hard", "person re-id baselines (1e9 fillers)"),
    _mistake(MINING[1], batch_hard_always_squared, "batch_hard", "ignores-squared",
             "The loss uses the distances `squared` asks for: with squared=False, d is the Euclidean distance "
             "||E_a - E_b||, not its square.", "FaceNet's squared L2 (eq. 3) hard-coded"),
    _mistake(MINING[2], semi_hard_without_fallback, "semi_hard", "no-farthest-negative-fallback",
             "A pair with no negative farther than its positive uses the anchor's farthest negative.",
             "semi-hard selection without TensorFlow Addons' fallback"),
    _mistake(MINING[2], semi_hard_dropping_pairs_without_semi_hard, "semi_hard", "no-farthest-negative-fallback",
             "A pair with no negative farther than its positive uses the anchor's farthest negative; it is not "
             "dropped.", "siamese-triplet's selectors (pairs without a semi-hard negative are skipped)"),
    _mistake(MINING[2], semi_hard_random_negative, "semi_hard", "random-semi-hard-negative",
             "The spec takes the closest negative farther than the positive, not a random semi-hard one.",
             "FaceNet's own mining; siamese-triplet's semihard_negative"),
    _mistake(MINING[2], semi_hard_unordered_pairs, "semi_hard", "unordered-positive-pairs",
             "Every ordered pair (a, p) is a triplet's anchor and positive: (p, a) mines p's own negatives.",
             "itertools.combinations over the indices of a class"),
    _right(MINING[2], semi_hard_in_float32, "semi_hard", "float32 embeddings"),
    _mistake(MINING[2], semi_hard_always_squared, "semi_hard", "ignores-squared",
             "The loss uses the distances `squared` asks for: with squared=False, d is the Euclidean distance "
             "||E_a - E_b||, not its square.", "tf.contrib's triplet_semihard_loss (squared distances, no option)"),
)


def semi_hard_farthest_in_margin(labels, E, margin, squared=True):
    """Not a student's answer: the lowest loss a random semi-hard choice can give (the farthest negative inside
    the margin wherever there is one), the lower end of what `semi_hard_random_negative` returns."""
    D = pairwise_distances(E, squared)
    pos, neg = _masks(labels)
    d_ap, d_an = D[:, :, None], D[:, None, :]
    in_margin = neg[:, None, :] & (d_an > d_ap) & (d_an < d_ap + margin)
    farthest_in = torch.where(in_margin, d_an, -torch.inf).amax(2)
    closest = torch.where(neg[:, None, :] & (d_an > d_ap), d_an, torch.inf).amin(2)
    farthest = torch.where(neg, D, -torch.inf).amax(1)[:, None].expand_as(closest)
    d_neg = torch.where(in_margin.any(2), farthest_in, torch.where(torch.isfinite(closest), closest, farthest))
    pairs = pos & neg.any(1)[:, None]
    return torch.where(pairs, torch.relu(D - d_neg + margin), 0.0).sum() / pairs.sum().clamp(min=1)
