#!/usr/bin/python3
"""PyTorch-on-the-CPU reference timings for `pnpm bench` (test/bench/): CAManim done the
per-layer way, and ybROAD with the reference (sparse direct solve) imputation.

Usage (Debian's /usr/bin/python3 with python3-torch, python3-torchvision, python3-scipy):

  /usr/bin/python3 tools/bench_torch.py layers --model resnet50
  /usr/bin/python3 tools/bench_torch.py cam  --model resnet50 [--layers N] [--mode lib|lean|hooked] [--input x.bin] [--device cuda]
  /usr/bin/python3 tools/bench_torch.py road --model resnet50 --subset 0,17,34 [--input x.bin] [--class K]
  /usr/bin/python3 tools/bench_torch.py metrics --model resnet50 --subset 0,17 [--step 1792] [--batch 16] [--input x.bin]
  /usr/bin/python3 tools/bench_torch.py cold --model resnet50 --weights w.pt [--save]
  /usr/bin/python3 tools/bench_torch.py forward --model resnet50 --batch 32 [--reps N] [--device cuda]

Prints ONE JSON object on stdout (progress on stderr). torch.set_num_threads(2) unless
--threads says otherwise. cam runs on --device (cpu, or cuda on a machine with a GPU: every
timing then waits for the GPU with torch.cuda.synchronize()). Per-layer and per-perturbation times are reported one by one: on a
shared 2-core machine two OpenMP threads make single timings swing 10-50x with the load, so
test/bench takes medians.

The model is torchvision's architecture with the same seed and random-init preparation as
`tools/export_models.py --full` (tools/fixtures/prepare.py), so its weights are those of
bench-models/<name>.onnx (up to BatchNorm-recalibration rounding) and the CAMs and ROAD scores
can be compared with camanim's.

Layers ("points"): the module outputs that are spatial layers of the ONNX export, in execution
order: every Conv2d output (or, where a BatchNorm2d follows it, the BatchNorm2d output, since
the export folds BN into the Conv), every ReLU call's output, every residual Add (the input of a
ReLU that is an addition), every MaxPool2d output. For torchvision ResNets this is exactly the
ONNX model's set of spatial node outputs (ResNet-50: 53 Conv + 49 Relu + 16 Add + 1 MaxPool).

cam: one forward + one backward + the GradCAM of that layer, for each layer in turn, the way
pytorch-grad-cam (and so CAManim's pytorch-grad-cam-anim) does it:
  --mode lib  (default) what the library does: parameters keep requires_grad, so every backward
              runs to the first layer and computes weight gradients too (model.zero_grad();
              output[:, k].sum().backward(retain_graph=True)); forward hook on the layer stores
              the activation and registers a tensor hook for its gradient.
  --mode lean the cheapest per-layer variant: parameters frozen, the hooked output is detached
              and made to require grad, so each backward stops at the layer.
  --mode hooked not per layer: the camanim way in PyTorch, hooks on every layer, one forward and
              one backward for all of them, every GradCAM (--reps timed passes, each reported).
The GradCAM itself: w = mean_ij(dA), cam = ReLU(sum_c w_c A_c), bilinear to 224, min-max scaled.

road: for each layer of --subset (indices into the point list): its GradCAM (not timed, one
pass for all subset layers), then, timed, ROAD at 20/40/60/80 % MoRF and LeRF as
pytorch-grad-cam's ROADMostRelevantFirst/LeastRelevantFirst do it: per percentile and order one
noisy linear imputation (Rong et al. 2022: removed pixels = weighted mean of their 8 neighbours,
1/6 direct, 1/12 diagonal; one sparse system for all removed pixels, solved with
scipy.sparse.linalg.spsolve for the 3 channels at once; noise 0) and one forward (batch 1,
no_grad) for the softmax probability of the class. Pixels are ranked like camanim does
(pre-ReLU CAM at input size, value descending, ties by index; exactly round(p*HW/100) removed).
An --input holding N images is scored image by image, each on its own argmax class unless --class
(`pnpm bench --only eval`); cam_ms is the time of the GradCAM passes.

metrics: the per-layer metrics beside ROAD for the --subset layers' GradCAMs, on the map
pytorch-grad-cam's metrics receive (ReLU, min-max, bilinear to 224, ReLU, min-max), each timed
on its own, with the forwards camanim does (torch.no_grad, batches of --batch, no padding):
  multconf  CamMultImageConfidenceChange / DropInConfidence / IncreaseInConfidence (one result):
            one forward of x * cam per layer;
  deletion, insertion  RISE's CausalMetric: --step pixels per iteration (default one row),
            ceil(HW/step) + 1 images per layer, substrate zeros / blur (gkern(11, 5)), AUC by
            the trapezoid;
  mprt      Quantus's MPRT top down: Conv2d and Linear weights re-drawn one more at a time from
            the output down (the ONNX export folds BN into the Conv: one node each), after each
            step one forward + one backward for every subset layer's GradCAM, SSIM (7x7 uniform
            window, skimage's) and Spearman against the original maps.
"""
import argparse
import json
import math
import os
import sys
import time
import zlib

START = time.perf_counter()  # before torch is imported: cold's import_ms
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures.models import full_spec  # noqa: E402
from fixtures.prepare import prepare  # noqa: E402

SIZE = 224
NEIGHBOURS = [(-1, -1, 1 / 12), (-1, 0, 1 / 6), (-1, 1, 1 / 12), (0, -1, 1 / 6),
              (0, 1, 1 / 6), (1, -1, 1 / 12), (1, 0, 1 / 6), (1, 1, 1 / 12)]


def log(msg):
    print(f"[bench_torch] {msg}", file=sys.stderr, flush=True)


def build(name):
    """Same seed and preparation as export_models.export_one(full_spec(name), with_grads=False)."""
    seed = zlib.crc32(name.encode()) & 0x7FFFFFFF
    torch.manual_seed(seed)
    spec = full_spec(name)
    model = spec.build()
    model, _ = prepare(model, spec.size, seed, batches=2, batch_size=4)
    model.eval()
    for m in model.modules():  # prepare() already does this; hooks must see unmodified outputs
        if hasattr(m, "inplace") and isinstance(m.inplace, bool):
            m.inplace = False
    return model


def sync(device):
    """Waits for the device's queued work, so wall-clock timings cover it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def load_input(path):
    """[N, 3, 224, 224]: the float32 LE file (N images back to back), or one seeded image."""
    if path:
        x = np.fromfile(path, dtype="<f4")
        return torch.from_numpy(x.copy()).reshape(-1, 3, SIZE, SIZE)
    return torch.rand(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1)) * 2 - 1


# ------------------------------------------------------------------ layer points

class Point:
    """One spatial layer: the output of the k-th call of a module ('out'), or the input of the
    k-th call of a ReLU that is a residual addition ('add')."""

    def __init__(self, kind, module, name, call, shape):
        self.kind, self.module, self.name, self.call, self.shape = kind, module, name, call, shape

    def label(self):
        return f"{self.name}#{self.call}" + (":add" if self.kind == "add" else "")


def discover_points(model, x):
    points = []
    calls = {}
    last = {"tensor": None}
    handles = []
    names = {m: n for n, m in model.named_modules()}

    def count(m):
        calls[m] = calls.get(m, 0) + 1
        return calls[m] - 1

    def on_out(m, inputs, out):
        k = count(m)
        if isinstance(m, nn.BatchNorm2d) and points and points[-1].kind == "out" \
                and isinstance(points[-1].module, nn.Conv2d) and inputs[0] is last["tensor"]:
            points.pop()  # Conv + BN: one fused Conv in the ONNX export
        points.append(Point("out", m, names[m], k, tuple(out.shape)))
        last["tensor"] = out

    def on_relu_in(m, inputs):
        x0 = inputs[0]
        if x0.grad_fn is not None and type(x0.grad_fn).__name__.startswith("AddBackward"):
            points.append(Point("add", m, names[m], calls.get(m, 0), tuple(x0.shape)))

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d)):
            handles.append(m.register_forward_hook(on_out))
        if isinstance(m, nn.ReLU):
            handles.append(m.register_forward_pre_hook(on_relu_in))
    with torch.enable_grad():
        xg = x.clone().requires_grad_(True)  # so Add outputs have a grad_fn to recognize
        model(xg)
    for h in handles:
        h.remove()
    return [p for p in points if len(p.shape) == 4 and p.shape[2] * p.shape[3] > 1]


def hook_point(p, fn):
    """Calls fn(tensor) at point p during the next forward; fn may return a replacement."""
    state = {"calls": 0}

    if p.kind == "out":
        def hook(_m, _inputs, out):
            k = state["calls"]
            state["calls"] += 1
            if k == p.call:
                return fn(out)
            return None
        return p.module.register_forward_hook(hook)

    def pre(_m, inputs):
        k = state["calls"]
        state["calls"] += 1
        if k == p.call:
            r = fn(inputs[0])
            return (r,) if r is not None else None
        return None
    return p.module.register_forward_pre_hook(pre)


# ------------------------------------------------------------------ cold start

def run_cold(args):
    """cold: what a fresh process pays to explain every layer the camanim way in PyTorch. With
    --save, builds the bench model and saves its state_dict to --weights (untimed preparation).
    Otherwise: torchvision's architecture, the state_dict loaded from --weights, a hook on every
    Conv2d/BatchNorm2d/ReLU/MaxPool2d output keeping it and its gradient, one forward, one
    backward of the argmax logit (parameters frozen), and GradCAM of every kept 4-D output
    upsampled to 224 and min-max scaled. The caller times the whole process; the JSON says
    where its time went (import_ms: from the interpreter's start to torch imported)."""
    if args.save:
        torch.save(build(args.model).state_dict(), args.weights)
        return {"saved": args.weights}
    t0 = time.perf_counter()
    model = getattr(torchvision.models, args.model)(weights=None)
    model.load_state_dict(torch.load(args.weights))
    model.eval()
    for q in model.parameters():
        q.requires_grad_(False)
    for m in model.modules():
        if hasattr(m, "inplace") and isinstance(m.inplace, bool):
            m.inplace = False
    t_load = time.perf_counter()
    kept = []

    def keep(_m, _inputs, out):
        if out.dim() == 4 and out.requires_grad:
            entry = {"a": out}
            out.register_hook(lambda g, e=entry: e.__setitem__("g", g))
            kept.append(entry)

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d)):
            m.register_forward_hook(keep)
    x = load_input(args.input).requires_grad_(True)
    out = model(x)
    cls = int(out.argmax(1))
    out[:, cls].sum().backward()
    t_bwd = time.perf_counter()
    with torch.no_grad():
        cams = [scaled(gradcam_from(e["a"], e["g"])[1]) for e in kept]
    t_end = time.perf_counter()
    return {
        "model": args.model, "torch": torch.__version__, "threads": torch.get_num_threads(), "layers": len(cams),
        "import_ms": (t0 - START) * 1000, "load_ms": (t_load - t0) * 1000, "fwd_bwd_ms": (t_bwd - t_load) * 1000,
        "cams_ms": (t_end - t_bwd) * 1000,
    }


# ------------------------------------------------------------------ GradCAM

def gradcam_from(a, g):
    w = g.mean(dim=(2, 3), keepdim=True)
    raw = (w * a).sum(dim=1, keepdim=True)  # before ReLU
    up = F.interpolate(raw, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    return raw, up


def scaled(cam):
    cam = F.relu(cam)
    lo, hi = cam.amin(dim=(1, 2, 3), keepdim=True), cam.amax(dim=(1, 2, 3), keepdim=True)
    return (cam - lo) / (hi - lo + 1e-7)


def cam_one_layer(model, x, p, cls, mode):
    """One forward + one backward + this layer's GradCAM (pytorch-grad-cam's per-call work)."""
    store = {}

    def grab(t):
        if mode == "lean":  # cut the graph here: backward stops at this layer
            t = t.detach().requires_grad_(True).clone()  # non-leaf: later in-place ops are fine
        store["a"] = t
        t.register_hook(lambda g: store.__setitem__("g", g))
        return t if mode == "lean" else None

    h = hook_point(p, grab)
    try:
        out = model(x)
        model.zero_grad(set_to_none=True)
        out[:, cls].sum().backward(retain_graph=(mode == "lib"))
    finally:
        h.remove()
    with torch.no_grad():
        _, up = gradcam_from(store["a"].detach(), store["g"])
        return scaled(up)


def run_cam(args):
    device = torch.device(args.device)
    model = build(args.model).to(device)
    x = load_input(args.input).to(device)
    points = discover_points(model, x)
    log(f"{args.model}: {len(points)} spatial layers (module outputs)")
    if args.mode == "hooked":
        return run_cam_hooked(args, model, x, points, device)
    if args.mode == "lean":
        for q in model.parameters():
            q.requires_grad_(False)
    with torch.no_grad():
        cls = int(model(x).argmax(1)) if args.cls is None else args.cls
    use = points if args.layers is None else pick(points, args.layers)
    # warm-up: one layer
    cam_one_layer(model, x, use[-1], cls, args.mode)
    sync(device)
    per = []
    t0 = time.perf_counter()
    for i, p in enumerate(use):
        t = time.perf_counter()
        cam_one_layer(model, x, p, cls, args.mode)
        sync(device)
        per.append((time.perf_counter() - t) * 1000)
        if (i + 1) % 10 == 0 or i + 1 == len(use):
            log(f"cam {args.mode}: {i + 1}/{len(use)} layers, {sum(per) / 1000:.1f} s")
    total = (time.perf_counter() - t0) * 1000
    # one plain forward+backward for reference
    fb = []
    for _ in range(3):
        t = time.perf_counter()
        out = model(x) if args.mode == "lib" else model(x.clone().requires_grad_(True))
        model.zero_grad(set_to_none=True)
        out[:, cls].sum().backward()
        sync(device)
        fb.append((time.perf_counter() - t) * 1000)
    return {
        "mode": args.mode, "model": args.model, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU",
        "points": len(points), "layers": len(use), "class": cls,
        "total_ms": total, "per_layer_ms": per, "fwd_bwd_ms": sorted(fb)[1],
    }


def run_cam_hooked(args, model, x, points, device):
    """cam --mode hooked: the camanim way in PyTorch, the strongest a PyTorch user can do it:
    parameters frozen, a hook on every layer, one forward, one backward for all of them at once
    (torch.autograd.grad), every layer's GradCAM; --reps passes after one warm-up pass."""
    for q in model.parameters():
        q.requires_grad_(False)
    with torch.no_grad():
        cls = int(model(x).argmax(1)) if args.cls is None else args.cls
    every = range(len(points))

    def one_pass():
        cams = [scaled(up) for _raw, up in subset_gradcams(model, x, points, every, cls)]
        sync(device)
        return cams

    one_pass()
    passes = []
    for i in range(args.reps):
        t = time.perf_counter()
        one_pass()
        passes.append((time.perf_counter() - t) * 1000)
        log(f"cam hooked: pass {i + 1}/{args.reps}, {passes[-1]:.0f} ms")
    return {
        "mode": "hooked", "model": args.model, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU",
        "points": len(points), "layers": len(points), "class": cls, "pass_ms": passes,
    }


def pick(points, n):
    """n layers spread evenly over the point list (all of them when n >= len)."""
    if n >= len(points):
        return points
    idx = np.unique(np.round(np.linspace(0, len(points) - 1, n)).astype(int))
    return [points[i] for i in idx]


# ------------------------------------------------------------------ ROAD

def impute(img, removed):
    """Noisy linear imputation with noise 0: img [C, H, W] (float64), removed [H*W] bool."""
    c, h, w = img.shape
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import spsolve
    idx = np.flatnonzero(removed)
    n = len(idx)
    vid = np.full(h * w, -1, dtype=np.int64)
    vid[idx] = np.arange(n)
    ys, xs = np.divmod(idx, w)
    flat = img.reshape(c, -1)
    diag = np.zeros(n)
    b = np.zeros((n, c))
    rows, cols, vals = [np.arange(n)], [np.arange(n)], []
    for dy, dx, wt in NEIGHBOURS:
        ny, nx = ys + dy, xs + dx
        valid = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
        q = np.where(valid, ny * w + nx, 0)
        is_removed = valid & removed[q]
        kept = valid & ~is_removed
        diag[valid] += wt
        r = np.flatnonzero(is_removed)
        rows.append(r)
        cols.append(vid[q[r]])
        vals.append(np.full(len(r), -wt))
        k = np.flatnonzero(kept)
        b[k] += wt * flat[:, q[k]].T
    a = coo_matrix((np.concatenate([diag] + vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)).tocsc()
    sol = spsolve(a, b)
    out = flat.copy()
    out[:, idx] = sol.reshape(n, c).T
    return out.reshape(c, h, w)


def rank(cam):
    """Pixel indices, most relevant first (value descending, ties by index ascending)."""
    idx = np.arange(cam.size)
    return np.lexsort((idx, -cam.astype(np.float64)))


def removal(ranked, order, p):
    n = len(ranked)
    k = int(round(p / 100 * n))
    m = np.zeros(n, dtype=bool)
    m[ranked[:k] if order == "morf" else ranked[n - k:]] = True
    return m


def subset_gradcams(model, x, points, subset, cls):
    """The --subset layers' GradCAMs before ReLU, (at the layer [1, 1, h, w], at input size
    [1, 1, 224, 224]) each: one forward + one backward hooking all of them (parameters frozen)."""
    store, handles = {}, []
    for i in subset:
        def grab(t, i=i):
            store[i] = t
        handles.append(hook_point(points[i], grab))
    try:
        out = model(x.clone().requires_grad_(True))
    finally:
        for h in handles:
            h.remove()
    acts = [store[i] for i in subset]
    grads = torch.autograd.grad(out[0, cls], acts, allow_unused=True)
    with torch.no_grad():
        return [gradcam_from(a.detach(), torch.zeros_like(a) if g is None else g) for a, g in zip(acts, grads)]


def frozen(name):
    model = build(name)
    for q in model.parameters():
        q.requires_grad_(False)
    return model


def subset_of(args, points):
    return [int(s) for s in args.subset.split(",")] if args.subset else list(range(len(points)))


def run_road(args):
    model = frozen(args.model)
    images = load_input(args.input)
    points = discover_points(model, images[:1])
    subset = subset_of(args, points)
    percentiles = [float(p) for p in args.percentiles.split(",")]
    t_cam = t_impute = t_forward = 0.0
    impute_each, forward_each = [], []
    series = []
    t0 = time.perf_counter()
    classes = []
    for n in range(len(images)):
        x = images[n:n + 1]
        t = time.perf_counter()
        with torch.no_grad():
            logits = model(x)
        cls = int(logits.argmax(1)) if args.cls is None else args.cls
        base = float(torch.softmax(logits, 1)[0, cls])
        cams = [up[0, 0].numpy().reshape(-1) for _, up in subset_gradcams(model, x, points, subset, cls)]
        t_cam += time.perf_counter() - t
        classes.append(cls)
        log(f"road: image {n + 1}/{len(images)}, {len(subset)} of {len(points)} layers, class {cls}, base p={base:.4f}")
        r = road_image(model, x, points, subset, cams, cls, base, percentiles, impute_each, forward_each, t0)
        series += r["series"]
        t_impute += r["impute_s"]
        t_forward += r["forward_s"]
    total = (time.perf_counter() - t0) * 1000 - t_cam * 1000
    return {
        "model": args.model, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "points": len(points), "subset": subset, "class": classes[0], "classes": classes, "images": len(images),
        "percentiles": percentiles, "total_ms": total, "cam_ms": t_cam * 1000,
        "impute_ms": t_impute * 1000, "forward_ms": t_forward * 1000,
        "imputations": len(images) * len(subset) * len(percentiles) * 2, "series": series,
        "impute_each_ms": impute_each, "forward_each_ms": forward_each,
    }


def road_image(model, x, points, subset, cams, cls, base, percentiles, impute_each, forward_each, t0):
    """ROAD of one image at the subset layers: per layer, percentile and order one imputation and
    one forward; the per-perturbation times are appended to impute_each / forward_each."""
    img = x[0].double().numpy()
    t_impute = t_forward = 0.0
    series = []
    for j, (i, cam) in enumerate(zip(subset, cams)):
        ranked = rank(cam)
        scores = {"morf": [], "lerf": []}
        for p in percentiles:
            for order in ("morf", "lerf"):
                t = time.perf_counter()
                imputed = impute(img, removal(ranked, order, p))
                impute_each.append((time.perf_counter() - t) * 1000)
                t_impute += time.perf_counter() - t
                t = time.perf_counter()
                with torch.no_grad():
                    prob = float(torch.softmax(model(torch.from_numpy(imputed).float()[None]), 1)[0, cls])
                forward_each.append((time.perf_counter() - t) * 1000)
                t_forward += time.perf_counter() - t
                scores[order].append(prob - base)
        combined = [(lv - mv) / 2 for mv, lv in zip(scores["morf"], scores["lerf"])]
        series.append({"index": i, "layer": points[i].label(), "morf": scores["morf"], "lerf": scores["lerf"],
                       "road": sum(combined)})
        log(f"road: layer {j + 1}/{len(subset)} ({points[i].label()}) road {sum(combined):+.4f}, "
            f"{time.perf_counter() - t0:.1f} s")
    return {"series": series, "impute_s": t_impute, "forward_s": t_forward}


# ------------------------------------------------------------------ metrics beside ROAD

def grad_cam_maps(cams):
    """The maps pytorch-grad-cam's metrics get (camanim's road-map.ts) [L, 1, 224, 224]: ReLU +
    min-max at the layer, bilinear to the input, ReLU + min-max again."""
    return torch.cat([scaled(F.interpolate(scaled(raw), size=(SIZE, SIZE), mode="bilinear", align_corners=False))
                      for raw, _ in cams])


def confidence(model, images, cls, batch):
    """Softmax probability of cls on images [N, 3, H, W], in no_grad forwards of `batch`."""
    with torch.no_grad():
        return torch.cat([torch.softmax(model(images[k:k + batch]), 1)[:, cls] for k in range(0, len(images), batch)])


def gkern(klen=11, nsig=5):
    """RISE's gkern: a klen x klen delta through scipy.ndimage.gaussian_filter, one per channel."""
    from scipy.ndimage import gaussian_filter
    delta = np.zeros((klen, klen))
    delta[klen // 2, klen // 2] = 1
    k = torch.from_numpy(gaussian_filter(delta, nsig).astype(np.float32))
    return k[None, None].repeat(3, 1, 1, 1)


def causal(model, x, maps, cls, mode, step, batch):
    """RISE's deletion / insertion AUC of each map [L, 1, H, W]: ceil(HW/step) + 1 images a map."""
    _, c, h, w = x.shape
    hw = h * w
    other = torch.zeros_like(x) if mode == "deletion" else F.conv2d(x, gkern(), padding=5, groups=3)
    start, finish = (x, other) if mode == "deletion" else (other, x)
    n = -(-hw // step)
    aucs = []
    for cam in maps:
        order = torch.from_numpy(rank(cam.reshape(-1).numpy()).copy())
        images = start.reshape(1, c, hw).repeat(n + 1, 1, 1)
        for k in range(1, n + 1):
            moved = order[:min(hw, k * step)]
            images[k:, :, moved] = finish.reshape(c, hw)[:, moved]
        curve = confidence(model, images.reshape(n + 1, c, h, w), cls, batch)
        aucs.append(float((curve.sum() - curve[0] / 2 - curve[-1] / 2) / n))
    return aucs, len(maps) * (n + 1)


def finite(v):
    """`v` with every non-finite float replaced by None, through lists and dicts."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [finite(x) for x in v]
    return v


def ssim(a, b):
    """skimage.metrics.structural_similarity of two [H, W] maps: 7x7 uniform window, sample
    covariances, data_range the pair's range (camanim's similarity.ts)."""
    a, b = a.double()[None, None], b.double()[None, None]
    r = float(torch.max(a.max(), b.max()) - torch.min(a.min(), b.min()))
    c1, c2, norm = (0.01 * r) ** 2, (0.03 * r) ** 2, 49 / 48
    mean = lambda t: F.avg_pool2d(t, 7, stride=1)  # noqa: E731
    ma, mb = mean(a), mean(b)
    va, vb, cov = norm * (mean(a * a) - ma * ma), norm * (mean(b * b) - mb * mb), norm * (mean(a * b) - ma * mb)
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
    return float(s.mean())


def mprt(model, x, points, subset, cls, maps, seed=42):
    """Quantus's MPRT, top down: after each re-drawn Conv2d / Linear, the subset's GradCAMs again
    (1 forward + 1 backward) and their SSIM / Spearman to the original maps."""
    import copy
    from scipy.stats import spearmanr
    rmodel = copy.deepcopy(model)
    rpoints = discover_points(rmodel, x)
    steps = [m for m in rmodel.modules() if isinstance(m, (nn.Conv2d, nn.Linear))][::-1]
    gen = torch.Generator().manual_seed(seed)
    sims = []
    for m in steps:
        with torch.no_grad():
            m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * m.weight.std())
        rmaps = grad_cam_maps(subset_gradcams(rmodel, x, rpoints, subset, cls))
        sims.append([(ssim(a[0], b[0]), float(spearmanr(a.reshape(-1), b.reshape(-1))[0])) for a, b in zip(maps, rmaps)])
    return sims, len(steps)


def run_metrics(args):
    model = frozen(args.model)
    x = load_input(args.input)[:1]
    points = discover_points(model, x)
    subset = subset_of(args, points)
    with torch.no_grad():
        logits = model(x)
    cls = int(logits.argmax(1)) if args.cls is None else args.cls
    base = float(torch.softmax(logits, 1)[0, cls])
    maps = grad_cam_maps(subset_gradcams(model, x, points, subset, cls))
    step = args.step or SIZE
    confidence(model, x.repeat(min(args.batch, len(maps)), 1, 1, 1), cls, args.batch)  # warm-up forward
    out = {}

    def timed(name, fn):
        t = time.perf_counter()
        values, forwards = fn()
        out[name] = {"ms": (time.perf_counter() - t) * 1000, "forwards": forwards, "values": values}
        log(f"metrics {name}: {out[name]['ms'] / 1000:.1f} s, {forwards} forwards")

    def multconf():
        change = confidence(model, x * maps, cls, args.batch) - base
        return [float(v) for v in change], len(maps)

    timed("multconf", multconf)
    timed("deletion", lambda: causal(model, x, maps, cls, "deletion", step, args.batch))
    timed("insertion", lambda: causal(model, x, maps, cls, "insertion", step, args.batch))
    timed("mprt", lambda: mprt(model, x, points, subset, cls, maps))
    return {
        "model": args.model, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "points": len(points), "subset": subset, "class": cls, "step": step, "batch": args.batch, "metrics": out,
    }


def run_forward(args):
    """forward: batch-B inference the strongest plain way (no_grad, frozen eval model, cuDNN
    autotuning), the input uploaded from host memory and the logits read back as camanim's bench
    does; for each of strict fp32 (TF32 off) and PyTorch's default (TF32 allowed in cuDNN
    convolutions, CUDA only), in NCHW and channels_last, the median of --reps after warm-up."""
    device = torch.device(args.device)
    model = build(args.model).to(device)
    for q in model.parameters():
        q.requires_grad_(False)
    x = torch.rand(args.batch, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1)) * 2 - 1
    torch.backends.cudnn.benchmark = True
    precisions = [("fp32", False)] + ([("tf32", True)] if device.type == "cuda" else [])
    rows = []
    for precision, tf32 in precisions:
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        for layout in ("nchw", "channels_last"):
            fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
            m = model.to(memory_format=fmt)
            times = []
            with torch.inference_mode():
                for i in range(args.reps + 2):  # two warm-ups: cuDNN's autotuner, then steady state
                    t = time.perf_counter()
                    m(x.to(device).contiguous(memory_format=fmt)).cpu()
                    sync(device)
                    if i >= 2:
                        times.append((time.perf_counter() - t) * 1000)
            rows.append({"precision": precision, "layout": layout, "ms": times})
            log(f"forward b{args.batch} {precision} {layout}: median {sorted(times)[len(times) // 2]:.2f} ms")
    return {
        "model": args.model, "batch": args.batch, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU", "runs": rows,
    }


def run_layers(args):
    model = build(args.model)
    points = discover_points(model, load_input(None))
    return {"model": args.model, "points": [{"layer": p.label(), "shape": list(p.shape)} for p in points]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["layers", "cam", "road", "metrics", "cold", "forward"])
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--input", default=None, help="float32 LE [1,3,224,224] (default: seeded uniform)")
    ap.add_argument("--class", dest="cls", type=int, default=None, help="target class (default: argmax)")
    ap.add_argument("--layers", type=int, default=None, help="cam: this many layers, spread evenly (default all)")
    ap.add_argument("--mode", choices=["lib", "lean", "hooked"], default="lib")
    ap.add_argument("--reps", type=int, default=5, help="cam --mode hooked, forward: timed passes (after warm-up)")
    ap.add_argument("--subset", default=None, help="road, metrics: comma-separated layer indices (default all)")
    ap.add_argument("--step", type=int, default=None, help="metrics: deletion/insertion pixels per step (default 224)")
    ap.add_argument("--batch", type=int, default=16, help="metrics, forward: images per forward")
    ap.add_argument("--percentiles", default="20,40,60,80")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cam, forward: cpu or cuda")
    ap.add_argument("--weights", default=None, help="cold: the state_dict file (written with --save)")
    ap.add_argument("--save", action="store_true", help="cold: build the bench model and save its state_dict to --weights")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    runs = {"layers": run_layers, "cam": run_cam, "road": run_road, "metrics": run_metrics, "cold": run_cold,
            "forward": run_forward}
    result = runs[args.what](args)
    # NaN (a constant map's Spearman correlation) is not JSON: null, as camanim's bundle writes it.
    json.dump(finite(result), sys.stdout, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
