"""Cost checks, honest both ways: hand-written kernel attentions in every style, through the real sandbox and
the real suite's "cost grows linearly in N" checks. Quadratic ones lose, linear ones pass, whatever the style."""
import pytest

from graders.checks import decide
from graders.model import Status
from graders.suite import load_suite

from support import code_submission

HEADER = "import numpy as np\nimport torch\n\n"

# name -> (source of kernel_attention(Q, K, V, phi, causal=False), cost verdict non-causal, causal)
STYLES = {
    "torch-vectorised-cumsum": ("""
def kernel_attention(Q, K, V, phi, causal=False):
    q, k = phi(Q), phi(K)
    if not causal:
        return (q @ (k.T @ V)) / (q @ k.sum(0))[:, None]
    S = torch.cumsum(k[:, :, None] * V[:, None, :], 0)
    Z = torch.cumsum(k, 0)
    return torch.einsum("nl,nlm->nm", q, S) / (q * Z).sum(-1, keepdim=True)
""", Status.PASSED, Status.PASSED),
    "torch-token-loop": ("""
def kernel_attention(Q, K, V, phi, causal=False):
    q, k = phi(Q), phi(K)
    if not causal:
        return (q @ (k.T @ V)) / (q @ k.sum(0))[:, None]
    S = torch.zeros(k.shape[1], V.shape[1], dtype=Q.dtype)
    Z = torch.zeros(k.shape[1], dtype=Q.dtype)
    rows = []
    for i in range(Q.shape[0]):
        S = S + torch.outer(k[i], V[i])
        Z = Z + k[i]
        rows.append((q[i] @ S) / (q[i] @ Z))
    return torch.stack(rows)
""", Status.PASSED, Status.PASSED),
    "numpy-token-loop": ("""
def kernel_attention(Q, K, V, phi, causal=False):
    q, k, v = phi(Q).numpy(), phi(K).numpy(), V.numpy()
    if not causal:
        return (q @ (k.T @ v)) / (q @ k.sum(0))[:, None]
    out = np.zeros((len(q), v.shape[1]))
    S, Z = np.zeros((k.shape[1], v.shape[1])), np.zeros(k.shape[1])
    for i in range(len(q)):
        S = S + np.outer(k[i], v[i])
        Z = Z + k[i]
        out[i] = q[i] @ S / (q[i] @ Z)
    return out
""", Status.PASSED, Status.PASSED),
    "python-lists-loop": ("""
def kernel_attention(Q, K, V, phi, causal=False):
    q, k, v = phi(Q).tolist(), phi(K).tolist(), V.tolist()
    L, M, N = len(k[0]), len(v[0]), len(q)
    S, Z, out = [[0.0] * M for _ in range(L)], [0.0] * L, []
    if not causal:
        for j in range(N):
            for a in range(L):
                Z[a] += k[j][a]
                for b in range(M):
                    S[a][b] += k[j][a] * v[j][b]
    for i in range(N):
        if causal:
            for a in range(L):
                Z[a] += k[i][a]
                for b in range(M):
                    S[a][b] += k[i][a] * v[i][b]
        den = sum(q[i][a] * Z[a] for a in range(L))
        out.append([sum(q[i][a] * S[a][b] for a in range(L)) / den for b in range(M)])
    return torch.tensor(out)
""", Status.PASSED, Status.PASSED),
    "numpy-loop-resums-earlier-keys": ("""
def kernel_attention(Q, K, V, phi, causal=False):
    q, k, v = phi(Q).numpy(), phi(K).numpy(), V.numpy()
    out = np.zeros((len(q), v.shape[1]))
    for i in range(len(q)):
        last = i + 1 if causal else len(q)
        S, Z = k[:last].T @ v[:last], k[:last].sum(0)
        out[i] = q[i] @ S / (q[i] @ Z)
    return out
""", Status.FAILED, Status.FAILED),
    "torch-loop-resums-earlier-keys": ("""
def kernel_attention(Q, K, V, phi, causal=False):
    q, k = phi(Q), phi(K)
    rows = []
    for i in range(Q.shape[0]):
        last = i + 1 if causal else Q.shape[0]
        rows.append((q[i] @ (k[:last].T @ V[:last])) / (q[i] @ k[:last].sum(0)))
    return torch.stack(rows)
""", Status.FAILED, Status.FAILED),
    "torch-masked-matrix": ("""
def kernel_attention(Q, K, V, phi, causal=False):
    A = phi(Q) @ phi(K).T
    if causal:
        A = torch.tril(A)
    return (A @ V) / A.sum(-1, keepdim=True)
""", Status.FAILED, Status.FAILED),
    "torch-broadcast-matrix": ("""
def kernel_attention(Q, K, V, phi, causal=False):
    A = (phi(Q)[:, None, :] * phi(K)[None, :, :]).sum(-1)
    if causal:
        A = A * (torch.arange(len(A))[:, None] >= torch.arange(len(A))[None, :])
    return (A @ V) / A.sum(-1, keepdim=True)
""", Status.FAILED, Status.FAILED),
    "numpy-masked-matrix": ("""
def kernel_attention(Q, K, V, phi, causal=False):
    A = np.asarray(phi(Q)) @ np.asarray(phi(K)).T
    if causal:
        A = np.tril(A)
    return (A @ V.numpy()) / A.sum(-1, keepdims=True)
""", Status.FAILED, Status.FAILED),
    "python-lists-quadratic": ("""
def kernel_attention(Q, K, V, phi, causal=False):
    q, k, v = phi(Q).tolist(), phi(K).tolist(), V.tolist()
    L, M, N = len(k[0]), len(v[0]), len(q)
    out = []
    for i in range(N):
        w = [sum(q[i][a] * k[j][a] for a in range(L)) for j in range((i + 1) if causal else N)]
        out.append([sum(w[j] * v[j][b] for j in range(len(w))) / sum(w) for b in range(M)])
    return torch.tensor(out)
""", Status.FAILED, Status.FAILED),
}


def cost_checks():
    suite = load_suite("kernel_attention")
    find = lambda question: next(c for c in suite.question(question).checks if c.name == "cost grows linearly in N")
    return find("kernel_attention"), find("causal_kernel_attention")


SLOW = {"python-lists-quadratic"}                 # about 1 s per call at N = 1024: quadratic in pure Python


@pytest.mark.parametrize("style", [pytest.param(s, marks=pytest.mark.slow) if s in SLOW else s for s in sorted(STYLES)])
def test_cost_verdict_follows_the_growth_not_the_style(sandbox, style):
    source, expected_plain, expected_causal = STYLES[style]
    checks = cost_checks()
    calls = [call for check in checks for call in check.calls]
    run = sandbox.run(code_submission(HEADER + source), calls, "kernel_attention.py")
    outcomes = iter(run.outcomes)
    verdicts = [decide(check, [next(outcomes) for _ in check.calls], {}) for check in checks]
    assert [v.status for v in verdicts] == [expected_plain, expected_causal], [v.feedback for v in verdicts]
    for verdict in verdicts:
        assert (verdict.note == "cost-grows-too-fast") == (verdict.status is Status.FAILED), verdict.feedback
