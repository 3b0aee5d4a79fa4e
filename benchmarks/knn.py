"""Speed of the reference ``knn_predict`` (torch) against scikit-learn on the full 11-probe problem.

Uses the cached data and model of ``reference.difficulty_pipeline.prepare`` (built first if missing), collects
the activations at the 11 probes, and for every probe times

    knn_predict(train_acts, y_train, test_acts, k=30)                          # torch, float32 + float64 repair
    KNeighborsClassifier(n_neighbors=30).fit(train_acts, y_train).predict(test_acts)   # sklearn defaults

asserting identical predictions and printing the per-probe and total speed-up. Both run on the same threads
(``--threads``, default 2). ``--test N`` / ``--train N`` restrict to the first N images (default: all).

    .venv/bin/python benchmarks/knn.py [--cache-dir DIR] [--test N] [--train N] [--threads T]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference.difficulty_pipeline import PROBE_NAMES, _to_model_input, prepare  # noqa: E402
from reference.example_difficulty import collect_activations, knn_predict  # noqa: E402
from reference.resnet import resnet18  # noqa: E402
from reference.shapes import load_dataset  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".cache" / "example_difficulty")
    parser.add_argument("--train", type=int, default=None)
    parser.add_argument("--test", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--k", type=int, default=30)
    args = parser.parse_args(argv)

    from sklearn.neighbors import KNeighborsClassifier
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    paths = prepare(args.cache_dir, progress=True)
    x_train, y_train = load_dataset(paths.train_data)
    x_test, _ = load_dataset(paths.test_data)
    x_train, y_train, x_test = x_train[:args.train], y_train[:args.train], x_test[:args.test]
    model = resnet18(num_classes=6).to(memory_format=torch.channels_last)
    model.load_state_dict(torch.load(paths.checkpoint, weights_only=True))
    train_acts = collect_activations(model, _to_model_input(x_train), batch_size=512)
    test_acts = collect_activations(model, _to_model_input(x_test), batch_size=512)
    print(f"{len(x_train)} train x {len(x_test)} test images, k={args.k}, {args.threads} threads")
    print(f"{'probe':>8} {'d':>6} {'torch s':>8} {'sklearn s':>9} {'speed-up':>8}  sklearn algorithm")

    total_torch = total_sklearn = 0.0
    for l, name in enumerate(PROBE_NAMES):
        tick = time.perf_counter()
        ours = knn_predict(train_acts[l], torch.from_numpy(y_train), test_acts[l], k=args.k).numpy()
        t_torch = time.perf_counter() - tick
        with threadpool_limits(limits=args.threads):
            tick = time.perf_counter()
            clf = KNeighborsClassifier(n_neighbors=args.k, n_jobs=args.threads).fit(train_acts[l].numpy(), y_train)
            theirs = clf.predict(test_acts[l].numpy())
            t_sklearn = time.perf_counter() - tick
        differ = np.flatnonzero(ours != theirs)
        assert len(differ) == 0, f"probe {name}: {len(differ)} predictions differ, first at test index {differ[0]}"
        total_torch, total_sklearn = total_torch + t_torch, total_sklearn + t_sklearn
        print(f"{name:>8} {train_acts[l].shape[1]:>6} {t_torch:>8.2f} {t_sklearn:>9.2f} "
              f"{t_sklearn / t_torch:>7.1f}x  {clf._fit_method}", flush=True)
        train_acts[l] = test_acts[l] = None
    print(f"{'total':>8} {'':>6} {total_torch:>8.2f} {total_sklearn:>9.2f} {total_sklearn / total_torch:>7.1f}x"
          f"  (identical predictions on all {len(PROBE_NAMES)} probes)")


if __name__ == "__main__":
    main()
