"""Known mistakes of new_assignment, each the staff solution with one mistake; the suite names them by note."""
from __future__ import annotations

import torch


def softmax_over_columns(X: torch.Tensor) -> torch.Tensor:
    """softmax-wrong-axis: normalised over dim 0 (the rows), not over each row. X: (N, D) -> (N, D)."""
    E = torch.exp(X - X.max(dim=0, keepdim=True).values)        # (N, D)
    return E / E.sum(dim=0, keepdim=True)                       # (N, D)
