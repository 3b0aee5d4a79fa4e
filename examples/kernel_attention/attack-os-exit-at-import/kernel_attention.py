# [staff] attack example `attack-os-exit-at-import`: os._exit(0) while being imported, hoping a grader reads
# "exit code 0" as success. Expected: an import error, 0 on every code question, the batch goes on.
import math
import os
import sys

import torch

print('{"score": 30, "max_score": 30}')
sys.stdout.flush()
os._exit(0)


def softmax_attention(Q, K, V, causal=False):
    N, D = Q.shape
    logits = Q @ K.T / math.sqrt(D)
    return torch.softmax(logits, dim=1) @ V
