"""The example-difficulty reference (problem 4(a)): ResNet-18 layout, the shapes data, the four code answers,
and the staff pipeline (a tiny configuration by default; the real one under ``-m slow``)."""
import json
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

try:
    import reference  # noqa: F401  (installed by `make install`, or run from the repository root)
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reference import difficulty_pipeline as pipeline
from reference.example_difficulty import accuracy_by_depth, collect_activations, knn_predict, prediction_depth
from reference.resnet import BasicBlock, resnet18
from reference.shapes import CLASSES, ShapesConfig, load_dataset, make_shapes, make_splits, save_dataset

PROBE_SIZES_32 = [3072, 16384, 16384, 16384, 4096, 4096, 2048, 1024, 512, 512, 6]   # facts.md


# ----------------------------------------------------------------------------------------------- ResNet-18

@pytest.mark.parametrize("num_classes, expected", [(6, 11_179_590), (1000, 11_689_512)])
def test_resnet18_has_torchvision_parameter_count(num_classes, expected):
    assert sum(p.numel() for p in resnet18(num_classes).parameters()) == expected


def test_resnet18_has_torchvision_layout():
    model = resnet18(6)
    assert [name for name, _ in model.named_children()] == [
        "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
    assert model.relu.inplace and isinstance(model.avgpool, nn.AdaptiveAvgPool2d)
    for layer, planes in zip((model.layer1, model.layer2, model.layer3, model.layer4), (64, 128, 256, 512)):
        assert len(layer) == 2 and all(isinstance(block, BasicBlock) for block in layer)
        assert [name for name, _ in layer[0].named_children()][:5] == ["conv1", "bn1", "relu", "conv2", "bn2"]
        assert layer[0].relu.inplace and layer[0].conv2.weight.shape == (planes, planes, 3, 3)
    assert model.layer1[0].downsample is None
    assert [type(m) for m in model.layer2[0].downsample] == [nn.Conv2d, nn.BatchNorm2d]
    state = model.state_dict()
    assert len(state) == 122
    assert state["conv1.weight"].shape == (64, 3, 7, 7) and state["fc.weight"].shape == (6, 512)
    assert state["layer3.0.downsample.0.weight"].shape == (256, 128, 1, 1)
    assert "layer4.1.bn2.num_batches_tracked" in state


def test_resnet18_matches_torchvision_state_dict():
    torchvision = pytest.importorskip("torchvision")
    ours = resnet18(6).state_dict()
    theirs = torchvision.models.resnet18(num_classes=6).state_dict()
    assert list(ours) == list(theirs)
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}


def test_resnet18_initialisation_follows_the_generator():
    a, b = (resnet18(6, generator=torch.Generator().manual_seed(3)) for _ in range(2))
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_resnet18_probe_sizes_at_32x32():
    probes = collect_activations(resnet18(6), torch.rand(3, 3, 32, 32))
    assert [p.shape for p in probes] == [(3, d) for d in PROBE_SIZES_32]
    assert torch.equal(probes[8], probes[9])          # trap 2: avgpool of a 1x1 map is the identity
    assert (probes[2] < 0).any() and not torch.equal(probes[2], probes[3])   # trap 1 avoided


def test_notebook_capture_makes_bn1_equal_relu():
    """Storing the hooked output itself (the notebook) lets in-place ReLU overwrite the stored bn1 output."""
    model = resnet18(6).eval()
    assert pipeline._naive_hooks_bn1_equals_relu(model, torch.rand(4, 3, 32, 32))


# ------------------------------------------------------------------------------------------------ shapes

def test_shapes_are_deterministic_in_the_generator():
    x1, y1 = make_shapes(300, generator=np.random.default_rng(5))
    x2, y2 = make_shapes(300, generator=np.random.default_rng(5))
    x3, _ = make_shapes(300, generator=np.random.default_rng(6))
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2) and not np.array_equal(x1, x3)


def test_shapes_range_dtype_balance_and_content():
    x, y = make_shapes(1200, generator=np.random.default_rng(0))
    assert x.shape == (1200, 32, 32) and x.dtype == np.float32 and y.shape == (1200,) and y.dtype == np.int64
    assert x.min() >= 0 and x.max() <= 1
    assert np.bincount(y, minlength=6).tolist() == [200] * 6
    contrast = x.reshape(len(x), -1).max(1) - np.median(x.reshape(len(x), -1), 1)
    assert (contrast > 0.25).all()                     # every image shows a shape
    assert len(CLASSES) == 6 and CLASSES[3] == "right_triangle"


def test_test_split_does_not_depend_on_train_size():
    (_, _), (xt1, yt1) = make_splits(ShapesConfig(n_train=60, n_test=90))
    (_, _), (xt2, yt2) = make_splits(ShapesConfig(n_train=120, n_test=90))
    assert np.array_equal(xt1, xt2) and np.array_equal(yt1, yt2)


def test_dataset_round_trips_in_the_course_format(tmp_path):
    x, y = make_shapes(60, generator=np.random.default_rng(1))
    path = save_dataset(tmp_path / "data.npy", x, y)
    raw = np.load(path, allow_pickle=True).item()
    assert set(raw) == {"x", "y"} and np.array_equal(raw["x"], x) and np.array_equal(raw["y"], y)
    x2, y2 = load_dataset(path)
    assert np.array_equal(x2, x) and np.array_equal(y2, y)


@pytest.mark.parametrize("bad, message", [
    ({"x": np.zeros((4, 32, 32), np.float64), "y": np.zeros(4, np.int64)}, "float32"),
    ({"x": np.zeros((4, 32, 32), np.float32), "y": np.zeros(3, np.int64)}, "int64"),
    ({"x": np.zeros((4, 32, 32), np.float32)}, "keys"),
    ({"x": np.full((4, 32, 32), 2, np.float32), "y": np.zeros(4, np.int64)}, "[0, 1]"),
])
def test_load_dataset_rejects_malformed_files(tmp_path, bad, message):
    np.save(tmp_path / "bad.npy", bad, allow_pickle=True)
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        load_dataset(tmp_path / "bad.npy")


# ------------------------------------------------------------------------------------------- knn_predict

def sklearn_predict(X, y, X_test, k, algorithm="brute"):
    from sklearn.neighbors import KNeighborsClassifier
    return KNeighborsClassifier(n_neighbors=k, algorithm=algorithm).fit(X, y).predict(X_test)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_knn_predict_equals_sklearn_with_distance_and_label_ties(seed, dtype):
    """Integer points on a small grid: many equal distances straddle the k-th place, and tied votes."""
    rng = np.random.default_rng(seed)
    n, m, d = rng.integers(10, 150), rng.integers(1, 40), rng.integers(1, 20)
    k = int(rng.integers(1, min(n, 40)))
    if seed % 4 == 0:
        k += k % 2                                     # even k: label ties are common
    X = rng.integers(-2, 3, size=(n, d)).astype(float)
    y = rng.choice([-3, 0, 4, 7, 11], size=n)            # unsorted, non-contiguous labels
    X_test = rng.integers(-2, 3, size=(m, d)).astype(float)
    expected = sklearn_predict(X, y, X_test, min(k, n))
    got = knn_predict(torch.tensor(X, dtype=dtype), torch.tensor(y), torch.tensor(X_test, dtype=dtype), k=min(k, n))
    np.testing.assert_array_equal(np.asarray(got), expected)


def test_knn_predict_tied_vote_goes_to_the_smallest_label():
    X = torch.tensor([[0.0], [1.0], [-1.0], [3.0]])
    y = torch.tensor([5, 2, 5, 2])
    assert knn_predict(X, y, torch.tensor([[0.0]]), k=2).tolist() == [2]   # one 5, one 2: tie -> 2
    assert sklearn_predict(X.numpy(), y.numpy(), np.zeros((1, 1)), 2).tolist() == [2]


@pytest.mark.parametrize("d", [6, 64])
def test_knn_predict_equals_default_sklearn_on_continuous_float32(d):
    """Activations-like data: float32, a large common offset (cancellation in |x|^2 - 2xy + |y|^2), near
    duplicates; sklearn's default algorithm (a k-d tree for d <= 15)."""
    g = torch.Generator().manual_seed(d)
    centres = torch.randn(6, d, generator=g)
    X = 1000 + centres[torch.arange(900) % 6] + 0.8 * torch.randn(900, d, generator=g)
    X[1::7] = X[::7][: len(X[1::7])] + 1e-4 * torch.randn(len(X[1::7]), d, generator=g)  # near duplicates
    y = torch.randint(0, 6, (900,), generator=g)
    X_test = 1000 + centres[torch.arange(300) % 6] + 0.8 * torch.randn(300, d, generator=g)
    expected = sklearn_predict(X.numpy(), y.numpy(), X_test.numpy(), 30, algorithm="auto")
    np.testing.assert_array_equal(knn_predict(X, y, X_test, k=30, chunk_size=64).numpy(), expected)


def test_knn_predict_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(5, 3\).*\(2, 4\)"):
        knn_predict(torch.zeros(5, 3), torch.zeros(5), torch.zeros(2, 4))


# ------------------------------------------------------------------------------ prediction depth, accuracy

def test_prediction_depth_edge_cases():
    probe_preds = torch.tensor([
        [1, 0, 1, 0, 2],
        [1, 0, 0, 1, 2],
        [1, 1, 1, 0, 2],
        [1, 0, 1, 1, 0],   # last probe
    ])                                                  # (P=4, n=5)
    final = torch.tensor([1, 1, 1, 1, 2])
    # all agree -> 0; last disagrees -> P; flip-flop 1,0,1,... -> after the last switch; 0,1,0,1 -> 3
    assert prediction_depth(probe_preds, final).tolist() == [0, 4, 2, 3, 4]
    assert prediction_depth(probe_preds, probe_preds[-1]).tolist() == [0, 3, 2, 3, 3]


def test_prediction_depth_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5,\)"):
        prediction_depth(torch.zeros(3, 4, dtype=torch.long), torch.zeros(5, dtype=torch.long))


def test_accuracy_by_depth_counts_and_nan_for_empty_depths():
    accuracy, counts = accuracy_by_depth(torch.tensor([0, 0, 2, 2, 2, 4]),
                                         torch.tensor([True, False, True, True, False, True]), num_depths=6)
    assert counts.tolist() == [2, 0, 3, 0, 1, 0]
    np.testing.assert_allclose(accuracy.numpy(), [0.5, np.nan, 2 / 3, np.nan, 1.0, np.nan])
    with pytest.raises(ValueError, match="0..5"):
        accuracy_by_depth(torch.tensor([6]), torch.tensor([True]), num_depths=6)


# -------------------------------------------------------------------------------------- collect_activations

def tiny_model():
    torch.manual_seed(0)
    return nn.Sequential(OrderedDict(lin=nn.Linear(4, 5), bn=nn.BatchNorm1d(5), relu=nn.ReLU(inplace=True),
                                     out=nn.Linear(5, 3)))


def test_collect_activations_snapshots_survive_in_place_relu():
    model = tiny_model()
    x = torch.randn(10, 4)
    with torch.no_grad():
        model(3 * torch.randn(32, 4) + 1)              # train mode: non-trivial running statistics
    probes = collect_activations(model, x)
    assert [p.shape for p in probes] == [(10, 4), (10, 5), (10, 5), (10, 5), (10, 3)]
    with torch.no_grad():
        bn = model.eval().bn(model.lin(x))              # collect_activations probes in eval mode
    torch.testing.assert_close(probes[2], bn)
    assert (probes[2] < 0).any() and torch.equal(probes[3], bn.clamp(min=0))
    torch.testing.assert_close(probes[0], x)


def test_collect_activations_removes_hooks_restores_modes_and_keeps_no_graph():
    model = tiny_model().train()
    model.bn.eval()                                      # a mixed mode must come back as it was
    running_mean = model.bn.running_mean.clone()
    x = torch.randn(6, 4, requires_grad=True)
    probes = collect_activations(model, x)
    assert model.training and model.lin.training and not model.bn.training
    assert all(not m._forward_hooks for m in model.modules())
    assert all(p.grad_fn is None and not p.requires_grad for p in probes)
    assert torch.equal(model.bn.running_mean, running_mean)   # ran in eval mode: statistics untouched


def test_collect_activations_cleans_up_when_the_forward_pass_raises():
    model = tiny_model().train()
    model.out = nn.Linear(7, 3)                          # wrong size: the forward pass raises at the last child
    with pytest.raises(RuntimeError):
        collect_activations(model, torch.randn(4, 4))
    assert model.training and all(not m._forward_hooks for m in model.modules())


def test_collect_activations_respects_batch_size():
    model = tiny_model()
    sizes = []
    model.lin.register_forward_pre_hook(lambda module, inputs: sizes.append(len(inputs[0])))
    probes = collect_activations(model, torch.randn(23, 4), batch_size=10)
    assert sizes == [10, 10, 3] and probes[-1].shape == (23, 3)
    assert len(model.lin._forward_pre_hooks) == 1        # the caller's own hook stays


# ----------------------------------------------------------------------------------------------- pipeline

TINY = pipeline.DifficultyConfig(shapes=ShapesConfig(n_train=96, n_test=48),
                                 train=pipeline.TrainConfig(epochs=1, batch_size=32), k=5)


def test_prepare_runs_end_to_end_on_a_tiny_configuration_and_caches(tmp_path):
    paths = pipeline.prepare(tmp_path, config=TINY, progress=False)
    summary = json.loads(paths.summary.read_text())
    assert summary["probes"] == list(pipeline.PROBE_NAMES) and summary["n_test"] == 48
    for view in ("last_probe", "network"):
        assert sum(summary["depth"][view]["histogram"]) == 48
        assert len(summary["depth"][view]["accuracy"]) == 12
    assert 11 in summary["depth"]["last_probe"]["never_occurs"] and 9 in summary["depth"]["last_probe"]["never_occurs"]
    assert summary["traps"]["layer4_equals_avgpool"] and summary["traps"]["naive_hooks_bn1_equals_relu"]
    assert summary["traps"]["bn1_vs_relu_max_abs_difference"] > 0
    assert all(p.exists() and p.stat().st_size > 0 for p in paths.figures)
    assert load_dataset(paths.test_data)[0].shape == (48, 32, 32)
    stamp = paths.checkpoint.stat().st_mtime_ns
    again = pipeline.prepare(tmp_path, config=TINY, progress=False)
    assert again == paths and paths.checkpoint.stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_prepare_trains_to_convergence(tmp_path):
    paths = pipeline.prepare(tmp_path, progress=False)
    summary = json.loads(paths.summary.read_text())
    epochs = json.loads(paths.training_log.read_text())["epochs"]
    assert summary["train_accuracy"] >= 0.99 and epochs[-1]["train_loss"] < 0.05
    assert 0.85 <= summary["test_accuracy"] <= 0.98      # hard cases kept: not 100%
    accuracy = summary["depth"]["network"]["accuracy"]
    assert accuracy[0] > max(a for a in accuracy[6:] if a is not None)   # accuracy falls with depth
