"""new_assignment: fill in the function below. Answers to the math questions go in answers.yaml."""
import torch


def softmax(X: torch.Tensor) -> torch.Tensor:
    """Eq. 1: the softmax of each row of X (N, D) -> (N, D)."""
    raise NotImplementedError
