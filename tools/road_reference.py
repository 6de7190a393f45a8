#!/usr/bin/python3
"""Reference ROAD scores computed with PyTorch and SciPy from the paper's definition.

Usage (Debian's /usr/bin/python3: torch, scipy, numpy, onnx):

  /usr/bin/python3 tools/road_reference.py                 # resnet18 and fashion-canvas
  /usr/bin/python3 tools/road_reference.py resnet18

For each model, the Grad-CAM maps at input resolution stored by tools/cam_reference.py
(test/fixtures/cams/<model>.bin) are scored with ROAD (Rong et al. 2022): for p in
{20, 40, 60, 80} percent, the p% most (MoRF) / least (LeRF) relevant pixels are removed
(exactly round(p*HW/100) pixels; ranked by value descending, ties by pixel index
ascending) and filled by noisy linear imputation with noise 0: each removed pixel is the
weighted mean of its in-image 8-neighbours (direct 1/6, diagonal 1/12), solved for all
removed pixels at once per channel with scipy.sparse.linalg.spsolve. C(p) is the change
of the softmax probability of the explained class; combined(p) = (C_LeRF - C_MoRF)/2;
ROAD = sum over p (camanim's DESIGN.md). Forwards run in float64. These are camanim's
`rank` ties with p read as the share `removed` (ROAD preset camanim-rank); pytorch-grad-cam's
conventions (threshold ties, p kept, mean) are tools/road_pgc_reference.py's.

Output: test/fixtures/road/<model>.json.
"""
import json
import os
import sys

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cams import sources  # noqa: E402

PERCENTILES = [20, 40, 60, 80]
NEIGHBOURS = [(-1, -1, 1 / 12), (-1, 0, 1 / 6), (-1, 1, 1 / 12), (0, -1, 1 / 6),
              (0, 1, 1 / 6), (1, -1, 1 / 12), (1, 0, 1 / 6), (1, 1, 1 / 12)]
OUT = os.path.join(sources.REPO, "test", "fixtures", "road")


def impute(img, removed):
    """img [C, H, W] float64; removed [H*W] bool. Exact sparse solve per channel."""
    c, h, w = img.shape
    idx = np.flatnonzero(removed)
    var = -np.ones(h * w, dtype=np.int64)
    var[idx] = np.arange(idx.size)
    rows, cols, vals = [], [], []
    rhs = np.zeros((idx.size, c))
    flat = img.reshape(c, -1)
    for k, p in enumerate(idx):
        y, x = divmod(int(p), w)
        total = 0.0
        for dy, dx, wt in NEIGHBOURS:
            ny, nx = y + dy, x + dx
            if not (0 <= ny < h and 0 <= nx < w):
                continue
            q = ny * w + nx
            total += wt
            if removed[q]:
                rows.append(k), cols.append(var[q]), vals.append(-wt)
            else:
                rhs[k] += wt * flat[:, q]
        rows.append(k), cols.append(k), vals.append(total)
    a = scipy.sparse.csc_matrix((vals, (rows, cols)), shape=(idx.size, idx.size))
    sol = scipy.sparse.linalg.spsolve(a, rhs)
    out = flat.copy()
    out[:, idx] = sol.reshape(idx.size, c).T
    return out.reshape(c, h, w)


def road_scores(net, x, cls, cam):
    n = cam.size
    order = sorted(range(n), key=lambda i: (-float(cam[i]), i))
    img = x[0].numpy()
    images, labels = [], []
    for p in PERCENTILES:
        k = round(p * n / 100)
        for kind, chosen in (("morf", order[:k]), ("lerf", order[n - k:])):
            removed = np.zeros(n, dtype=bool)
            removed[chosen] = True
            images.append(impute(img, removed))
            labels.append((kind, p))
    with torch.no_grad():
        base = torch.softmax(net.logits(x)[0], 0)[cls].item()
        probs = torch.softmax(net.logits(torch.from_numpy(np.stack(images))), 1)[:, cls].numpy()
    c = {lab: float(v - base) for lab, v in zip(labels, probs)}
    morf = [c[("morf", p)] for p in PERCENTILES]
    lerf = [c[("lerf", p)] for p in PERCENTILES]
    combined = [(l - m) / 2 for l, m in zip(lerf, morf)]
    return {"morf": morf, "lerf": lerf, "combined": combined, "road": float(sum(combined)), "baseline": base}


def main():
    names = sys.argv[1:] or ["resnet18", sources.BUNDLED]
    os.makedirs(OUT, exist_ok=True)
    for name in names:
        src = sources.bundled() if name == sources.BUNDLED else sources.fixture(name)
        if src is None:
            print(f"{name}: model not found, skipped")
            continue
        meta = json.load(open(os.path.join(sources.REPO, "test", "fixtures", "cams", f"{name}.json")))
        data = np.fromfile(os.path.join(sources.REPO, "test", "fixtures", "cams", meta["bin"]), dtype="<f4")
        layers = []
        for layer in meta["layers"]:
            g = layer["methods"]["gradcam"]
            cam = data[g["upOffset"]:g["upOffset"] + g["upLength"]].astype(np.float64)
            scores = road_scores(src["net"], src["x"], src["cls"], cam)
            print(f"{name} {layer['onnx']}: ROAD {scores['road']:+.5f}")
            layers.append({"onnx": layer["onnx"], "camUpOffset": g["upOffset"], "camUpLength": g["upLength"], **scores})
        out = {"model": name, "onnx": src["onnx"], "cams": f"test/fixtures/cams/{name}.json", "method": "gradcam",
               "class": src["cls"], "target": "softmax probability of class", "noise": 0,
               "percentiles": PERCENTILES, "generatedBy": "tools/road_reference.py", "layers": layers}
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
