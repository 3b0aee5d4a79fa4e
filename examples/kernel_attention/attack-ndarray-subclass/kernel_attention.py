# [staff] attack example `attack-ndarray-subclass`: returns instances of an np.ndarray subclass (holding
# zeros) whose comparison and reduction methods lie (__eq__, all, any, __array_ufunc__ for isclose/subtract/
# isfinite, view, astype, copy, tobytes, __array__) and whose __array_finalize__ keeps the lie alive.
# Expected: 0 on every code question, the batch goes on.
import numpy as np


class Agreeable(np.ndarray):
    def __array_finalize__(self, obj):
        pass

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        shape = next(np.shape(x) for x in inputs if isinstance(x, np.ndarray))
        if ufunc in (np.equal, np.isclose, np.less_equal, np.greater_equal, np.isfinite):
            return np.ones(shape, dtype=bool).view(Agreeable)
        if ufunc in (np.not_equal, np.less, np.greater, np.isnan, np.isinf):
            return np.zeros(shape, dtype=bool).view(Agreeable)
        if ufunc in (np.subtract, np.absolute):
            return np.zeros(shape).view(Agreeable)
        plain = [np.asarray(x).view(np.ndarray) if isinstance(x, np.ndarray) else x for x in inputs]
        return getattr(ufunc, method)(*plain, **kwargs)

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __bool__(self):
        return True

    def all(self, *a, **k):
        return True

    def any(self, *a, **k):
        return False

    def view(self, *a, **k):
        return self

    def astype(self, *a, **k):
        return self

    def copy(self, *a, **k):
        return self

    def tobytes(self, *a, **k):
        return np.ones(self.shape).tobytes()

    def __array__(self, dtype=None, copy=None):
        return np.ones(self.shape)


def _agreeable(*shape):
    return np.zeros(shape).view(Agreeable)


def softmax_attention(Q, K, V, causal=False):
    return _agreeable(Q.shape[0], V.shape[1])


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    return _agreeable(D_random, D)


def random_features(X, W):
    return _agreeable(X.shape[0], 2 * W.shape[0])


def kernel_attention(Q, K, V, feature_map, causal=False):
    return _agreeable(Q.shape[0], V.shape[1])


def random_feature_attention(Q, K, V, W, causal=False):
    return _agreeable(Q.shape[0], V.shape[1])
