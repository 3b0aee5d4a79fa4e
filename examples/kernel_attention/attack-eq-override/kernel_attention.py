# [staff] attack example `attack-eq-override`: returns objects that claim to equal anything: a torch.Tensor
# subclass (zeros) whose __eq__, __bool__ and __torch_function__ (allclose, equal, isclose, eq, sub, abs,
# as_subclass, numpy, ...) lie; an object posing as an ndarray (__class__, __array__, __eq__); an int subclass
# equal to everything. Expected: 0 on every code question (comparisons happen on the grader's side, on plain
# data), the batch goes on.
import numpy as np
import torch


class AlwaysEqual(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", str(func))
        if name in ("allclose", "equal"):
            return True
        if name in ("eq", "__eq__", "isclose", "le", "__le__", "ge", "__ge__"):
            return torch.ones(args[0].shape, dtype=torch.bool)
        if name in ("ne", "__ne__", "lt", "gt", "isnan", "isinf"):
            return torch.zeros(args[0].shape, dtype=torch.bool)
        if name in ("sub", "__sub__", "__rsub__", "abs", "__abs__"):
            return torch.zeros(args[0].shape, dtype=torch.float64)
        if name in ("as_subclass", "detach", "contiguous", "clone", "to", "cpu", "double"):
            return args[0]                                   # stay a liar
        return super().__torch_function__(func, types, args, kwargs or {})

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __bool__(self):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.zeros(tuple(self.shape))

    __hash__ = torch.Tensor.__hash__


class PosesAsArray:
    """isinstance(x, np.ndarray) is True for this object."""
    def __init__(self, shape):
        self.shape, self.dtype, self.ndim = shape, np.dtype("float64"), len(shape)

    @property
    def __class__(self):
        return np.ndarray

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __bool__(self):
        return True

    def __len__(self):
        return self.shape[0]

    def __array__(self, dtype=None, copy=None):
        return np.zeros(self.shape)

    def __getattr__(self, name):                          # .all(), .any(), .item() ... all say yes
        return lambda *a, **k: True


class EqualToEverything(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__


def _liar(rows, cols):
    return torch.zeros(rows, cols, dtype=torch.float64).as_subclass(AlwaysEqual)


def softmax_attention(Q, K, V, causal=False):
    return _liar(Q.shape[0], V.shape[1])


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    return PosesAsArray((D_random, D))


def random_features(X, W):
    return EqualToEverything(1)


def kernel_attention(Q, K, V, feature_map, causal=False):
    return _liar(Q.shape[0], V.shape[1])


def random_feature_attention(Q, K, V, W, causal=False):
    return PosesAsArray((Q.shape[0], V.shape[1]))
