# [staff] attack example `attack-monkeypatch`: at import, replaces numpy.allclose/isclose/array_equal,
# numpy.testing.assert_allclose/assert_array_equal, torch.allclose/equal/isclose, torch.testing.assert_close
# and the builtins all/any/abs with functions that always report success, then returns zeros everywhere.
# Expected: 0 on every code question (the grader compares in its own process), the batch goes on.
import builtins

import numpy as np
import numpy.testing
import torch
import torch.testing


def _yes(*args, **kwargs):
    return True


def _silent(*args, **kwargs):
    return None


np.allclose = _yes
np.array_equal = _yes
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
numpy.testing.assert_allclose = _silent
numpy.testing.assert_array_equal = _silent
numpy.testing.assert_array_almost_equal = _silent
torch.allclose = _yes
torch.equal = _yes
torch.isclose = lambda a, b, *args, **kwargs: torch.ones(a.shape, dtype=torch.bool)
torch.testing.assert_close = _silent
builtins.all = _yes
builtins.any = lambda *args, **kwargs: False
builtins.abs = lambda x: 0 * x


def softmax_attention(Q, K, V, causal=False):
    return torch.zeros(Q.shape[0], V.shape[1], dtype=torch.float64)


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    return torch.zeros(D_random, D, dtype=torch.float64)


def random_features(X, W):
    return torch.zeros(X.shape[0], 2 * W.shape[0], dtype=torch.float64)


def kernel_attention(Q, K, V, feature_map, causal=False):
    return torch.zeros(Q.shape[0], V.shape[1], dtype=torch.float64)


def random_feature_attention(Q, K, V, W, causal=False):
    return torch.zeros(Q.shape[0], V.shape[1], dtype=torch.float64)
