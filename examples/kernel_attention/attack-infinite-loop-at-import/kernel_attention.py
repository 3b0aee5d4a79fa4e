# [staff] attack example `attack-infinite-loop-at-import`: never finishes importing (a busy loop at module
# level). Expected: the import times out, every code question scores 0, the batch goes on.
import math

import torch

x = 0
while True:                      # "training" that never ends
    x = (x + 1) % 1_000_003


def softmax_attention(Q, K, V, causal=False):
    N, D = Q.shape
    logits = Q @ K.T / math.sqrt(D)
    if causal:
        logits = logits.masked_fill(torch.ones(N, N, dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(logits, dim=1) @ V
