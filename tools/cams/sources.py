"""Where each reference model, its input and its target class come from."""
import json
import os
import re

import numpy as np
import onnx
import torch

from .nets import FixtureNet, OnnxNet

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "test", "fixtures", "models")
ASSETS = os.path.join(REPO, "packages", "cli", "assets")
FIXTURE_MODELS = ["resnet18", "mobilenet_v2", "densenet121"]
BUNDLED = "fashion-canvas"


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def require(label, err, tol, log):
    log(f"  check {label}: rel err {err:.2e} (tol {tol:g})")
    if not err <= tol:
        raise RuntimeError(f"{label}: rel err {err:.3g} > {tol:g}")


def fixture(name, log=print):
    """Returns dict(net, x [1,3,H,W] float64, cls, onnx, extra) for a test fixture."""
    meta = json.load(open(os.path.join(FIXTURES, f"{name}.json")))
    g = meta["grads"]
    data = np.fromfile(os.path.join(FIXTURES, g["file"]), dtype="<f4")
    shape = g["inputShape"]
    x32 = torch.from_numpy(data[g["inputOffset"]:g["inputOffset"] + int(np.prod(shape))].reshape(shape).copy())
    stored_logits = data[g["logitsOffset"]:g["logitsOffset"] + int(np.prod(g["logitsShape"]))]
    net = FixtureNet(name, g)
    with torch.no_grad():
        y32 = net.model32(x32).numpy().ravel()
    require("float32 rebuild logits vs .grads.bin", rel(y32, stored_logits), 1e-4, log)
    net.to_double()
    x = x32.double()
    logits, acts = net.run(x)
    require("float64 logits vs .grads.bin", rel(logits.detach().numpy().ravel(), stored_logits), 1e-4, log)
    for t in g["tensors"]:
        a = data[t["activationOffset"]:t["activationOffset"] + t["length"]]
        require(f"float64 activation {t['module']} vs .grads.bin",
                 rel(acts[t["onnx"]].detach().numpy().ravel(), a), 1e-4, log)
    cls = int(g["class"])
    if int(np.argmax(stored_logits)) != cls:
        raise RuntimeError(f"{name}: stored class {cls} is not the argmax")
    stored_grads = {t["onnx"]: data[t["offset"]:t["offset"] + t["length"]] for t in g["tensors"]}
    return {"net": net, "x": x, "cls": cls, "onnx": os.path.relpath(os.path.join(FIXTURES, meta["file"]), REPO),
            "stored_grads": stored_grads,
            "extra": {"source": f"test/fixtures/models/{g['file']} (input x, class = argmax of the stored logits)",
                      "modules": {t["onnx"]: t["module"] for t in g["tensors"]}}}


def bundled_layers(proto):
    """Stem output and each stage's output (the last node of /stem/ and /stages.i/)."""
    last = {}
    for node in proto.graph.node:
        m = re.match(r"^/(stem|stages\.\d+)/", node.name)
        if m:
            last[m.group(1)] = node.output[0]
    keys = ["stem"] + sorted((k for k in last if k != "stem"), key=lambda k: int(k.split(".")[1]))
    return [last[k] for k in keys if k in last]


def _load_png(path):
    from PIL import Image
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)


def bundled(assets=ASSETS, log=print):
    path = os.path.join(assets, f"{BUNDLED}.onnx")
    if not os.path.exists(path):
        return None
    meta = json.load(open(os.path.join(assets, f"{BUNDLED}.json")))
    boxes = json.load(open(os.path.join(assets, "samples", "boxes.json")))
    sample = boxes["samples"][0]
    img = _load_png(os.path.join(assets, "samples", sample["file"]))
    pre = meta["preprocess"]
    mean, std = np.array(pre["mean"]), np.array(pre["std"])
    x = ((img.astype(np.float64) / 255.0 - mean) / std).transpose(2, 0, 1)[None]
    x = torch.from_numpy(np.ascontiguousarray(x))
    proto = onnx.load(path)
    layers = bundled_layers(proto)
    cam_layer = meta.get("camLayer", {}).get("tensor")
    if cam_layer and layers[-1] != cam_layer:
        raise RuntimeError(f"last stage output {layers[-1]} != camLayer {cam_layer}")
    net = OnnxNet(path, layers)
    with torch.no_grad():
        logits = net.run(x)[0].numpy().ravel()
    # independent forward: tools/bundled/onnx_ref.py (numpy)
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from bundled import onnx_ref
    outs, _ = onnx_ref.run(proto, {"input": x.numpy()})
    require("OnnxNet (torch) logits vs tools/bundled/onnx_ref (numpy)", rel(logits, outs[net.output_name].ravel()), 1e-9, log)
    if "expectedLogits" in sample:
        err = float(np.abs(logits - np.array(sample["expectedLogits"])).max())
        log(f"  check logits vs boxes.json expectedLogits (4 dp, torch float32): max abs {err:.2e}")
        if err > 2e-3:
            raise RuntimeError("bundled model logits differ from the sample's expectedLogits")
    cls = int(np.argmax(logits))
    return {"net": net, "x": x, "cls": cls, "onnx": os.path.relpath(path, REPO),
            "extra": {"source": f"{os.path.relpath(os.path.join(assets, 'samples', sample['file']), REPO)}"
                                f" (pixel/255, (x - mean)/std with fashion-canvas.json preprocess; "
                                f"class = argmax of the logits)",
                      "label": sample.get("label"), "className": sample.get("className")}}
