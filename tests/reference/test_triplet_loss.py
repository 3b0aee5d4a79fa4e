"""The triplet-loss reference (FaceNet eq. 3 and 4 with online mining) against naive forms.

Each function is checked against a brute-force Python enumeration of triplets, against
`torch.nn.TripletMarginLoss` on the explicit triplets it mines (where the definitions coincide: non-squared
distance, a mean of per-triplet losses), and on the edge cases the spec names.
"""
import itertools
import math
import sys
from pathlib import Path

import pytest
import torch

try:
    import reference  # noqa: F401  (installed by `make install`, or run from the repository root)
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reference import triplet_loss as ref

SEEDS = (0, 1, 2, 3)
MARGINS = (0.0, 0.2, 1.0)
TORCH_MARGINS = (0.2, 0.5, 1.0)            # TripletMarginLoss requires margin > 0
TOL = dict(rtol=1e-10, atol=1e-12)


def random_batch(seed, B=12, d=4, classes=3, unit=True):
    """labels (B,) in [0, classes), E (B, d) float64, on the unit sphere as in FaceNet when `unit`."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, classes, (B,), generator=g)
    E = torch.randn(B, d, dtype=torch.float64, generator=g)
    return labels, (E / E.norm(dim=1, keepdim=True) if unit else E)


# ---- brute force: one Python loop per index, floats only ---------------------------------------------------

def naive_distance(E, a, b, squared):
    d2 = sum((x - y) ** 2 for x, y in zip(E[a].tolist(), E[b].tolist()))
    return d2 if squared else math.sqrt(d2)


def naive_triplets(labels):
    y = labels.tolist()
    return [(a, p, n) for a, p, n in itertools.product(range(len(y)), repeat=3)
            if len({a, p, n}) == 3 and y[a] == y[p] and y[a] != y[n]]


def naive_batch_all(labels, E, margin, squared):
    triplets = naive_triplets(labels)
    losses = [max(naive_distance(E, a, p, squared) - naive_distance(E, a, n, squared) + margin, 0.0)
              for a, p, n in triplets]
    positive = [l for l in losses if l > 0]
    return (sum(positive) / len(positive) if positive else 0.0,
            len(positive) / len(triplets) if triplets else 0.0)


def naive_hard_choices(labels, E, squared):
    """[(a, hardest p, hardest n)] for the anchors with at least one positive and one negative."""
    y, B = labels.tolist(), len(labels)
    chosen = []
    for a in range(B):
        ps = [p for p in range(B) if p != a and y[p] == y[a]]
        ns = [n for n in range(B) if y[n] != y[a]]
        if ps and ns:
            chosen.append((a, max(ps, key=lambda p: naive_distance(E, a, p, squared)),
                           min(ns, key=lambda n: naive_distance(E, a, n, squared))))
    return chosen


def naive_semi_hard_choices(labels, E, squared):
    """[(a, p, chosen n)] for every ordered positive pair whose anchor has a negative."""
    y, B = labels.tolist(), len(labels)
    chosen = []
    for a, p in itertools.permutations(range(B), 2):
        ns = [n for n in range(B) if y[n] != y[a]]
        if y[p] != y[a] or not ns:
            continue
        d_ap = naive_distance(E, a, p, squared)
        farther = [n for n in ns if naive_distance(E, a, n, squared) > d_ap]
        n = (min(farther, key=lambda n: naive_distance(E, a, n, squared)) if farther
             else max(ns, key=lambda n: naive_distance(E, a, n, squared)))
        chosen.append((a, p, n))
    return chosen


def naive_mean_loss(E, chosen, margin, squared):
    losses = [max(naive_distance(E, a, p, squared) - naive_distance(E, a, n, squared) + margin, 0.0)
              for a, p, n in chosen]
    return sum(losses) / len(losses) if losses else 0.0


def torch_triplet_margin(E, chosen, margin, reduction="mean"):
    a, p, n = (list(t) for t in zip(*chosen))
    return torch.nn.TripletMarginLoss(margin=margin, p=2, eps=0, reduction=reduction)(E[a], E[p], E[n])


# ---- pairwise_distances -------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("squared", [False, True])
def test_pairwise_distances_match_the_naive_sum_of_squares(seed, squared):
    _, E = random_batch(seed, unit=False)
    D = ref.pairwise_distances(E, squared=squared)
    expected = torch.tensor([[naive_distance(E, a, b, squared) for b in range(len(E))] for a in range(len(E))],
                            dtype=torch.float64)
    assert D.shape == (len(E), len(E)) and D.dtype == torch.float64
    torch.testing.assert_close(D, expected, **TOL)
    torch.testing.assert_close(D, torch.cdist(E, E) ** (2 if squared else 1), rtol=1e-10, atol=1e-7)


def test_pairwise_distances_are_non_negative_symmetric_and_exactly_zero_on_the_diagonal():
    _, E = random_batch(5, B=20, unit=False)
    E = torch.cat([E, E[:5] + 1e-9])          # near-coincident rows: where ||a||^2 - 2ab + ||b||^2 goes negative
    for squared in (False, True):
        D = ref.pairwise_distances(E, squared=squared)
        assert (D >= 0).all()
        assert (D.diagonal() == 0).all()
        assert torch.equal(D, D.T)


@pytest.mark.parametrize("squared", [False, True])
def test_pairwise_distances_have_finite_gradients_at_coincident_embeddings(squared):
    _, E = random_batch(6, B=8, unit=False)
    E[3], E[5] = E[1], E[1]
    E.requires_grad_(True)
    D = ref.pairwise_distances(E, squared=squared)
    assert D[1, 3] == 0 and D[3, 5] == 0
    (D * torch.rand(D.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))).sum().backward()
    assert torch.isfinite(E.grad).all()


@pytest.mark.parametrize("squared", [False, True])
def test_pairwise_distances_gradient_matches_finite_differences_away_from_coincidence(squared):
    _, E = random_batch(7, B=6, d=3, unit=False)
    assert torch.autograd.gradcheck(lambda X: ref.pairwise_distances(X, squared=squared),
                                    (E.requires_grad_(True),))


def test_pairwise_distances_reject_a_batch_that_is_not_two_dimensional():
    with pytest.raises(ValueError, match=r"\(3,\)"):
        ref.pairwise_distances(torch.zeros(3, dtype=torch.float64))


# ---- triplet_mask -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("labels", [[0, 0, 1, 1, 2, 0, 2, 1], [0, 1, 2, 3], [4, 4, 4], [1, 0, 1], [7]])
def test_triplet_mask_marks_exactly_the_enumerated_triplets(labels):
    labels = torch.tensor(labels)
    mask = ref.triplet_mask(labels)
    B = len(labels)
    assert mask.dtype == torch.bool and mask.shape == (B, B, B)
    assert sorted(map(tuple, mask.nonzero().tolist())) == naive_triplets(labels)


# ---- batch_all ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("margin", MARGINS)
@pytest.mark.parametrize("squared", [False, True])
def test_batch_all_matches_the_enumeration_of_triplets(seed, margin, squared):
    labels, E = random_batch(seed, unit=seed % 2 == 0)
    loss, fraction = ref.batch_all_triplet_loss(labels, E, margin, squared=squared)
    expected_loss, expected_fraction = naive_batch_all(labels, E, margin, squared)
    assert loss.dim() == 0 and fraction.dim() == 0 and loss.dtype == fraction.dtype == torch.float64
    assert 0 < expected_fraction < 1          # the batch has both kinds of triplet, so the mean is tested
    torch.testing.assert_close(loss, torch.tensor(expected_loss, dtype=torch.float64), **TOL)
    torch.testing.assert_close(fraction, torch.tensor(expected_fraction, dtype=torch.float64), **TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("margin", TORCH_MARGINS)
def test_batch_all_matches_triplet_margin_loss_on_all_valid_triplets(seed, margin):
    labels, E = random_batch(seed)
    per_triplet = torch_triplet_margin(E, naive_triplets(labels), margin, reduction="none")
    loss, fraction = ref.batch_all_triplet_loss(labels, E, margin)
    torch.testing.assert_close(loss, per_triplet[per_triplet > 0].mean(), **TOL)
    torch.testing.assert_close(fraction, (per_triplet > 0).double().mean(), **TOL)


# ---- batch_hard ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("margin", MARGINS)
@pytest.mark.parametrize("squared", [False, True])
def test_batch_hard_matches_the_enumeration_of_anchors(seed, margin, squared):
    labels, E = random_batch(seed, unit=seed % 2 == 0)
    loss = ref.batch_hard_triplet_loss(labels, E, margin, squared=squared)
    expected = naive_mean_loss(E, naive_hard_choices(labels, E, squared), margin, squared)
    assert loss.dim() == 0 and loss.dtype == torch.float64
    torch.testing.assert_close(loss, torch.tensor(expected, dtype=torch.float64), **TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("margin", TORCH_MARGINS)
def test_batch_hard_matches_triplet_margin_loss_on_the_hardest_triplets(seed, margin):
    labels, E = random_batch(seed)
    expected = torch_triplet_margin(E, naive_hard_choices(labels, E, squared=False), margin)
    torch.testing.assert_close(ref.batch_hard_triplet_loss(labels, E, margin), expected, **TOL)


def test_batch_hard_averages_only_over_anchors_with_a_positive_and_a_negative():
    labels = torch.tensor([0, 0, 1, 2, 3])               # anchors 2, 3, 4 have no positive
    _, E = random_batch(8, B=5)
    expected = naive_mean_loss(E, naive_hard_choices(labels, E, False), 0.5, False)
    assert len(naive_hard_choices(labels, E, False)) == 2
    torch.testing.assert_close(ref.batch_hard_triplet_loss(labels, E, 0.5),
                               torch.tensor(expected, dtype=torch.float64), **TOL)


# ---- semi_hard ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("margin", MARGINS)
@pytest.mark.parametrize("squared", [False, True])
def test_semi_hard_matches_the_enumeration_of_positive_pairs(seed, margin, squared):
    labels, E = random_batch(seed, unit=seed % 2 == 0)
    loss = ref.semi_hard_triplet_loss(labels, E, margin, squared=squared)
    chosen = naive_semi_hard_choices(labels, E, squared)
    expected = naive_mean_loss(E, chosen, margin, squared)
    assert loss.dim() == 0 and loss.dtype == torch.float64
    torch.testing.assert_close(loss, torch.tensor(expected, dtype=torch.float64), **TOL)


def test_semi_hard_batches_use_both_the_semi_hard_negative_and_the_fallback():
    for seed in SEEDS:
        labels, E = random_batch(seed)
        D = ref.pairwise_distances(E, squared=True)
        fallbacks = [D[a, n] < D[a, p] for a, p, n in naive_semi_hard_choices(labels, E, squared=True)]
        assert any(fallbacks) and not all(fallbacks)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("margin", TORCH_MARGINS)
def test_semi_hard_matches_triplet_margin_loss_on_the_mined_triplets(seed, margin):
    labels, E = random_batch(seed)
    expected = torch_triplet_margin(E, naive_semi_hard_choices(labels, E, squared=False), margin)
    torch.testing.assert_close(ref.semi_hard_triplet_loss(labels, E, margin, squared=False), expected, **TOL)


def test_semi_hard_on_points_of_a_line_worked_by_hand():
    # a = 0, p = 3 (class 0); n1 = 1, n2 = 2 (class 1); non-squared, margin 0.5.
    # (a, p): no negative beyond 3 -> farthest, n2 at 2: 3 - 2 + .5 = 1.5; (p, a): likewise 1.5.
    # (n1, n2) at 1: a is at exactly 1 (not beyond: eq. 4 is strict), so p at 2: [1 - 2 + .5]_+ = 0.
    # (n2, n1) at 1: p is at exactly 1, so a at 2: 0.  Mean 3 / 4 (with >= both ties count: mean 1).
    E = torch.tensor([[0.0], [3.0], [1.0], [2.0]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 1, 1])
    assert ref.semi_hard_triplet_loss(labels, E, 0.5, squared=False).item() == 0.75


def test_semi_hard_leaves_out_pairs_whose_anchor_has_no_negative():
    _, E = random_batch(9, B=6)
    assert ref.semi_hard_triplet_loss(torch.zeros(6, dtype=torch.long), E, 1.0).item() == 0.0


# ---- edge cases shared by the losses --------------------------------------------------------------------------

LOSSES = {
    "batch_all": lambda labels, E, m, s: ref.batch_all_triplet_loss(labels, E, m, squared=s)[0],
    "batch_hard": lambda labels, E, m, s: ref.batch_hard_triplet_loss(labels, E, m, squared=s),
    "semi_hard": lambda labels, E, m, s: ref.semi_hard_triplet_loss(labels, E, m, squared=s),
}


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("labels", [[0, 1, 2, 3, 4, 5], [2, 2, 2, 2, 2, 2]], ids=["singletons", "one-class"])
def test_a_batch_without_valid_triplets_has_loss_zero(name, labels):
    _, E = random_batch(10, B=6)
    E.requires_grad_(True)
    loss = LOSSES[name](torch.tensor(labels), E, 0.2, False)
    assert loss.dim() == 0 and loss.item() == 0.0
    loss.backward()
    assert torch.isfinite(E.grad).all()


def test_batch_all_fraction_is_zero_without_valid_triplets():
    _, E = random_batch(11, B=4)
    loss, fraction = ref.batch_all_triplet_loss(torch.arange(4), E, 0.2)
    assert loss.item() == 0.0 and fraction.item() == 0.0


def test_batch_all_is_zero_when_every_triplet_is_satisfied():
    E = torch.tensor([[0.0], [0.1], [5.0], [5.1]], dtype=torch.float64)
    loss, fraction = ref.batch_all_triplet_loss(torch.tensor([0, 0, 1, 1]), E, 0.2)
    assert loss.item() == 0.0 and fraction.item() == 0.0


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("squared", [False, True])
def test_losses_have_finite_gradients_at_coincident_embeddings(name, squared):
    labels, E = random_batch(12, B=10)
    E[4] = E[2]                                          # coincident, whatever their labels
    E[7] = E[labels.tolist().index(labels[7].item())]    # coincident with a row of its own class (maybe itself)
    E.requires_grad_(True)
    LOSSES[name](labels, E, 0.5, squared).backward()
    assert torch.isfinite(E.grad).all()


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("squared", [False, True])
def test_loss_gradients_match_finite_differences_away_from_coincidence(name, squared):
    labels, E = random_batch(13, B=8, d=3, unit=False)
    assert torch.autograd.gradcheck(lambda X: LOSSES[name](labels, X, 1.0, squared), (E.requires_grad_(True),))
