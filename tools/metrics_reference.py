#!/usr/bin/python3
"""Reference numbers for the metrics beside ROAD, per layer of the bundled fashion-canvas model, and at
three depths of a full-size torchvision resnet18.

Usage (Debian's /usr/bin/python3: torch, numpy, scipy, onnx, python3-skimage):

  /usr/bin/python3 tools/metrics_reference.py                       # float64 reimplementations only
  /usr/bin/python3 tools/metrics_reference.py --pgc DIR --rise DIR --quantus DIR   # also the libraries
  /usr/bin/python3 tools/export_models.py --full resnet18 --out bench-models/      # once, then:
  /usr/bin/python3 tools/metrics_reference.py --subject resnet18-full --pgc DIR --quantus DIR

Writes test/fixtures/metrics/<subject>.json and .bin (the maps, float32). With the library
checkouts (directories holding pytorch_grad_cam/, RISE's evaluation.py, quantus/functions/) their own
code gives a second set of numbers; only their numbers are stored, none of their code.

Subject resnet18-full: bench-models/resnet18.onnx (random-initialised, BN folded into the convolutions
by the export, 21 parameterised nodes) run in float64 torch, on the input and class of
test/fixtures/cam-pgc/resnet18-full.json, at its three depths (layer1, layer3, layer4). The maps are
float64 Grad-CAM's, pytorch-grad-cam's map of them as below; STEP_FULL pixels per Deletion/Insertion
iteration (29 forwards per curve at 224x224, where RISE's 224 would need 225).

Subject: packages/cli/assets/fashion-canvas.onnx run in float64 torch (tools/cams/nets.py OnnxNet), the
bundled sample (tools/cams/sources.py bundled()), its predicted class 7. Per layer the map is what
pytorch-grad-cam's metrics receive from BaseCAM, scale(relu(resize(scale(relu(gradcam raw))))): large
flat zeros (the ReLU) and, at the 3x3 layer, tied blocks. The score is the softmax probability.

- CamMultImageConfidenceChange / DropInConfidence / IncreaseInConfidence (cam_mult_image.py):
  p(x * map) - p(x), max(-change, 0), change > 0.
- Deletion / Insertion (RISE evaluation.py CausalMetric.single_run and auc): pixels by decreasing map,
  STEP per iteration, zeros substrate for deletion, gkern(11, 5) blur for insertion; the curve is the
  probability after 0..n iterations and auc = (sum - first/2 - last/2)/n. Ties in raster order (stable
  argsort of -map), camanim's rule; RISE's own np.argsort is run on the tie-free upsampled maps.
- MPRT (Quantus mprt.py, top_down): the parameterised nodes (Conv, Gemm) randomised one more at a time
  from the output down with camanim's draw (xorshift32 as packages/cam-methods/src/random.ts, bounds
  1/sqrt(fan_in)); after each step Grad-CAM at every layer, the same map, and SSIM (skimage
  structural_similarity, data_range = max - min of both, Quantus's ssim) and Spearman (scipy) against
  the original map.
"""
import argparse
import importlib.util
import json
import os
import sys
import types

import numpy as np
import scipy.ndimage
import scipy.stats
import torch

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
from cams import formulas, sources  # noqa: E402
from cams.nets import OnnxNet, forward_with_grads  # noqa: E402
from road_pgc_reference import load_pgc, resize_half_pixel, scale  # noqa: E402

OUT = os.path.join(sources.REPO, "test", "fixtures", "metrics")
STEP = 96 * 8
STEP_FULL = 224 * 8
SEED = 42


def pgc_map(raw, H, W):
    return scale(np.maximum(resize_half_pixel(scale(np.maximum(np.float32(raw), 0)), H, W), 0))


def probs(net, images, cls):
    with torch.no_grad():
        return torch.softmax(net.logits(torch.from_numpy(np.asarray(images, np.float64))), 1)[:, cls].numpy()


def gkern(klen=11, nsig=5):
    inp = np.zeros((klen, klen))
    inp[klen // 2, klen // 2] = 1
    return np.float32(scipy.ndimage.gaussian_filter(inp, nsig))


def blur(x):
    k = torch.from_numpy(np.float64(gkern()))[None, None]
    return torch.nn.functional.conv2d(torch.from_numpy(x)[:, None], k, padding=5)[:, 0].numpy()


def causal(net, x, cls, cam, mode, order=None, step=STEP):
    """Curve and auc, pixels in `order` (default: stable argsort of -cam, ties in raster order)."""
    c, H, W = x.shape
    HW = H * W
    order = np.argsort(-np.float32(cam).reshape(-1), kind="stable") if order is None else order
    start, finish = (x, np.zeros_like(x)) if mode == "deletion" else (blur(x), x)
    n = (HW + step - 1) // step
    images = []
    cur = start.reshape(c, HW).copy()
    for i in range(n + 1):
        images.append(cur.reshape(c, H, W).copy())
        idx = order[step * i:step * (i + 1)]
        cur[:, idx] = finish.reshape(c, HW)[:, idx]
    curve = probs(net, images, cls)
    return {"curve": [float(v) for v in curve], "auc": float((curve.sum() - curve[0] / 2 - curve[-1] / 2) / n)}


def cam_mult(net, x, cls, cam):
    base = probs(net, [x], cls)[0]
    change = float(np.float32(np.float32(probs(net, [x * np.float32(cam)[None]], cls)[0]) - np.float32(base)))
    return {"change": change, "drop": max(-change, 0.0), "increase": float(change > 0), "baseline": float(base)}


def uniform(count, seed, lo, hi):
    """packages/cam-methods/src/random.ts's xorshift32 draw, bit for bit."""
    m = 0xFFFFFFFF
    s = ((seed & m) ^ 0x9E3779B9) or 1
    out = np.empty(count, np.float32)
    for i in range(count):
        s ^= (s << 13) & m
        s ^= s >> 17
        s ^= (s << 5) & m
        s &= m
        out[i] = lo + (s / 4294967296) * (hi - lo)
    return out


def gradcam_maps(net, x, cls, H, W):
    _, acts, grads = forward_with_grads(net, x, cls)
    return [pgc_map(formulas.gradcam(acts[l][0], grads[l][0])[0].numpy(), H, W) for l in net.layers]


def mprt(net, x, cls, originals, ssim_fn, spearman_fn, log):
    proto = net.proto.graph
    inits = {t.name for t in proto.initializer}
    steps = [n for n in proto.node if n.op_type in ("Conv", "Gemm") and n.input[1] in inits][::-1]
    saved = dict(net.init)
    H, W = x.shape[2:]
    out = {"steps": [n.name for n in steps], "ssim": [], "spearman": []}
    try:
        for s, node in enumerate(steps):
            seed = SEED + 1 + s
            w = net.init[node.input[1]]
            bound = 1 / np.sqrt(w.numel() / w.shape[0])
            for k, name in enumerate([i for i in node.input[1:3] if i]):
                t = net.init[name]
                net.init[name] = torch.from_numpy(np.float64(uniform(t.numel(), seed * 7919 + k, -bound, bound))).reshape(t.shape)
            maps = gradcam_maps(net, x, cls, H, W)
            out["ssim"].append([float(ssim_fn(a, b)) for a, b in zip(originals, maps)])
            out["spearman"].append([float(spearman_fn(a, b)) for a, b in zip(originals, maps)])
            log(f"  mprt step {s} {node.name}: ssim {np.round(out['ssim'][-1], 3)}")
    finally:
        net.init.clear()
        net.init.update(saved)
    return out


def own_ssim(a, b):
    from skimage.metrics import structural_similarity
    return structural_similarity(np.float64(a), np.float64(b), data_range=float(max(a.max(), b.max()) - min(a.min(), b.min())))


def own_spearman(a, b):
    return scipy.stats.spearmanr(np.float64(a).reshape(-1), np.float64(b).reshape(-1))[0]


def load_file(name, path, stubs=()):
    for s in stubs:
        sys.modules.setdefault(s, types.ModuleType(s))
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rise_runs(rise_dir, net, x, cls, ups):
    """RISE's own CausalMetric.single_run on the tie-free maps (its module constants set to this input)."""
    tq = types.ModuleType("tqdm")
    tq.tqdm = lambda it, **_: it
    sys.modules["tqdm"] = tq
    sys.path.insert(0, rise_dir)
    ev = load_file("rise_evaluation", os.path.join(rise_dir, "evaluation.py"))
    H, W = x.shape[1:]
    ev.HW = H * W
    torch.Tensor.cuda = lambda self, *a, **k: self  # RISE moves every tensor to the GPU; here all stay on the CPU

    class Prob(torch.nn.Module):
        def forward(self, t):
            return torch.softmax(net.logits(t.double()), 1)
    kern = ev.gkern(11, 5).double()
    subs = {"deletion": ("del", torch.zeros_like), "insertion": ("ins", lambda t: torch.nn.functional.conv2d(t, kern, padding=5))}
    out = {}
    for k, up in ups.items():
        out[k] = {}
        for mode, (m, fn) in subs.items():
            metric = ev.CausalMetric(Prob(), m, STEP, substrate_fn=fn)
            curve = metric.single_run(torch.from_numpy(x[None].copy()), np.float32(up))
            out[k][mode] = {"curve": [float(v) for v in curve], "auc": float(ev.auc(curve))}
    return out, [float(v) for v in ev.gkern(11, 5)[0, 0].numpy().reshape(-1)]


def similarity(args, out):
    """SSIM and Spearman: Quantus's own functions with --quantus, else the float64 reimplementations."""
    if not args.quantus:
        return own_ssim, own_spearman
    sim = load_file("quantus_similarity", os.path.join(args.quantus, "quantus", "functions", "similarity_func.py"))
    out["similarity"] = "Quantus similarity_func.ssim / correlation_spearman"
    return sim.ssim, lambda a, b: sim.correlation_spearman(a.reshape(-1), b.reshape(-1))


def pgc_cam_mult(pgc, net, x0, cls, layers, maps):
    """pytorch-grad-cam's own CamMultImageConfidenceChange / DropInConfidence / IncreaseInConfidence per layer."""
    load_pgc(pgc)
    from pytorch_grad_cam.metrics import cam_mult_image
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget

    class Net(torch.nn.Module):
        def forward(self, t):
            return net.logits(t.double())
    xt = torch.from_numpy(x0[None].copy())
    for e, cam in zip(layers, maps):
        t = [ClassifierOutputSoftmaxTarget(cls)]
        e["pgc"] = {"change": float(cam_mult_image.CamMultImageConfidenceChange()(xt, cam[None], t, Net())[0]),
                    "drop": float(cam_mult_image.DropInConfidence()(xt, cam[None], t, Net())[0]),
                    "increase": float(cam_mult_image.IncreaseInConfidence()(xt, cam[None], t, Net())[0])}


def json_safe(v):
    """NaN (a similarity on a constant map) as null: JSON has no NaN."""
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, list):
        return [json_safe(x) for x in v]
    return v


def write(name, out, maps):
    os.makedirs(OUT, exist_ok=True)
    np.concatenate(maps).astype("<f4").tofile(os.path.join(OUT, f"{name}.bin"))
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(json_safe(out), f, indent=1, allow_nan=False)
        f.write("\n")


def fashion_canvas(args):
    src = sources.bundled()
    net, x, cls = src["net"], src["x"], src["cls"]
    H, W = x.shape[2:]
    meta = json.load(open(os.path.join(sources.REPO, "test", "fixtures", "cams", "fashion-canvas.json")))
    data = np.fromfile(os.path.join(sources.REPO, "test", "fixtures", "cams", meta["bin"]), dtype="<f4")
    x0 = x[0].numpy()
    layers, maps = [], []
    for k, layer in enumerate(meta["layers"]):
        g = layer["methods"]["gradcam"]
        raw = data[g["rawOffset"]:g["rawOffset"] + g["rawLength"]].reshape(layer["rawShape"])
        cam = pgc_map(raw, H, W)
        maps.append(cam)
        up = data[g["upOffset"]:g["upOffset"] + g["upLength"]]
        e = {"onnx": layer["onnx"], "rawOffset": g["rawOffset"], "rawShape": layer["rawShape"], "upOffset": g["upOffset"],
             "mapOffset": k * H * W, "zeros": float((cam == 0).mean()), "upTies": int(up.size - np.unique(up).size),
             "camMult": cam_mult(net, x0, cls, cam),
             "deletion": causal(net, x0, cls, cam, "deletion"), "insertion": causal(net, x0, cls, cam, "insertion"),
             "upDeletion": causal(net, x0, cls, up, "deletion"), "upInsertion": causal(net, x0, cls, up, "insertion")}
        print(f"{layer['onnx']}: zeros {e['zeros']:.2f}  change {e['camMult']['change']:+.5f}  "
              f"deletion {e['deletion']['auc']:.4f}  insertion {e['insertion']['auc']:.4f}")
        layers.append(e)
    out = {"model": "fashion-canvas", "onnx": src["onnx"], "cams": "test/fixtures/cams/fashion-canvas.json", "class": cls,
           "inputShape": list(x.shape), "step": STEP, "seed": SEED, "mapsBin": "fashion-canvas.bin",
           "generatedBy": "tools/metrics_reference.py", "gkern": [float(v) for v in gkern().reshape(-1)], "layers": layers}
    net.layers = [l["onnx"] for l in meta["layers"]]
    ssim_fn, spearman_fn = similarity(args, out)
    originals = gradcam_maps(net, x, cls, H, W)
    out["originalMapError"] = float(max(np.abs(a - b).max() for a, b in zip(originals, maps)))
    out["mprt"] = mprt(net, x, cls, originals, ssim_fn, spearman_fn, print)
    if args.pgc:
        pgc_cam_mult(args.pgc, net, x0, cls, layers, maps)
    if args.rise:
        free = {k: data[e["upOffset"]:e["upOffset"] + H * W] for k, e in enumerate(layers) if e["upTies"] == 0}
        runs, kern = rise_runs(os.path.abspath(args.rise), net, x0, cls, free)
        out["riseGkern"] = kern
        for k, r in runs.items():
            layers[k]["rise"] = r
            print(f"  RISE {layers[k]['onnx']}: deletion {r['deletion']['auc']:.5f} (own {layers[k]['upDeletion']['auc']:.5f})")
    write("fashion-canvas", out, maps)


def resnet18_full(args):
    pgc_json = os.path.join("test", "fixtures", "cam-pgc", "resnet18-full.json")
    meta = json.load(open(os.path.join(sources.REPO, pgc_json)))
    path = os.path.join(sources.REPO, meta["onnx"])
    if not os.path.exists(path):
        sys.exit(f"{meta['onnx']} is missing: /usr/bin/python3 tools/export_models.py --full resnet18 --out bench-models/")
    data = np.fromfile(os.path.join(sources.REPO, os.path.dirname(pgc_json), meta["bin"]), dtype="<f4")
    at = lambda r: data[r["offset"]:r["offset"] + r["length"]]  # noqa: E731
    x = torch.from_numpy(np.float64(at(meta["input"])).reshape(meta["inputShape"]))
    cls = meta["class"]
    net = OnnxNet(path, [l["onnx"] for l in meta["layers"]])
    with torch.no_grad():
        logits = net.run(x)[0].numpy().ravel()
    # The same model as the cam-pgc fixture's (torchvision's module there, its ONNX export here).
    sources.require("OnnxNet logits vs the cam-pgc fixture's", sources.rel(logits, np.float64(at(meta["logits"]))), 1e-5, print)
    H, W = x.shape[2:]
    x0 = x[0].numpy()
    maps = gradcam_maps(net, x, cls, H, W)
    layers = []
    for k, (name, cam) in enumerate(zip(net.layers, maps)):
        e = {"onnx": name, "mapOffset": k * H * W, "zeros": float((cam == 0).mean()), "camMult": cam_mult(net, x0, cls, cam),
             "deletion": causal(net, x0, cls, cam, "deletion", step=STEP_FULL),
             "insertion": causal(net, x0, cls, cam, "insertion", step=STEP_FULL)}
        print(f"{name}: zeros {e['zeros']:.2f}  change {e['camMult']['change']:+.5f}  "
              f"deletion {e['deletion']['auc']:.4f}  insertion {e['insertion']['auc']:.4f}")
        layers.append(e)
    out = {"model": "resnet18-full", "onnx": meta["onnx"], "input": pgc_json, "class": cls, "inputShape": list(x.shape),
           "step": STEP_FULL, "seed": SEED, "mapsBin": "resnet18-full.bin", "generatedBy": "tools/metrics_reference.py",
           "layers": layers}
    ssim_fn, spearman_fn = similarity(args, out)
    out["mprt"] = mprt(net, x, cls, maps, ssim_fn, spearman_fn, print)
    if args.pgc:
        pgc_cam_mult(args.pgc, net, x0, cls, layers, maps)
    write("resnet18-full", out, maps)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subject", choices=["fashion-canvas", "resnet18-full"], default="fashion-canvas")
    ap.add_argument("--pgc", help="a pytorch-grad-cam checkout (the directory holding pytorch_grad_cam/)")
    ap.add_argument("--rise", help="an eclique/RISE checkout (the directory holding evaluation.py; fashion-canvas only)")
    ap.add_argument("--quantus", help="a Quantus checkout (the directory holding quantus/functions/)")
    args = ap.parse_args()
    {"fashion-canvas": fashion_canvas, "resnet18-full": resnet18_full}[args.subject](args)


if __name__ == "__main__":
    main()
