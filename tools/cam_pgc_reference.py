#!/usr/bin/python3
"""FEM, FinerCAM, LayerCAM multi-layer fusion, Guided Backpropagation / Guided Grad-CAM and Deep
Feature Factorization computed by pytorch-grad-cam itself, as fixtures.

Usage (Debian's /usr/bin/python3: torch, torchvision, numpy, scipy, python3-opencv, python3-sklearn):

  /usr/bin/python3 tools/export_models.py --full resnet18 --out bench-models/   # the full-size model (once)
  /usr/bin/python3 tools/cam_pgc_reference.py --pgc /path/to/pytorch-grad-cam [resnet18 resnet18-full]

Writes test/fixtures/cam-pgc/<model>.json + .bin (float32 LE; offsets and lengths in floats). With
--pgc, a checkout the user supplies (the directory holding pytorch_grad_cam/) is imported without
its package __init__ (tools/road_pgc_reference.py's load_pgc; ttach, used only by aug_smooth, is
stubbed), and the library's own classes give every number. Nothing of the library is copied here.

Models, both float64 (the library's numpy code then runs in float64, sklearn's NMF too):
- resnet18: the reduced fixture (tools/fixtures, 64x64, 100 classes), every layer of its
  .grads.bin, its stored input and class;
- resnet18-full: torchvision's resnet18 at full size (224x224, 1000 classes), random-initialised
  exactly as export_models.py --full builds bench-models/resnet18.onnx (seed, BN recalibration),
  at three depths (layer1, layer3, layer4); input RandomState(14) N(0, 1), class = argmax.

Per layer: the raw CAM each library class computes (get_cam_image's return, before its ReLU) for
FEM (k = 2), FinerCAM (GradCAM base, target_idx = class, comparison [1, 2, 3], alpha 1) and LayerCAM;
the LayerCAM fusion of layers 1..L (LayerCAM with target_layers = the first L, the library's
aggregate_multi_layers); GradCAM's map (the library's output) and Guided Grad-CAM =
deprocess_image(map x guided backprop) as cam.py writes it; DFF (n_components 5): dff()'s concepts
[C, K] and maps [K, h, w], and at the last layer the concepts through the model's fc, softmaxed.
Once per model: GuidedBackpropReLUModel's input gradient [H, W, 3] and deprocess_image of it.
"""
import argparse
import json
import os
import sys
import types
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cam_reference import Bin  # noqa: E402
from cams import sources  # noqa: E402
from fixtures.jsonfmt import to_json  # noqa: E402
from road_pgc_reference import load_pgc  # noqa: E402

OUT = os.path.join(sources.REPO, "test", "fixtures", "cam-pgc")
FULL_LAYERS = ["layer1", "layer3", "layer4"]


def import_pgc(path):
    load_pgc(path)  # the package stubs and matplotlib's
    root = os.path.join(os.path.abspath(path), "pytorch_grad_cam")
    ff = sys.modules["pytorch_grad_cam.feature_factorization"] = types.ModuleType("pytorch_grad_cam.feature_factorization")
    ff.__path__ = [os.path.join(root, "feature_factorization")]
    tta = sys.modules.setdefault("ttach", types.ModuleType("ttach"))
    for name in ("Compose", "HorizontalFlip", "Multiply"):
        setattr(tta, name, lambda *a, **k: None)
    import importlib
    mods = {"grad_cam": importlib.import_module("pytorch_grad_cam.grad_cam")}
    sys.modules["pytorch_grad_cam"].GradCAM = mods["grad_cam"].GradCAM  # finer_cam.py imports it from the package
    mods.update({m: importlib.import_module(f"pytorch_grad_cam.{m}") for m in
                 ("fem", "finer_cam", "layer_cam", "guided_backprop", "utils.image", "utils.model_targets",
                  "feature_factorization.deep_feature_factorization")})
    return types.SimpleNamespace(
        FEM=mods["fem"].FEM, FinerCAM=mods["finer_cam"].FinerCAM, LayerCAM=mods["layer_cam"].LayerCAM,
        GradCAM=mods["grad_cam"].GradCAM, GuidedBackpropReLUModel=mods["guided_backprop"].GuidedBackpropReLUModel,
        deprocess_image=mods["utils.image"].deprocess_image,
        ClassifierOutputTarget=mods["utils.model_targets"].ClassifierOutputTarget,
        dff=mods["feature_factorization.deep_feature_factorization"].dff)


def reduced():
    src = sources.fixture("resnet18", log=lambda m: None)
    net = src["net"]
    model = net.model
    for p in model.parameters():
        p.requires_grad_(True)  # the library's backward needs a graph (to_double froze them)
    mods = dict(model.named_modules())
    layers = [(onnx, mods[net.modules[onnx]]) for onnx in net.layers]
    return {"model": model, "x": src["x"], "cls": src["cls"], "onnx": src["onnx"], "layers": layers, "fc": model.fc}


def full():
    from fixtures.models import full_spec
    from fixtures.prepare import prepare
    seed = zlib.crc32(b"resnet18") & 0x7FFFFFFF  # export_models.model_seed
    torch.manual_seed(seed)
    model, _ = prepare(full_spec("resnet18").build(), 224, seed, batches=2, batch_size=4)  # as export_one(--full)
    model = model.double().eval()
    x = torch.from_numpy(np.random.RandomState(14).standard_normal((1, 3, 224, 224)).astype(np.float32)).double()
    with torch.no_grad():
        cls = int(model(x).argmax())
    layers = [(f"/{n}/{n}.1/relu_1/Relu_output_0", getattr(model, n)) for n in FULL_LAYERS]
    return {"model": model, "x": x, "cls": cls, "onnx": "bench-models/resnet18.onnx", "layers": layers, "fc": model.fc}


def raw_cams(cam, inner, call):
    """Calls the library and returns what each layer's get_cam_image returned, and the output."""
    captured, orig = [], inner.get_cam_image
    inner.get_cam_image = lambda *a, **k: captured.append(orig(*a, **k)) or captured[-1]
    out = call()
    return [np.asarray(c, np.float64)[0] for c in captured], out


def compute(pgc, m, log):
    model, x, cls = m["model"], m["x"], m["cls"]
    mods = [mod for _, mod in m["layers"]]
    target = [pgc.ClassifierOutputTarget(cls)]
    fem = pgc.FEM(model, mods)
    fem_raw, _ = raw_cams(fem, fem, lambda: fem(input_tensor=x, targets=target))
    finer = pgc.FinerCAM(model, mods)
    finer_raw, _ = raw_cams(finer, finer.base_cam, lambda: finer(input_tensor=x, target_idx=cls))
    lc = pgc.LayerCAM(model, mods)
    layercam_raw, _ = raw_cams(lc, lc, lambda: lc(input_tensor=x, targets=target))
    gb = pgc.GuidedBackpropReLUModel(model, device="cpu")(x.clone(), target_category=cls)  # [H, W, 3]
    out = {"gb": gb, "gbImage": pgc.deprocess_image(gb), "layers": []}
    with torch.no_grad():
        logits = model(x)[0].numpy()
    out["logits"] = logits
    for k, (name, mod) in enumerate(m["layers"]):
        fused = pgc.LayerCAM(model, mods[:k + 1])(input_tensor=x, targets=target)[0]
        gradcam = pgc.GradCAM(model, [mod])(input_tensor=x, targets=target)[0]
        cam_gb = pgc.deprocess_image(np.stack([gradcam] * 3, axis=-1) * gb)
        with torch.no_grad():
            acts = {}
            h = mod.register_forward_hook(lambda _m, _i, o: acts.update(a=o.detach().numpy().copy()))  # returns None: output kept
            model(x)
            h.remove()
        concepts, maps = pgc.dff(acts["a"], n_components=5)  # [C, K], [N, K, h, w]
        layer = {"onnx": name, "fem": fem_raw[k], "finercam": finer_raw[k], "layercam": layercam_raw[k],
                 "fusion": fused, "gradcamMap": gradcam, "guidedGradcam": cam_gb,
                 "dffConcepts": concepts.T, "dffMaps": maps[0]}
        if k == len(mods) - 1:
            with torch.no_grad():
                layer["dffClasses"] = torch.softmax(m["fc"](torch.from_numpy(concepts.T.copy())), -1).numpy()
        out["layers"].append(layer)
        log(f"  {name}: fem {np.abs(fem_raw[k]).max():.3g}, finercam {np.abs(finer_raw[k]).max():.3g}, "
            f"dff concepts {concepts.shape}")
    return out


def write(name, m, res):
    b = Bin()
    put = lambda a: dict(zip(("offset", "length"), b.put(np.asarray(a, np.float64))))  # noqa: E731
    meta = {"model": name, "onnx": m["onnx"], "inputShape": list(m["x"].shape), "class": m["cls"],
            "input": put(m["x"]), "logits": put(res["logits"]), "guidedBackprop": put(res["gb"]),
            "guidedBackpropImage": put(res["gbImage"]), "dffComponents": 5, "layers": []}
    for layer in res["layers"]:
        meta["layers"].append({"onnx": layer["onnx"], "shape": list(layer["fem"].shape),
                               **{k: put(v) for k, v in layer.items() if k != "onnx"}})
    meta["bin"] = f"{name}.bin"
    b.write(os.path.join(OUT, f"{name}.bin"))
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        f.write(to_json(meta) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pgc", required=True, help="a pytorch-grad-cam checkout (the directory holding pytorch_grad_cam/)")
    ap.add_argument("models", nargs="*", default=["resnet18", "resnet18-full"])
    args = ap.parse_args()
    pgc = import_pgc(args.pgc)
    os.makedirs(OUT, exist_ok=True)
    for name in args.models:
        print(name, flush=True)
        m = {"resnet18": reduced, "resnet18-full": full}[name]()
        write(name, m, compute(pgc, m, print))


if __name__ == "__main__":
    main()
