#!/usr/bin/python3
"""ROAD under pytorch-grad-cam's conventions, and under camanim's exact-count rule, as a fixture.

Usage (Debian's /usr/bin/python3: torch, numpy, scipy):

  /usr/bin/python3 tools/road_pgc_reference.py                       # independent reimplementation only
  /usr/bin/python3 tools/road_pgc_reference.py --pgc /path/to/pytorch-grad-cam   # also the library itself

Writes test/fixtures/road/pytorch-grad-cam.json. Nothing here fetches or builds the library:
with --pgc, a checkout the user supplies (the directory holding pytorch_grad_cam/) is imported
and its own classes give the reference numbers; its package __init__ (which pulls ttach,
matplotlib, sklearn, tqdm) is bypassed by importing only the modules ROAD needs.

The subject is small enough for SwiftShader: x [1, 2, 28, 28], logits y_j = sum_p relu(x_j,p *
w_j,p) (class j <-> channel j; camanim's test builds the same ONNX graph from the stored w), the
confidence is the softmax probability of class 0 (ClassifierOutputSoftmaxTarget(0)). The CAMs
are given at layer resolution ("raw", before ReLU) and turned into the map the library's metrics
see, BaseCAM's scale_cam_image(relu(resize(scale_cam_image(relu(raw))))), so ReLU'd maps have
large flat zero regions and maps upsampled from 7x7 have tied border blocks.

Definitions reimplemented (pytorch_grad_cam/metrics/perturbation_confidence.py and road.py):
- RemoveMostRelevantFirst(p): t = np.percentile(cam, p) (numpy's default 'linear'); keep
  cam < t (torch compares in float32), impute the rest. RemoveLeastRelevantFirst: the same on
  1 - cam. So p is the share kept and ties at the threshold go together.
- NoisyLinearImputer: each removed pixel = weighted mean of its in-image 8-neighbours, direct
  1/6, diagonal 1/12 (neighbors_weights), one sparse solve per image (spsolve); noise 0 here (the
  library's default 0.01 cannot be repeated across RNGs).
- PerturbationConfidenceMetric: score(perturbed) - score(original), in float32.
- AveragerAcrossThresholds: np.mean over the percentiles; ROADCombined: (LeRF - MoRF)/2 of those.
camanim's exact-count rule ('rank'): round(share*HW) pixels ranked by value, ties by index.
"""
import argparse
import json
import os
import sys
import types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from road_reference import impute  # noqa: E402  (the float64 sparse solve, same 8-neighbour weights)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "test", "fixtures", "road", "pytorch-grad-cam.json")
PERCENTILES = [10, 20, 30, 40, 50, 60, 70, 80, 90]
S = 28


def subject():
    rs = np.random.RandomState(14)
    x = rs.uniform(-1, 1, (1, 2, S, S)).astype(np.float32)
    w = rs.uniform(-1, 1, (1, 2, S, S))
    yy, xx = np.mgrid[0:S, 0:S]
    w[0, 0] *= 1 + 3 * np.exp(-((yy - 9) ** 2 + (xx - 18) ** 2) / 40)  # class 0 cares about one blob
    w = (0.04 * w).astype(np.float32)
    return x, w


def logits(x, w):
    return torch.relu(x * w).sum(dim=(2, 3))


def resize_half_pixel(img, H, W):
    """cv2.resize(INTER_LINEAR) of a float32 map: half-pixel centres, clamped edges."""
    h, w = img.shape

    def axis(n, N):
        f = np.clip((np.arange(N) + 0.5) * (n / N) - 0.5, 0, n - 1)
        i0 = np.floor(f).astype(int)
        return i0, np.minimum(i0 + 1, n - 1), f - i0
    y0, y1, ty = axis(h, H)
    x0, x1, tx = axis(w, W)
    a = img.astype(np.float64)
    top = a[y0][:, x0] * (1 - tx) + a[y0][:, x1] * tx
    bot = a[y1][:, x0] * (1 - tx) + a[y1][:, x1] * tx
    return np.float32(top * (1 - ty)[:, None] + bot * ty[:, None])


def scale(img):
    img = img - np.min(img)
    return np.float32(img / (1e-7 + np.max(img)))


def own_map(raw):
    return scale(np.maximum(resize_half_pixel(scale(np.maximum(raw, 0)), S, S), 0))


def cams():
    rs = np.random.RandomState(7)
    yy, xx = np.mgrid[0:S, 0:S] / (S - 1)
    out = []
    # ReLU'd at full resolution: a smooth map, about 60% negative -> flat zeros after the ReLU.
    out.append(("relu-flat", np.float32(np.sin(5 * xx + 1) * np.cos(3 * yy) - 0.3)))
    # 7x7 maps upsampled by 4: tied border blocks; one mostly positive, one mostly negative.
    out.append(("up7", np.float32(rs.uniform(-0.3, 1, (7, 7)))))
    out.append(("up7-mostly-zero", np.float32(rs.uniform(-1, 0.4, (7, 7)))))
    # 14x14 from a Grad-CAM-like map: the model's own relevance (x*w of class 0) pooled 2x2.
    x, w = subject()
    rel = (x[0, 0] * w[0, 0]).reshape(14, 2, 14, 2).mean(axis=(1, 3))
    out.append(("xw-14", np.float32(rel)))
    # No ties but the minimum: positive random values at full resolution.
    out.append(("continuous", np.float32(rs.uniform(0.05, 1, (S, S)))))
    return out


def threshold_mask(cam, order, kept):
    """pytorch-grad-cam's kept mask (True = kept), written from its definition."""
    m = cam if order == "morf" else np.float32(1) - cam
    t = np.percentile(m, kept)
    return torch.from_numpy(m) < t  # torch: float32 tensor vs float scalar compares in float32


def rank_removed(cam, order, share):
    n = cam.size
    order_idx = sorted(range(n), key=lambda i: (-float(cam.flat[i]), i))
    k = int(np.floor(share * n / 100 + 0.5))
    chosen = order_idx[:k] if order == "morf" else order_idx[n - k:]
    removed = np.zeros(n, dtype=bool)
    removed[chosen] = True
    return removed


def own_scores(x, w, cam, rule, percent):
    """float64 reference: masks by `rule`, exact imputation, softmax of class 0."""
    xd, wd = torch.from_numpy(x).double(), torch.from_numpy(w).double()
    base = torch.softmax(logits(xd, wd)[0], 0)[0].item()
    res = {"morf": [], "lerf": [], "removedMorf": [], "removedLerf": []}
    for order in ("morf", "lerf"):
        for p in PERCENTILES:
            kept, removed_share = (p, 100 - p) if percent == "kept" else (100 - p, p)
            if rule == "threshold":
                removed = ~threshold_mask(cam, order, kept).numpy().reshape(-1)
            else:
                removed = rank_removed(cam, order, removed_share)
            if removed.all():  # b = 0: the library's spsolve returns the zero image (measured)
                img = np.zeros_like(x[0], dtype=np.float64)
            else:
                img = impute(x[0].astype(np.float64), removed) if removed.any() else x[0].astype(np.float64)
            prob = torch.softmax(logits(torch.from_numpy(img[None]), wd)[0], 0)[0].item()
            res[order].append(prob - base)
            res["removed" + order.capitalize()].append(float(removed.mean()))
    return summarise(res)


def summarise(res):
    comb = [(le - mo) / 2 for le, mo in zip(res["lerf"], res["morf"])]
    return {**res, "combined": comb, "sum": float(np.sum(comb)), "mean": float(np.mean(comb))}


def load_pgc(path):
    """The library's ROAD classes and scale_cam_image, without its package __init__."""
    root = os.path.join(os.path.abspath(path), "pytorch_grad_cam")
    if not os.path.isfile(os.path.join(root, "metrics", "road.py")):
        sys.exit(f"--pgc {path}: no pytorch_grad_cam/metrics/road.py there")
    for name, sub in (("pytorch_grad_cam", ""), ("pytorch_grad_cam.metrics", "metrics"), ("pytorch_grad_cam.utils", "utils")):
        pkg = types.ModuleType(name)
        pkg.__path__ = [os.path.join(root, sub)]
        sys.modules[name] = pkg
    try:
        import matplotlib.lines  # noqa: F401  utils/image.py imports matplotlib for its plots only
    except ImportError:
        mpl = sys.modules["matplotlib"] = types.ModuleType("matplotlib")
        mpl.pyplot = sys.modules["matplotlib.pyplot"] = types.ModuleType("matplotlib.pyplot")
        mpl.lines = sys.modules["matplotlib.lines"] = types.ModuleType("matplotlib.lines")
        mpl.lines.Line2D = None
    from pytorch_grad_cam.metrics import road
    from pytorch_grad_cam.utils.image import scale_cam_image
    return road, scale_cam_image


def pgc_scores(road, x, w, cam):
    class Net(torch.nn.Module):
        def forward(self, t):
            return logits(t, torch.from_numpy(w))

    def target(o):
        return torch.softmax(o, dim=-1)[0]
    res = {"morf": [], "lerf": []}
    for order, cls in (("morf", road.ROADMostRelevantFirst), ("lerf", road.ROADLeastRelevantFirst)):
        for p in PERCENTILES:
            metric = cls(percentile=p)
            metric.perturbation.imputer.noise = 0
            res[order].append(float(metric(torch.from_numpy(x), cam[None], [target], Net())[0]))
    combined = road.ROADCombined(percentiles=PERCENTILES)
    for m in (combined.morf_averager, combined.lerf_averager):
        m.imputer = noise_free(m.imputer)
    out = summarise(res)
    out["ROADCombined"] = float(combined(torch.from_numpy(x), cam[None], [target], Net())[0])
    return out


def noise_free(factory):
    def make(p):
        metric = factory(p)
        metric.perturbation.imputer.noise = 0
        return metric
    return make


def f32(a):
    """float32 values as their shortest decimals (Math.fround gives back the same float32)."""
    return [float(repr(v)) for v in np.asarray(a, np.float32).reshape(-1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pgc", help="a pytorch-grad-cam checkout (the directory holding pytorch_grad_cam/)")
    args = ap.parse_args()
    lib = load_pgc(args.pgc) if args.pgc else None
    x, w = subject()
    xd, wd = torch.from_numpy(x).double(), torch.from_numpy(w).double()
    base = torch.softmax(logits(xd, wd)[0], 0)[0].item()
    print(f"baseline p(class 0) = {base:.4f}")
    entries = []
    for name, raw in cams():
        h, wi = raw.shape
        cam = own_map(raw)
        e = {"name": name, "h": h, "w": wi, "raw": f32(raw)}
        if lib:
            road, scale_cam_image = lib
            lib_map = scale_cam_image(np.maximum(scale_cam_image(np.maximum(raw[None], 0), (S, S)), 0))[0]
            e["mapVsOwn"] = float(np.abs(lib_map - cam).max())
            cam = np.float32(lib_map)
        e["map"] = f32(cam)
        e["zeros"] = float((cam == 0).mean())
        e["threshold"] = own_scores(x, w, cam, "threshold", "kept")
        e["rankRemoved"] = own_scores(x, w, cam, "rank", "removed")
        e["rankKept"] = own_scores(x, w, cam, "rank", "kept")
        if lib:
            e["pgc"] = pgc_scores(lib[0], x, w, cam)
            e["ownVsPgc"] = float(max(abs(a - b) for k in ("morf", "lerf") for a, b in zip(e["pgc"][k], e["threshold"][k])))
        print(f"{name}: zeros {e['zeros']:.2f}  threshold mean {e['threshold']['mean']:+.5f}  rank sum {e['rankRemoved']['sum']:+.5f}"
              + (f"  pgc ROADCombined {e['pgc']['ROADCombined']:+.5f}  own-vs-pgc {e['ownVsPgc']:.1e}  map {e['mapVsOwn']:.1e}" if lib else ""))
        entries.append(e)
    out = {
        "generatedBy": "tools/road_pgc_reference.py" + (" --pgc" if lib else ""),
        "pgcVersion": open(os.path.join(args.pgc, ".pgc-commit")).read().strip() if args.pgc and os.path.exists(os.path.join(args.pgc, ".pgc-commit")) else None,
        "shape": [1, 2, S, S], "target": {"class": 0, "kind": "softmax"}, "noise": 0, "percentiles": PERCENTILES,
        "x": f32(x), "w": f32(w), "baseline": base, "cams": entries,
    }
    with open(OUT, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT, REPO)}")


if __name__ == "__main__":
    main()
