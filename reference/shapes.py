"""The 6-class synthetic shapes data of Homework 10, problem 4(a) "Example Difficulty".

Classes, in the course order: ``circle, square, rectangle, right_triangle, heart, ellipse``. Images are
32x32 single-channel float32 in [0, 1], saved like the course's ``data.npy``: ``np.save(path, {'x': (n, 32, 32)
float32, 'y': (n,) int64})``, read back with ``np.load(path, allow_pickle=True).item()``.

Each image is rasterised from a signed distance ``sd`` (pixels, negative inside) with one-pixel anti-aliasing,
``coverage = clip(1/2 - sd, 0, 1)``; an outline of thickness ``t`` is the set ``|sd| <= t/2``. Every image draws
its own centre, size, rotation, aspect ratio, outline or fill, stroke thickness, contrast and Gaussian noise.
Near-circular ellipses and near-square rectangles are kept on purpose: they are the hard examples the
prediction-depth analysis is about. All rendering is vectorised over the images (about 1 s per 10k images).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["CLASSES", "ShapesConfig", "make_shapes", "make_splits", "save_dataset", "load_dataset"]

CLASSES = ("circle", "square", "rectangle", "right_triangle", "heart", "ellipse")
SIDE = 32          # images are SIDE x SIDE
CHUNK = 2048       # images rendered at once (bounds the temporaries to a few hundred MB)


@dataclass(frozen=True)
class ShapesConfig:
    """How a train/test pair is drawn. The test set depends only on ``seed`` and ``n_test``."""

    n_train: int = 9_000
    n_test: int = 6_000
    seed: int = 0
    size: tuple[float, float] = (5.0, 11.0)               # characteristic radius s in pixels
    ellipse_aspect: tuple[float, float] = (0.45, 0.94)    # minor/major axis; above ~0.9 nearly a circle
    rectangle_aspect: tuple[float, float] = (0.40, 0.93)  # short/long side; above ~0.9 nearly a square
    triangle_aspect: tuple[float, float] = (0.50, 1.00)   # short/long leg
    outline_fraction: float = 0.5
    thickness: tuple[float, float] = (1.0, 2.5)           # outline stroke in pixels
    noise: tuple[float, float] = (0.0, 0.10)              # std of additive Gaussian noise


# ---------------------------------------------------------------------------------------------------------
# Signed distances. p: (..., 2) local coordinates (x right, y up) of pixel centres; parameters broadcast
# against p[..., 0]. Formulas after I. Quilez's 2D distance functions.

def _box(p, hx, hy):
    """Axis-aligned box with half sides (hx, hy)."""
    qx, qy = np.abs(p[..., 0]) - hx, np.abs(p[..., 1]) - hy                  # (m, S, S) each
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))                 # (m, S, S)
    return outside + np.minimum(np.maximum(qx, qy), 0)                       # (m, S, S)


def _ellipse(p, a, b):
    """Axis-aligned ellipse with semi-axes (a, b); first-order distance k0 (k0 - 1) / k1, exact on the curve."""
    k0 = np.hypot(p[..., 0] / a, p[..., 1] / b)                              # (m, S, S)
    k1 = np.hypot(p[..., 0] / a**2, p[..., 1] / b**2)                        # (m, S, S)
    return k0 * (k0 - 1) / np.maximum(k1, 1e-9)                              # (m, S, S)


def _triangle(p, v0, v1, v2):
    """Triangle with vertices v0, v1, v2, each (m, 1, 1, 2)."""
    edges, starts = (v1 - v0, v2 - v1, v0 - v2), (v0, v1, v2)
    orient = np.sign(edges[0][..., 0] * edges[2][..., 1] - edges[0][..., 1] * edges[2][..., 0])  # (m, 1, 1)
    dist_sq, side = [], []
    for e, v in zip(edges, starts):
        w = p - v                                                            # (m, S, S, 2)
        h = np.clip((w * e).sum(-1) / (e * e).sum(-1), 0, 1)                 # (m, S, S)
        dist_sq.append(((w - e * h[..., None]) ** 2).sum(-1))                # (m, S, S)
        side.append(orient * (w[..., 0] * e[..., 1] - w[..., 1] * e[..., 0]))  # (m, S, S)
    d = np.min(dist_sq, axis=0)                                              # (m, S, S)
    return -np.sqrt(d) * np.sign(np.min(side, axis=0))                       # (m, S, S)


def _heart(p, scale):
    """Heart with its tip at y = -scale/2 and lobes up, about 1.1 scale tall and 1.2 scale wide."""
    x, y = np.abs(p[..., 0]) / scale, p[..., 1] / scale + 0.5               # (m, S, S) each
    lobe = np.hypot(x - 0.25, y - 0.75) - np.sqrt(2) / 4                    # (m, S, S)
    t = 0.5 * np.maximum(x + y, 0)                                           # (m, S, S)
    body = np.sqrt(np.minimum(x**2 + (y - 1) ** 2, (x - t) ** 2 + (y - t) ** 2)) * np.sign(x - y)
    return scale * np.where(x + y > 1, lobe, body)                           # (m, S, S)


# ---------------------------------------------------------------------------------------------------------

def _uniform(rng, bounds, m):
    return rng.uniform(bounds[0], bounds[1], size=m)


def _render_class(label: int, m: int, config: ShapesConfig, rng: np.random.Generator) -> np.ndarray:
    """m images of class ``label``: (m, SIDE, SIDE) float32 in [0, 1]."""
    s = _uniform(rng, config.size, m)                                        # (m,) characteristic radius
    theta = rng.uniform(0, 2 * np.pi, size=m)                                # (m,) rotation
    name = CLASSES[label]
    if name == "circle":
        params, extent = (s,), s
    elif name == "square":
        h = 0.85 * s
        params, extent = (h, h), h * np.sqrt(2)
    elif name == "rectangle":
        ratio = _uniform(rng, config.rectangle_aspect, m)
        hx, hy = s, s * ratio
        params, extent = (hx, hy), np.hypot(hx, hy)
    elif name == "ellipse":
        ratio = _uniform(rng, config.ellipse_aspect, m)
        params, extent = (s, s * ratio), s
    elif name == "right_triangle":
        a = 1.9 * s                                                          # long leg
        b = a * _uniform(rng, config.triangle_aspect, m)                     # short leg
        vertices = np.stack([np.zeros((m, 2)), np.stack([a, 0 * a], 1), np.stack([0 * a, b], 1)])  # (3, m, 2)
        vertices = vertices - vertices.mean(0)                               # centroid at the origin
        if_mirror = rng.random(m) < 0.5                                      # both handednesses
        vertices[..., 0] = np.where(if_mirror, -vertices[..., 0], vertices[..., 0])
        params, extent = tuple(vertices[:, :, None, None, :]), np.linalg.norm(vertices, axis=-1).max(0)
    elif name == "heart":
        scale = 1.7 * s
        theta = rng.uniform(-np.pi / 6, np.pi / 6, size=m)                   # hearts stay upright-ish
        params, extent = (scale,), 0.85 * scale
    else:
        raise ValueError(f"unknown class {label}")

    margin = np.maximum(SIDE / 2 - extent - 1, 0)                            # (m,) room to move the centre
    cx = SIDE / 2 + margin * rng.uniform(-1, 1, size=m)                      # (m,)
    cy = SIDE / 2 + margin * rng.uniform(-1, 1, size=m)                      # (m,)
    outline = rng.random(m) < config.outline_fraction                        # (m,)
    thickness = _uniform(rng, config.thickness, m)                           # (m,)
    background = rng.uniform(0.0, 0.25, size=m)                              # (m,)
    foreground = rng.uniform(0.6, 1.0, size=m)                               # (m,)
    noise_std = _uniform(rng, config.noise, m)                               # (m,)

    grid = np.arange(SIDE) + 0.5                                             # (S,) pixel centres
    dx = grid[None, None, :] - cx[:, None, None]                             # (m, 1, S) column offset
    dy = cy[:, None, None] - grid[None, :, None]                             # (m, S, 1) y points up
    cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]    # (m, 1, 1)
    p = np.stack(np.broadcast_arrays(cos * dx + sin * dy, -sin * dx + cos * dy), axis=-1)  # (m, S, S, 2)

    column = [q[:, None, None] if np.ndim(q) == 1 else q for q in params]
    if name == "circle":
        sd = np.hypot(p[..., 0], p[..., 1]) - column[0]                      # (m, S, S)
    elif name in ("square", "rectangle"):
        sd = _box(p, *column)
    elif name == "ellipse":
        sd = _ellipse(p, *column)
    elif name == "right_triangle":
        sd = _triangle(p, *column)
    else:
        sd = _heart(p, *column)

    sd = np.where(outline[:, None, None], np.abs(sd) - thickness[:, None, None] / 2, sd)  # (m, S, S)
    coverage = np.clip(0.5 - sd, 0, 1)                                       # (m, S, S) anti-aliased
    img = background[:, None, None] + (foreground - background)[:, None, None] * coverage
    img = img + noise_std[:, None, None] * rng.standard_normal(img.shape)    # (m, S, S)
    return np.clip(img, 0, 1).astype(np.float32)


def make_shapes(n: int, *, generator: np.random.Generator, config: ShapesConfig = ShapesConfig()):
    """n images, classes balanced to within one and shuffled: x (n, 32, 32) float32 in [0, 1], y (n,) int64."""
    y = generator.permutation(np.arange(n) % len(CLASSES)).astype(np.int64)  # (n,)
    x = np.empty((n, SIDE, SIDE), dtype=np.float32)                          # (n, S, S)
    for label in range(len(CLASSES)):
        where = np.flatnonzero(y == label)                                   # (n_c,)
        for start in range(0, len(where), CHUNK):
            idx = where[start:start + CHUNK]
            x[idx] = _render_class(label, len(idx), config, generator)
    return x, y


def make_splits(config: ShapesConfig = ShapesConfig()):
    """(x_train, y_train), (x_test, y_test); independent streams, so the test set ignores ``n_train``."""
    train_rng, test_rng = (np.random.default_rng([config.seed, split]) for split in (0, 1))
    return (make_shapes(config.n_train, generator=train_rng, config=config),
            make_shapes(config.n_test, generator=test_rng, config=config))


def save_dataset(path: Path, x: np.ndarray, y: np.ndarray) -> Path:
    """Write ``{'x', 'y'}`` in the course's ``data.npy`` format (a pickled dict inside a .npy file)."""
    _validate(x, y, where=str(path))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, {"x": x, "y": y}, allow_pickle=True)
    return path


def load_dataset(path: Path):
    """Read a staff data file (a trusted pickle) and check it: returns x (n, 32, 32) float32, y (n,) int64."""
    data = np.load(Path(path), allow_pickle=True)
    if data.dtype != object or data.shape != ():
        raise ValueError(f"{path}: expected a pickled dict {{'x', 'y'}}, got an array {data.dtype} {data.shape}")
    data = data.item()
    if not isinstance(data, dict) or set(data) != {"x", "y"}:
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{path}: expected exactly the keys ['x', 'y'], got {keys}")
    _validate(data["x"], data["y"], where=str(path))
    return data["x"], data["y"]


def _validate(x, y, *, where: str) -> None:
    if not isinstance(x, np.ndarray) or x.ndim != 3 or x.shape[1:] != (SIDE, SIDE) or x.dtype != np.float32:
        raise ValueError(f"{where}: x must be (n, {SIDE}, {SIDE}) float32, got "
                         f"{getattr(x, 'shape', None)} {getattr(x, 'dtype', type(x).__name__)}")
    if not isinstance(y, np.ndarray) or y.shape != (x.shape[0],) or y.dtype != np.int64:
        raise ValueError(f"{where}: y must be ({x.shape[0]},) int64 to match x {x.shape}, got "
                         f"{getattr(y, 'shape', None)} {getattr(y, 'dtype', type(y).__name__)}")
    if x.size and not (np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1):
        raise ValueError(f"{where}: x must lie in [0, 1], got [{np.nanmin(x)}, {np.nanmax(x)}]")
    if y.size and (y.min() < 0 or y.max() >= len(CLASSES)):
        raise ValueError(f"{where}: y must be labels 0..{len(CLASSES) - 1}, got [{y.min()}, {y.max()}]")


def main(argv=None) -> None:
    """``python -m reference.shapes OUT_DIR [--train N] [--test N] [--seed S]``: writes data.npy, test_data.npy."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--train", type=int, default=ShapesConfig.n_train)
    parser.add_argument("--test", type=int, default=ShapesConfig.n_test)
    parser.add_argument("--seed", type=int, default=ShapesConfig.seed)
    args = parser.parse_args(argv)
    (x, y), (x_test, y_test) = make_splits(ShapesConfig(n_train=args.train, n_test=args.test, seed=args.seed))
    save_dataset(args.out_dir / "data.npy", x, y)
    save_dataset(args.out_dir / "test_data.npy", x_test, y_test)


if __name__ == "__main__":
    main()
