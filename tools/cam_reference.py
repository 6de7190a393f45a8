#!/usr/bin/python3
"""Reference CAMs computed in PyTorch from docs/cam-conventions.md.

Usage (Debian's /usr/bin/python3: torch 1.13, torchvision 0.14, onnx 1.12, numpy):

  /usr/bin/python3 tools/cam_reference.py                       # all models
  /usr/bin/python3 tools/cam_reference.py resnet18 fashion-canvas

Models: the test fixtures resnet18, mobilenet_v2, densenet121 (rebuilt with
tools/fixtures' builder, seed and BN recalibration; logits/activations checked
against their .grads.bin; input x and class from the .grads.bin), and the bundled
packages/cli/assets/fashion-canvas.onnx when it exists (forward evaluated from
the ONNX graph with torch ops, input = first sample PNG, class = argmax).

All maps are computed in float64 (forward, autograd gradients of the target
logit, formulas) and stored as float32.  Per layer (the fixture's mapped
modules; for fashion-canvas the stem and every stage output): gradcam,
hirescam, gradcamelementwise, gradcam++, xgradcam, layercam, eigencam,
eigengradcam; at the last layer also scorecam and ablationcam.

Output test/fixtures/cams/<model>.json + <model>.bin (float32 LE; offsets and
lengths count float32 elements): input x | logits | per layer, per method:
raw [h, w] | upsampled [H, W] | channel weights [C] (methods that have them).
Every map is also recomputed a second way (tools/cams/checks.py) and the script
fails if any check does.

  /usr/bin/python3 tools/cam_reference.py --variants [models]

writes test/fixtures/cam-variants/<model>.json + .bin in the same format for the
method variants of tools/cams/variants.py (KPCA-CAM, eigen and augmentation
smoothing; the JSON's "variants" maps each id to its computeCams options), each
map recomputed in numpy.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cams import compute as cam_compute  # noqa: E402
from cams import netwide  # noqa: E402
from cams import sources  # noqa: E402
from cams import variants  # noqa: E402
from fixtures.jsonfmt import to_json  # noqa: E402

OUT = os.path.join(sources.REPO, "test", "fixtures", "cams")
VARIANTS_OUT = os.path.join(sources.REPO, "test", "fixtures", "cam-variants")
NETWIDE_OUT = os.path.join(sources.REPO, "test", "fixtures", "cam-netwide")
METHOD_ORDER = cam_compute.ALL_LAYER_METHODS + cam_compute.LAST_LAYER_METHODS
# What a fixture set computes: its per-layer maps, their order, its own metadata.
METHODS = {"compute": cam_compute.compute, "order": METHOD_ORDER,
           "meta": {"methodsAllLayers": cam_compute.ALL_LAYER_METHODS, "methodsLastLayer": cam_compute.LAST_LAYER_METHODS}}
VARIANTS = {"compute": variants.compute, "order": list(variants.VARIANTS), "meta": {"variants": variants.VARIANTS}}
NETWIDE = {"compute": netwide.compute, "order": netwide.METHODS,
           "meta": {"target": "per method, see targets", "targets": netwide.TARGETS, "methodsAllLayers": netwide.METHODS}}


class Bin:
    def __init__(self):
        self.chunks, self.offset = [], 0

    def put(self, t):
        arr = (t.detach().cpu().numpy() if torch.is_tensor(t) else np.asarray(t)).astype("<f4").ravel()
        self.chunks.append(arr)
        start, self.offset = self.offset, self.offset + arr.size
        return start, int(arr.size)

    def write(self, path):
        data = np.concatenate(self.chunks)
        data.tofile(path)
        return data


def run_model(name, src, out_dir, log, suite=METHODS):
    t0 = time.time()
    net, x, cls = src["net"], src["x"], src["cls"]
    logits, layers, errs, *images = suite["compute"](net, x, cls, log=log)  # images: {key: [H, W]}
    for layer in layers:  # float64 autograd vs the exporter's float32 gradients
        stored = src.get("stored_grads", {}).get(layer["onnx"])
        if stored is not None:
            sources.require(f"float64 gradient at {layer['onnx']} vs .grads.bin",
                            sources.rel(layer["gradient"].numpy().ravel(), stored), 1e-4, log)
    b = Bin()
    x_off, x_len = b.put(x)
    l_off, l_len = b.put(logits)
    meta = {
        "model": name, "onnx": src["onnx"], "conventions": "docs/cam-conventions.md",
        "generatedBy": "tools/cam_reference.py",
        "dtype": "float32 little-endian; offsets and lengths count float32 elements",
        "precision": "computed in float64 (torch forward, autograd, formulas), stored as float32",
        "inputOffset": x_off, "inputLength": x_len, "inputShape": list(x.shape),
        "logitsOffset": l_off, "logitsLength": l_len,
        "class": cls, "target": "logits[0, class]", "targetLogit": float(logits[0, cls]),
        **{k: v for k, v in src["extra"].items() if k != "modules"},
        **suite["meta"],
        "layers": [],
    }
    expected = {}
    for layer in layers:
        entry = {"onnx": layer["onnx"]}
        if "modules" in src["extra"]:
            entry["module"] = src["extra"]["modules"][layer["onnx"]]
        _, C, h, w = layer["shape"]
        entry.update({"shape": layer["shape"], "rawShape": [h, w], "upShape": list(x.shape[2:]),
                      "activationMaxAbs": layer["activationMaxAbs"], "gradientMaxAbs": layer["gradientMaxAbs"],
                      "methods": {}})
        for mid in suite["order"]:
            m = layer["methods"].get(mid)
            if m is None:
                continue
            d = {}
            d["rawOffset"], d["rawLength"] = b.put(m["raw"])
            d["upOffset"], d["upLength"] = b.put(m["up"])
            expected[(layer["onnx"], mid)] = (d["rawOffset"], m["raw"]), (d["upOffset"], m["up"])
            d["rawMaxAbs"] = float(m["raw"].abs().max())
            if "weights" in m:
                d["weightsOffset"], d["weightsLength"] = b.put(m["weights"])
            if "singularValues" in m:  # conditioning of the first component / its sign
                d["singularValues"] = m["singularValues"]
                d["vSum"] = m["vSum"]
            if "eigenvalues" in m:  # KPCA: the top two of the centred kernel matrix
                d["eigenvalues"] = m["eigenvalues"]
            entry["methods"][mid] = d
        meta["layers"].append(entry)
    for key, t in (images[0] if images else {}).items():
        off, length = b.put(t)
        meta[key] = {"offset": off, "length": length, "shape": list(t.shape)}
        expected[key] = ((off, t),)
    meta["totalFloats"] = b.offset
    os.makedirs(out_dir, exist_ok=True)
    bin_path = os.path.join(out_dir, f"{name}.bin")
    meta["bin"] = f"{name}.bin"
    b.write(bin_path)
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        f.write(to_json(meta) + "\n")
    # read back: every stored map is the float64 map rounded to float32
    data = np.fromfile(bin_path, dtype="<f4")
    for pair in expected.values():
        for off, t in pair:
            ref = t.detach().numpy().astype(np.float32).ravel()
            if not np.array_equal(data[off:off + ref.size], ref):
                raise RuntimeError(f"{name}: read-back mismatch at offset {off}")
    if not np.array_equal(data[x_off:x_off + x_len], x.numpy().astype(np.float32).ravel()):
        raise RuntimeError(f"{name}: input read-back mismatch")
    summary = ", ".join(f"{k} {len(v)}x max {max(v):.1e}" for k, v in sorted(errs.items()))
    log(f"  checks passed: {summary}")
    log(f"  wrote {bin_path} ({os.path.getsize(bin_path)} bytes) in {time.time() - t0:.1f}s")
    return meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="*", help=f"default: {sources.FIXTURE_MODELS + [sources.BUNDLED]}")
    ap.add_argument("--variants", action="store_true",
                    help=f"KPCA-CAM, eigen and augmentation smoothing (tools/cams/variants.py) into {os.path.relpath(VARIANTS_OUT, sources.REPO)}")
    ap.add_argument("--netwide", action="store_true",
                    help=f"FullGrad and ShapleyCAM (tools/cams/netwide.py) into {os.path.relpath(NETWIDE_OUT, sources.REPO)}")
    ap.add_argument("--out", help=f"default: {os.path.relpath(OUT, sources.REPO)}, or with --variants / --netwide the folder above")
    ap.add_argument("--assets", default=sources.ASSETS, help="directory holding fashion-canvas.onnx")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    names = args.models or sources.FIXTURE_MODELS + [sources.BUNDLED]
    for name in names:
        print(f"{name}:", flush=True)
        log = lambda *a: print(*a, flush=True)  # noqa: E731
        if name == sources.BUNDLED:
            src = sources.bundled(args.assets, log=log)
            if src is None:
                print(f"  skipped: {os.path.join(args.assets, sources.BUNDLED + '.onnx')} does not exist yet")
                continue
        elif name in sources.FIXTURE_MODELS:
            src = sources.fixture(name, log=log)
        else:
            ap.error(f"unknown model {name}; known: {sources.FIXTURE_MODELS + [sources.BUNDLED]}")
        suite, out = (VARIANTS, VARIANTS_OUT) if args.variants else (NETWIDE, NETWIDE_OUT) if args.netwide else (METHODS, OUT)
        run_model(name, src, args.out or out, log, suite)


if __name__ == "__main__":
    main()
