"""Triplet losses, written as plain loops over pairs and triplets (slow, but easy to check by hand)."""
import itertools

import torch


def pairwise_distances(E, squared=False):
    B = E.shape[0]
    rows = []
    for i in range(B):
        row = []
        for j in range(B):
            diff = E[i] - E[j]
            d2 = torch.dot(diff, diff)
            if squared:
                row.append(d2)
            elif d2.item() == 0.0:
                row.append(torch.zeros((), dtype=E.dtype))   # sqrt has no derivative at 0
            else:
                row.append(torch.sqrt(d2))
        rows.append(torch.stack(row))
    return torch.stack(rows)


def triplet_mask(labels):
    y = labels.tolist()
    B = len(y)
    mask = [[[a != p and a != n and p != n and y[a] == y[p] and y[a] != y[n] for n in range(B)]
             for p in range(B)] for a in range(B)]
    return torch.tensor(mask, dtype=torch.bool).reshape(B, B, B)


def _triplet_term(D, a, p, n, margin):
    return D[a, p] - D[a, n] + margin


def batch_all_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    Dl = D.tolist()
    y = labels.tolist()
    B = len(y)
    positive_terms = []
    num_valid = 0
    for a, p, n in itertools.product(range(B), repeat=3):
        if a == p or y[a] != y[p] or y[a] == y[n]:
            continue
        num_valid += 1
        if Dl[a][p] - Dl[a][n] + margin > 0:
            positive_terms.append(_triplet_term(D, a, p, n, margin))
    if not positive_terms:
        return torch.zeros((), dtype=E.dtype), 0.0
    return torch.stack(positive_terms).mean(), len(positive_terms) / num_valid


def batch_hard_triplet_loss(labels, E, margin, squared=False):
    D = pairwise_distances(E, squared)
    Dl = D.tolist()
    y = labels.tolist()
    B = len(y)
    terms = []
    for a in range(B):
        positives = [p for p in range(B) if p != a and y[p] == y[a]]
        negatives = [n for n in range(B) if y[n] != y[a]]
        if not positives or not negatives:
            continue
        p = max(positives, key=lambda j: Dl[a][j])
        n = min(negatives, key=lambda j: Dl[a][j])
        terms.append(torch.relu(_triplet_term(D, a, p, n, margin)))
    if not terms:
        return torch.zeros((), dtype=E.dtype)
    return torch.stack(terms).mean()


def semi_hard_triplet_loss(labels, E, margin, squared=True):
    D = pairwise_distances(E, squared)
    Dl = D.tolist()
    y = labels.tolist()
    B = len(y)
    terms = []
    for a in range(B):
        negatives = [n for n in range(B) if y[n] != y[a]]
        if not negatives:
            continue
        for p in range(B):
            if p == a or y[p] != y[a]:
                continue
            farther = [n for n in negatives if Dl[a][n] > Dl[a][p]]
            if farther:
                n = min(farther, key=lambda j: Dl[a][j])
            else:
                n = max(negatives, key=lambda j: Dl[a][j])
            terms.append(torch.relu(_triplet_term(D, a, p, n, margin)))
    if not terms:
        return torch.zeros((), dtype=E.dtype)
    return torch.stack(terms).mean()
