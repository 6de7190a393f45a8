#!/usr/bin/python3
"""A reduced-width R3D-18 (video, input [1, 3, 8, 112, 112]) and its references, for camanim's
3-D convolutions and per-frame CAMs. Debian's /usr/bin/python3 (python3-torch, -torchvision,
-onnx, -numpy, PIL); no network, random weights.

The model is torchvision's R3D-18 layout (torchvision/models/video/resnet.py: VideoResNet with
BasicBlock, Conv3DSimple and BasicStem: a 3x7x7 stem at stride (1, 2, 2), four stages of two
basic blocks, stride 2 in time and space from stage 2, a global average pool and a linear head)
at widths 8, 16, 24, 32 instead of 64..512, with a (1, 3, 3) max pool after the stem as I3D and
SlowFast stems have (so MaxPool over 5-D tensors is in the graph), and 10 classes. The
BatchNorms keep their nodes in the export (TrainingMode.PRESERVE), with randomized affines and
statistics recalibrated on random clips.

Writes:
  test/fixtures/models/r3d_18.{onnx,json,grads.bin}  whole-model parity fixture (the format of
      tools/export_models.py, read by test/parity: every tensor against onnxruntime, gradients
      of logits[0, c] against torch.autograd at the block outputs, layout of
      tools/fixtures/grads.py);
  packages/cli/test/fixtures/video/frame-{0..7}.png  an 8-frame 112x112 clip (a bright disc
      moving across a textured background);
  packages/cli/test/fixtures/video/r3d-gradcam.json  every block output's Grad-CAM of that clip (10 digits)
      in float64, from pytorch-grad-cam's 3-D convention (PR #466, grad_cam.py and base_cam.py):
      weights = the gradient's mean over T, H and W (get_cam_weights for 5-D grads), the map
      sum_c w_c A_c of shape [T', H', W'] (get_cam_image), before the library's ReLU and scaling;
      target logits[0, c], c the largest logit (ClassifierOutputTarget of the argmax). The clip
      is normalized with the Kinetics mean/std torchvision's video presets use.

Regenerate: /usr/bin/python3 tools/video_models.py
"""
import io
import json
import os
import sys
import warnings
import zlib

import numpy as np
import onnx
import torch
from PIL import Image
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures.jsonfmt import to_json  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(REPO, "test", "fixtures", "models")
VIDEO = os.path.join(REPO, "packages", "cli", "test", "fixtures", "video")
NAME = "r3d_18"
SHAPE = [1, 3, 8, 112, 112]
WIDTHS = [8, 16, 24, 32]
CLASSES = 10
OPSET = 13
# torchvision's video classification presets (Kinetics-400): transforms/_presets.py VideoClassification
MEAN = [0.43216, 0.394666, 0.37645]
STD = [0.22803, 0.22145, 0.216989]


class Block(nn.Module):
    """torchvision's video BasicBlock (Conv3DSimple: 3x3x3, stride s in T, H and W), ReLUs as separate modules."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm3d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv3d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm3d(cout)
        self.relu2 = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv3d(cin, cout, 1, stride, bias=False), nn.BatchNorm3d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(y + (x if self.downsample is None else self.downsample(x)))


class R3D(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv3d(3, WIDTHS[0], (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False), nn.BatchNorm3d(WIDTHS[0]), nn.ReLU())
        self.pool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))
        stages, cin = [], WIDTHS[0]
        for i, w in enumerate(WIDTHS):
            stages.append(nn.Sequential(Block(cin, w, 1 if i == 0 else 2), Block(w, w, 1)))
            cin = w
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(cin, CLASSES)

    def forward(self, x):
        x = self.pool(self.stem(x))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


# The explained layers: module -> the ONNX tensor torch.onnx names its output.
LAYERS = ["stem.2", *[f"layer{s}.{b}.relu2" for s in range(1, 5) for b in range(2)]]
# Gradients in the fixtures: the block outputs (the stem's would double the fixtures' size).
GRAD_LAYERS = LAYERS[1:]


def onnx_name(module):
    """'layer1.0.relu2' -> '/layer1/layer1.0/relu2/Relu_output_0' (torch.onnx's scopes: a Sequential's index joins its parent's)."""
    scopes = []
    for part in module.split("."):
        scopes.append(f"{scopes[-1]}.{part}" if part.isdigit() else part)
    return "/" + "/".join(scopes) + "/Relu_output_0"


def build(seed):
    torch.manual_seed(seed)
    net = R3D()
    gen = torch.Generator().manual_seed(seed + 1)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm3d):
            m.weight.data = 0.5 + torch.rand(m.weight.shape, generator=gen)
            m.bias.data = 0.2 * torch.randn(m.bias.shape, generator=gen)
            m.momentum = None  # cumulative average over the calibration clips
    net.train()
    with torch.no_grad():
        for _ in range(4):
            net(torch.randn(4, *SHAPE[1:], generator=gen))
    return net.eval()


def export(net):
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # PRESERVE + folding warns about models in training mode; ours is in eval
        warnings.filterwarnings("ignore", message="It is recommended that constant folding")
        torch.onnx.export(net, torch.randn(*SHAPE), buf, opset_version=OPSET, input_names=["video"], output_names=["logits"],
                          dynamic_axes={"video": {0: "batch"}, "logits": {0: "batch"}}, training=torch.onnx.TrainingMode.PRESERVE)
    model = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(model)
    outputs = {o for n in model.graph.node for o in n.output}
    missing = [onnx_name(m) for m in LAYERS if onnx_name(m) not in outputs]
    if missing:
        raise RuntimeError(f"tensors not in the export: {missing}")
    return model


def hooked(net, x, modules):
    """logits and the named modules' outputs."""
    mods = dict(net.named_modules())
    acts = {}
    handles = [mods[m].register_forward_hook(lambda _m, _i, out, m=m: acts.__setitem__(m, out)) for m in modules]
    try:
        logits = net(x)
    finally:
        for h in handles:
            h.remove()
    return logits, [acts[m] for m in modules]


def parity_fixture(net, model, seed):
    """The parity fixture: .grads.bin is float32 LE x | logits | grads | activations | d logit / d x (offsets in floats)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*SHAPE, generator=gen).requires_grad_(True)
    logits, acts = hooked(net, x, GRAD_LAYERS)
    c = int(logits[0].argmax())
    gs = torch.autograd.grad(logits[0, c], acts + [x])
    parts = [x, logits, *gs[:-1], *acts, gs[-1]]
    starts = np.cumsum([0] + [p.numel() for p in parts]).tolist()
    np.concatenate([p.detach().numpy().astype("<f4").ravel() for p in parts]).tofile(os.path.join(MODELS, f"{NAME}.grads.bin"))
    k = len(GRAD_LAYERS)
    tensors = [{"module": m, "onnx": onnx_name(m), "shape": list(g.shape), "offset": starts[2 + i], "length": g.numel(), "activationOffset": starts[2 + k + i]}
               for i, (m, g) in enumerate(zip(GRAD_LAYERS, gs))]
    path = os.path.join(MODELS, f"{NAME}.onnx")
    onnx.save(model, path)
    meta = {
        "name": NAME, "file": f"{NAME}.onnx", "opset": OPSET, "input": {"name": "video", "shape": SHAPE}, "numClasses": CLASSES,
        "bytes": os.path.getsize(path), "seed": seed, "ops": sorted({n.op_type for n in model.graph.node}),
        "grads": {"file": f"{NAME}.grads.bin", "seed": seed, "class": c, "target": "logits[0, class]", "task": "classify",
                  "inputOffset": 0, "inputShape": SHAPE, "logitsOffset": starts[1], "logitsShape": list(logits.shape),
                  "inputGradOffset": starts[-2], "inputGradLength": x.numel(), "tensors": tensors, "totalFloats": starts[-1]},
    }
    with open(os.path.join(MODELS, f"{NAME}.json"), "w") as f:
        f.write(to_json(meta) + "\n")
    print(f"{NAME}: {meta['bytes'] / 1e3:.0f} kB, class {c}, ops {', '.join(meta['ops'])}")


def clip():
    """[T, H, W, 3] uint8: a bright disc moving left to right over a fixed colour texture."""
    t, h, w = SHAPE[2:]
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(xx * 2) % 256, (yy * 3) % 256, ((xx + yy) * 5) % 256], -1).astype(np.float64) * 0.5
    frames = []
    for k in range(t):
        cx, cy = 20 + k * 10, 40 + 3 * k
        disc = ((xx - cx) ** 2 + (yy - cy) ** 2) < 15 ** 2
        f = base.copy()
        f[disc] = [250, 230, 60]
        frames.append(f.round().astype(np.uint8))
    return np.stack(frames)


def gradcam_reference(net, frames):
    net = net.double()
    x = (frames.astype(np.float64) / 255 - MEAN) / STD  # [T, H, W, 3]
    x = torch.from_numpy(x.transpose(3, 0, 1, 2)[None].copy())  # [1, 3, T, H, W]
    logits, acts = hooked(net, x, GRAD_LAYERS)
    c = int(logits[0].argmax())
    gs = torch.autograd.grad(logits[0, c], acts)
    layers = []
    for m, a, g in zip(GRAD_LAYERS, acts, gs):
        w = g[0].mean(dim=(1, 2, 3))  # get_cam_weights: np.mean(grads, axis=(2, 3, 4))
        cam = (w[:, None, None, None] * a[0]).sum(0)  # get_cam_image: (weights * activations).sum(axis=1)
        layers.append({"name": onnx_name(m), "shape": list(cam.shape), "raw": [float(f"{v:.10g}") for v in cam.flatten().tolist()]})
    return {"category": c, "score": float(logits[0, c]), "mean": MEAN, "std": STD, "layers": layers}


def main():
    torch.set_num_threads(1)
    seed = zlib.crc32(NAME.encode()) & 0x7FFFFFFF
    net = build(seed)
    parity_fixture(net, export(net), seed)
    os.makedirs(VIDEO, exist_ok=True)
    frames = clip()
    for k, f in enumerate(frames):
        Image.fromarray(f).save(os.path.join(VIDEO, f"frame-{k}.png"))
    ref = gradcam_reference(net, frames)
    with open(os.path.join(VIDEO, "r3d-gradcam.json"), "w") as f:
        json.dump(ref, f)
    print(f"r3d-gradcam.json: class {ref['category']}, layers {[tuple(l['shape']) for l in ref['layers']]}")


if __name__ == "__main__":
    main()
