"""Otter-Grader tests for the same functions the suites grade, as a course using Otter would write them:
each test calls the student's function (from the kernel's globals) on seeded inputs and compares it with
the staff solution. Used by benchmarks/realistic_classes.py to time `otter run`; `ROOT` is replaced by the
repository's path so that the tests can import `reference`.
"""

_HEADER = '''from otter.test_files import test_case
import sys
sys.path.insert(0, ROOT)
import numpy as np
import torch

OK_FORMAT = False
name = "{name}"
points = {points}


def same(got, want):
    if isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            same(g, w)
        return
    got = got.detach().numpy() if isinstance(got, torch.Tensor) else np.asarray(got)
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else np.asarray(want)
    np.testing.assert_allclose(got.astype(float), want.astype(float), rtol=1e-5, atol=1e-7)


def randn(seed, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
'''

KERNEL_ATTENTION = _HEADER.format(name="kernel_attention", points=5) + '''
from reference import kernel_attention as ref
phi = lambda X: torch.nn.functional.elu(X) + 1


@test_case(points=1)
def test_softmax_attention(env):
    for causal in (False, True):
        Q, K, V = randn(1, 12, 4), randn(2, 12, 4), randn(3, 12, 3)
        same(env["softmax_attention"](Q, K, V, causal=causal), ref.softmax_attention(Q, K, V, causal=causal))


@test_case(points=1)
def test_random_features(env):
    X, W = randn(4, 10, 4), randn(5, 16, 4)
    same(env["random_features"](X, W) @ env["random_features"](X, W).T, ref.random_features(X, W) @ ref.random_features(X, W).T)


@test_case(points=1)
def test_kernel_attention(env):
    Q, K, V = randn(6, 12, 4), randn(7, 12, 4), randn(8, 12, 3)
    same(env["kernel_attention"](Q, K, V, phi), ref.kernel_attention(Q, K, V, phi))


@test_case(points=1)
def test_causal_kernel_attention(env):
    Q, K, V = randn(9, 12, 4), randn(10, 12, 4), randn(11, 12, 3)
    same(env["kernel_attention"](Q, K, V, phi, causal=True), ref.kernel_attention(Q, K, V, phi, causal=True))


@test_case(points=1)
def test_random_feature_attention(env):
    Q, K, V, W = randn(12, 12, 4), randn(13, 12, 4), randn(14, 12, 3), randn(15, 32, 4) / 4 ** 0.25
    same(env["random_feature_attention"](Q, K, V, W), ref.random_feature_attention(Q, K, V, W))
'''

TRIPLET_LOSS = _HEADER.format(name="triplet_loss", points=5) + '''
from reference import triplet_loss as ref
labels = torch.tensor([0, 1, 0, 2, 1, 0, 2, 1])


@test_case(points=1)
def test_pairwise_distances(env):
    E = randn(1, 8, 5)
    for squared in (False, True):
        same(env["pairwise_distances"](E, squared=squared), ref.pairwise_distances(E, squared=squared))


@test_case(points=1)
def test_triplet_mask(env):
    same(env["triplet_mask"](labels), ref.triplet_mask(labels))


@test_case(points=1)
def test_batch_all(env):
    E = randn(2, 8, 5)
    same(env["batch_all_triplet_loss"](labels, E, 0.5), ref.batch_all_triplet_loss(labels, E, 0.5))


@test_case(points=1)
def test_batch_hard(env):
    E = randn(3, 8, 5)
    same(env["batch_hard_triplet_loss"](labels, E, 0.5), ref.batch_hard_triplet_loss(labels, E, 0.5))


@test_case(points=1)
def test_semi_hard(env):
    E = randn(4, 8, 5)
    same(env["semi_hard_triplet_loss"](labels, E, 0.5), ref.semi_hard_triplet_loss(labels, E, 0.5))
'''

EXAMPLE_DIFFICULTY = _HEADER.format(name="example_difficulty", points=4) + '''
from reference import example_difficulty as ref
from graders.sandbox.named import probe_model


@test_case(points=1)
def test_collect_activations(env):
    x = randn(1, 20, 3, 8, 8).float()
    same(env["collect_activations"](probe_model(1, False), x, batch_size=7), ref.collect_activations(probe_model(1, False), x, batch_size=7))


@test_case(points=1)
def test_knn_predict(env):
    g = torch.Generator().manual_seed(2)
    train, test = torch.randn(200, 4, generator=g, dtype=torch.float64), torch.randn(50, 4, generator=g, dtype=torch.float64)
    y = torch.randint(0, 5, (200,), generator=g)
    same(env["knn_predict"](train, y, test, k=7), ref.knn_predict(train, y, test, k=7))


@test_case(points=1)
def test_prediction_depth(env):
    g = torch.Generator().manual_seed(3)
    preds, final = torch.randint(0, 4, (9, 100), generator=g), torch.randint(0, 4, (100,), generator=g)
    same(env["prediction_depth"](preds, final), ref.prediction_depth(preds, final))


@test_case(points=1)
def test_accuracy_by_depth(env):
    g = torch.Generator().manual_seed(4)
    depths, correct = torch.randint(0, 6, (200,), generator=g), torch.rand(200, generator=g) < 0.7
    same(env["accuracy_by_depth"](depths, correct, 6), ref.accuracy_by_depth(depths, correct, 6))
'''

OTTER_TESTS = {"kernel_attention": {"kernel_attention": KERNEL_ATTENTION},
               "triplet_loss": {"triplet_loss": TRIPLET_LOSS},
               "example_difficulty": {"example_difficulty": EXAMPLE_DIFFICULTY}}
