"""Example difficulty (prediction depth): starter code. Put your answers to the conceptual questions in
answers.yaml (keys i ... ix under `conceptual`)."""
import torch


def collect_activations(model, x, batch_size=256):
    """[x flattened, output of each top-level child of `model` flattened], each (n, d_l), captured with forward
    hooks that you remove afterwards. No autograd graph; every tensor a snapshot; the model's mode restored."""
    raise NotImplementedError


def knn_predict(train_feats, train_labels, test_feats, k=30):
    """Euclidean k-NN, uniform majority vote, ties to the smallest label: -> (n_test,) labels."""
    raise NotImplementedError


def prediction_depth(probe_preds, final_pred):
    """probe_preds (P, n), final_pred (n,) -> (n,) ints: the smallest l such that every probe m >= l predicts
    final_pred; P when the last probe disagrees, 0 when all agree."""
    raise NotImplementedError


def accuracy_by_depth(depths, correct, num_depths):
    """-> (accuracy, counts), each (num_depths,); accuracy is NaN where no example has that depth."""
    raise NotImplementedError
