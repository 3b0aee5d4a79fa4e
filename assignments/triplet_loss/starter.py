"""FaceNet and online triplet mining: your implementation.

Save this file as `triplet_loss.py` and hand it in together with `answers.yaml` (see problem.md).

Conventions used by every function below:
    E       (B, d) float tensor, one embedding per row
    labels  (B,) integer tensor, the identity of each row
    d(i, j) Euclidean distance ||E_i - E_j||, or its square ||E_i - E_j||^2 when squared=True
    triplet loss of (a, p, n): max(0, d(a, p) - d(a, n) + margin)   (eq. 3 of the paper)

You may return torch tensors or numpy arrays; a scalar may be a Python number or a 0-d tensor.
Check your work with:  autograde check triplet_loss <your folder>
"""
import torch


def pairwise_distances(E, squared=False):
    """All pairwise distances between the rows of E.

    Args:
        E: (B, d) embeddings.
        squared: return squared Euclidean distances instead of Euclidean distances.

    Returns:
        (B, B) tensor D with D[i, j] = d(i, j). D must be non-negative, exactly 0 on the diagonal, and
        its gradient (through autograd) must stay finite when two rows of E are identical.
    """
    raise NotImplementedError


def triplet_mask(labels):
    """Which index triplets [a, p, n] are valid.

    Args:
        labels: (B,) integer labels.

    Returns:
        (B, B, B) bool tensor, True at [a, p, n] iff a, p, n are distinct, labels[a] == labels[p]
        and labels[a] != labels[n].
    """
    raise NotImplementedError


def batch_all_triplet_loss(labels, E, margin, squared=False):
    """Batch-all triplet loss.

    Args:
        labels: (B,) integer labels.
        E: (B, d) embeddings.
        margin: the margin alpha of eq. 3.
        squared: use squared distances.

    Returns:
        (loss, fraction_positive):
        loss: mean triplet loss over the valid triplets whose loss is > 0 (0 if there are none);
        fraction_positive: (number of valid triplets with loss > 0) / (number of valid triplets).
    """
    raise NotImplementedError


def batch_hard_triplet_loss(labels, E, margin, squared=False):
    """Batch-hard triplet loss.

    Args:
        labels: (B,) integer labels.
        E: (B, d) embeddings.
        margin: the margin alpha of eq. 3.
        squared: use squared distances.

    Returns:
        Mean over the anchors a that have at least one positive and one negative of
        max(0, max_p d(a, p) - min_n d(a, n) + margin); 0 if no anchor has both.
    """
    raise NotImplementedError


def semi_hard_triplet_loss(labels, E, margin, squared=True):
    """Semi-hard triplet loss (note: squared distances by default).

    Args:
        labels: (B,) integer labels.
        E: (B, d) embeddings.
        margin: the margin alpha of eq. 3.
        squared: use squared distances.

    Returns:
        For every ordered pair (a, p), a != p, labels[a] == labels[p], pick the negative n closest to a
        with d(a, n) > d(a, p); if there is none, the negative farthest from a. Skip pairs whose anchor
        has no negative. Return the mean of max(0, d(a, p) - d(a, n) + margin) over the pairs kept,
        or 0 if none are kept.
    """
    raise NotImplementedError
