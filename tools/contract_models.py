#!/usr/bin/python3
"""Model-contract fixtures (issue #12): small ONNX models in the conventions real exporters write.

Usage (Debian's /usr/bin/python3 with python3-torch 1.13, python3-onnx 1.12, numpy,
python3-pil; `node` and `pnpm install` done in test/ for onnxruntime-node):

  /usr/bin/python3 tools/contract_models.py          # -> packages/cli/test/fixtures/contract/
  /usr/bin/python3 tools/contract_models.py --out DIR

Every model shares one random-init network (fixed seed, no downloads):
  backbone  Conv3x3(3->8,s2,p1) ReLU Conv3x3(8->16,s2,p1) BatchNorm ReLU Conv3x3(16->16,s2,p1) ReLU
            (total stride 8; BatchNorm has randomised running stats/affine, eval mode, so
            torch.onnx folds it into the second Conv)
  head      GlobalAveragePool Flatten Gemm(16->10)
The models differ only in what an exporter writes around it (input names, symbolic dims,
NHWC input, final Softmax/LogSoftmax/Sigmoid, output names, metadata_props) and in the
preprocessing their user is meant to apply (`convention` in expected.json). The two that
take 0..255 BGR pixels (caffe-bgr, winml-metadata) have conv1 re-parameterised for that
input (raw_pixel_weights), as if trained on it; the sequence and segment heads add a
Linear(16->37) / Conv1x1(16->10) from the same seed.

expected.json + expected.bin hold, per model, the preprocessed input tensor (computed here
with numpy from the PNG and the convention, never from camanim), every output as computed
by onnxruntime-node, and for models ending in Softmax/LogSoftmax/Sigmoid the tensor feeding
that node (read from ORT via a temporary copy with it as an extra graph output). The script
fails unless ORT equals torch to 1e-5 and every classifier's pre-activation equals
base-fixed's logits to 1e-5. Output is byte-for-byte deterministic.
"""
import argparse
import copy
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures.jsonfmt import to_json  # noqa: E402
from fixtures.verify_ort import run_node_jobs, with_outputs  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "packages", "cli", "test", "fixtures", "contract")
SEED = 12  # the issue number
H, W = 48, 192
NUM_CLASSES, SEQ_CLASSES = 10, 37
TOL = 1e-5
MAX_TOTAL_BYTES = 3 * 1024 * 1024

# --- preprocessing conventions ------------------------------------------------------------
# mean/std are in the units of the scaled pixels (scale 1: 0..1, scale 255: 0..255) and are
# listed in the channel order of the model's input tensor (for order BGR: B, G, R).
# PaddleOCR's recogniser/classifier convention: (x/255 - 0.5) / 0.5, RGB.
PADDLE = {"size": [H, W], "layout": "NCHW", "order": "RGB", "scale": 1,
          "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
PADDLE_NHWC = dict(PADDLE, layout="NHWC")
# Caffe: BGR, 0..255, minus the ImageNet mean pixel (B, G, R) = (103.939, 116.779, 123.68),
# no std. Source: Keras' keras/applications/imagenet_utils.py, preprocess_input(mode='caffe')
# ("convert the images from RGB to BGR, then zero-center each color channel with respect to
# the ImageNet dataset, without scaling"; mean = [103.939, 116.779, 123.68]), the values of
# the original Caffe VGG/ResNet releases (ksimonyan's VGG gist: "the following BGR values
# should be subtracted: [103.939, 116.779, 123.68]").
CAFFE = {"size": [H, W], "layout": "NCHW", "order": "BGR", "scale": 255,
         "mean": [103.939, 116.779, 123.68], "std": [1.0, 1.0, 1.0]}
# Windows ML image metadata: Bgr8 + NominalRange_0_255 = BGR pixels 0..255, nothing else.
WINML = {"size": [64, 64], "layout": "NCHW", "order": "BGR", "scale": 255,
         "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}

# Windows ML / ONNX image metadata, keys and values as onnx/onnx docs/MetadataProps.md
# ("Image Category Definition", https://onnx.ai/onnx/repo-docs/MetadataProps.html) defines
# them and Windows ML reads them (learn.microsoft.com, Windows.AI.MachineLearning
# LearningModelPixelRange / "the proper value is specified in a machine learning model's
# metadata"). They apply to tensors whose type denotation is IMAGE, so the input gets that
# denotation (and DATA_BATCH / DATA_CHANNEL / DATA_FEATURE on its dims, docs/TypeDenotation.md
# and docs/DimensionDenotation.md).
WINML_PROPS = {"Image.BitmapPixelFormat": "Bgr8", "Image.ColorSpaceGamma": "SRGB",
               "Image.NominalPixelRange": "NominalRange_0_255"}

# Free-form JSON in metadata_props: the QGIS "Deepness" plugin (PUTvision/qgis-plugin-deepness,
# docs/source/creators/creators_add_metadata_to_model.rst and tools/add_model_metadata.py)
# tells model authors to write every value with json.dumps, e.g. class_names as a JSON object
# with string keys and standardization_mean / standardization_std as JSON lists, applied
# "after normalisation" (x/255) by its preprocessing_utils.standardize_values.
DEEPNESS_PROPS = {
    "class_names": json.dumps({str(i): f"class_{i}" for i in range(NUM_CLASSES)}),
    "standardization_mean": json.dumps([0.5, 0.5, 0.5]),
    "standardization_std": json.dumps([0.5, 0.5, 0.5]),
}


# --- network ------------------------------------------------------------------------------
class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 2, 1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 16, 3, 2, 1)
        self.bn = nn.BatchNorm2d(16)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(16, 16, 3, 2, 1)
        self.relu3 = nn.ReLU()

    def forward(self, x):
        x = self.relu1(self.conv1(x))
        x = self.relu2(self.bn(self.conv2(x)))
        return self.relu3(self.conv3(x))


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(16, NUM_CLASSES)


def build_weights():
    """One backbone + head + the sequence/segment heads, all from SEED."""
    g = torch.Generator().manual_seed(SEED)
    backbone, head = Backbone(), Head()
    seq_fc, seg_conv = nn.Linear(16, SEQ_CLASSES), nn.Conv2d(16, NUM_CLASSES, 1)
    with torch.no_grad():
        for conv in (backbone.conv1, backbone.conv2, backbone.conv3, seg_conv):
            fan_in = conv.weight[0].numel()
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
            conv.bias.copy_(torch.randn(conv.bias.shape, generator=g) * 0.1)
        bn = backbone.bn
        bn.running_mean.copy_(torch.randn(16, generator=g) * 0.3)
        bn.running_var.copy_(0.5 + 1.5 * torch.rand(16, generator=g))
        bn.weight.copy_(0.6 + 0.8 * torch.rand(16, generator=g))
        bn.bias.copy_(torch.randn(16, generator=g) * 0.2)
        for fc, gain in ((head.fc, 3.0), (seq_fc, 3.0)):
            fc.weight.copy_(torch.randn(fc.weight.shape, generator=g) * gain / 16 ** 0.5)
            fc.bias.copy_(torch.randn(fc.bias.shape, generator=g) * 0.1)
    for m in (backbone, head, seq_fc, seg_conv):
        m.eval()
    return backbone, head, seq_fc, seg_conv


def raw_pixel_weights(weights, conv):
    """The network as it would be trained on `conv`'s preprocessing instead of PADDLE's: conv1
    re-parameterised so that it computes, from the same raw pixels, what base's conv1 computes
    (input channels permuted for BGR, weights and bias absorbing scale/mean/std). Only the
    zero padding differs (a zero here is not a zero there), i.e. conv1's first output row and
    column. Without this, 0..255 input through base's weights gives logits of +-250."""
    backbone = copy.deepcopy(weights[0])
    perm = [2, 1, 0] if conv["order"] == "BGR" else [0, 1, 2]  # tensor channel -> RGB channel
    k = 255.0 if conv["scale"] == 1 else 1.0                    # tensor units -> 0..255 pixels
    # base sees x_b[perm[c]] = p / 127.5 - 1 with p = (x[c] * std[c] + mean[c]) * k
    w0, b0 = weights[0].conv1.weight.detach().double(), weights[0].conv1.bias.detach().double()
    gain = torch.tensor([conv["std"][c] * k / 127.5 for c in range(3)], dtype=torch.float64)
    shift = torch.tensor([conv["mean"][c] * k / 127.5 - 1.0 for c in range(3)], dtype=torch.float64)
    w_perm = w0[:, perm]
    with torch.no_grad():
        backbone.conv1.weight.copy_((w_perm * gain[None, :, None, None]).float())
        backbone.conv1.bias.copy_((b0 + (w_perm * shift[None, :, None, None]).sum(dim=(1, 2, 3))).float())
    return (backbone,) + tuple(weights[1:])


class Net(nn.Module):
    """kind: classifier | two-outputs | sequence | segment; final: None | softmax | logsoftmax | sigmoid."""

    def __init__(self, weights, kind="classifier", final=None, nhwc=False):
        super().__init__()
        self.backbone, self.head, self.seq_fc, self.seg_conv = weights
        self.kind, self.final, self.nhwc = kind, final, nhwc

    def forward(self, x):
        if self.nhwc:
            x = x.permute(0, 3, 1, 2)
        f = self.backbone(x)
        if self.kind == "sequence":
            s = self.seq_fc(f.mean(dim=2).permute(0, 2, 1))  # [N, 16, T] -> [N, T, 16] -> [N, T, 37]
            return torch.softmax(s, dim=-1)
        if self.kind == "segment":
            return F.interpolate(self.seg_conv(f), size=(H, W), mode="bilinear", align_corners=False)
        feats = self.head.flatten(self.head.pool(f))
        logits = self.head.fc(feats)
        if self.kind == "two-outputs":
            return feats, logits
        if self.final == "softmax":
            return torch.softmax(logits, dim=-1)
        if self.final == "logsoftmax":
            return torch.log_softmax(logits, dim=-1)
        if self.final == "sigmoid":
            return torch.sigmoid(logits)
        return logits


RAW_NOTE = ("conv1 is base-fixed's re-parameterised for this convention (input channels reversed for BGR, weights "
            "scaled for 0..255, mean folded into the bias; raw_pixel_weights), the rest is base's: from the same pixels "
            "it computes base's function except where conv1 reads its zero padding, so its logits are close to, not "
            "equal to, base-fixed's on the same image")

# --- model table --------------------------------------------------------------------------
# dims: the graph input's dims as written (str = symbolic). out_dims: per output.
IMG_WIDE, IMG_SQUARE = "image-48x192.png", "image-64x64.png"
MODELS = [
    dict(name="base-fixed", mimics="torch.onnx.export of the classifier, fixed H/W: the twin every other model is compared with",
         input="input", dims=["batch", 3, H, W], outputs=["logits"], out_dims=[["batch", NUM_CLASSES]],
         convention=PADDLE, image=IMG_WIDE),
    dict(name="paddle-symbolic", mimics="paddle2onnx: every dim but C symbolic (p2o.DynamicDimension.*), graph ends in Softmax, "
         "output save_infer_model/scale_0.tmp_1, opset 11, producer PaddlePaddle",
         input="x", dims=["p2o.DynamicDimension.0", 3, "p2o.DynamicDimension.1", "p2o.DynamicDimension.2"],
         outputs=["save_infer_model/scale_0.tmp_1"], out_dims=[["p2o.DynamicDimension.0", NUM_CLASSES]],
         final="softmax", opset=11, producer=("PaddlePaddle", None), convention=PADDLE, image=IMG_WIDE),
    dict(name="softmax-fixed", mimics="a torch classifier exported with its Softmax (output probs)",
         input="input", dims=["batch", 3, H, W], outputs=["probs"], out_dims=[["batch", NUM_CLASSES]],
         final="softmax", convention=PADDLE, image=IMG_WIDE),
    dict(name="logsoftmax", mimics="a classifier exported with LogSoftmax (NLL-trained heads)",
         input="input", dims=["batch", 3, H, W], outputs=["log_probs"], out_dims=[["batch", NUM_CLASSES]],
         final="logsoftmax", convention=PADDLE, image=IMG_WIDE),
    dict(name="sigmoid", mimics="a multi-label classifier ending in Sigmoid",
         input="input", dims=["batch", 3, H, W], outputs=["scores"], out_dims=[["batch", NUM_CLASSES]],
         final="sigmoid", convention=PADDLE, image=IMG_WIDE),
    dict(name="two-outputs", mimics="a model exporting its embedding beside the logits (features first)",
         input="input", dims=["batch", 3, H, W], outputs=["features", "logits"],
         out_dims=[["batch", 16], ["batch", NUM_CLASSES]], kind="two-outputs", convention=PADDLE, image=IMG_WIDE),
    dict(name="tf2onnx-nhwc", mimics="tf2onnx of a Keras model: NHWC input input_1 with batch unk__12, a Transpose(0,3,1,2) "
         "first in the graph, final Softmax, output dense_1, producer tf2onnx",
         input="input_1", dims=["unk__12", H, W, 3], outputs=["dense_1"], out_dims=[["unk__13", NUM_CLASSES]],
         final="softmax", nhwc=True, producer=("tf2onnx", None), convention=PADDLE_NHWC, image=IMG_WIDE),
    dict(name="caffe-bgr", mimics="a Caffe-converted classifier (input blob data): expects BGR 0..255 minus the ImageNet "
         "mean pixel; nothing in the graph says so",
         notes=RAW_NOTE, input="data", dims=["batch", 3, H, W], outputs=["logits"], out_dims=[["batch", NUM_CLASSES]],
         convention=CAFFE, image=IMG_WIDE),
    dict(name="winml-metadata", mimics="Windows ML image metadata (Image.BitmapPixelFormat etc. in metadata_props, input "
         "type denotation IMAGE), fixed [1,3,64,64]",
         notes=RAW_NOTE, input="data", dims=[1, 3, 64, 64], outputs=["logits"], out_dims=[[1, NUM_CLASSES]],
         props=WINML_PROPS, denotation=True, convention=WINML, image=IMG_SQUARE),
    dict(name="sequence", mimics="a CTC text recogniser (CRNN/PaddleOCR rec style): mean over H, [N,T,37] softmax over the "
         "last axis, T = W/8",
         input="input", dims=["batch", 3, H, W], outputs=["ctc_probs"], out_dims=[["batch", W // 8, SEQ_CLASSES]],
         kind="sequence", convention=PADDLE, image=IMG_WIDE),
    dict(name="segment", mimics="a segmentation head: Conv1x1(16->10) and a bilinear Resize back to the input size",
         input="input", dims=["batch", 3, H, W], outputs=["out"], out_dims=[["batch", NUM_CLASSES, H, W]],
         kind="segment", convention=PADDLE, image=IMG_WIDE),
    dict(name="metadata-json", mimics="base with symbolic H/W and JSON-valued metadata_props (the QGIS Deepness plugin's "
         "convention: class_names, standardization_mean, standardization_std written with json.dumps)",
         input="input", dims=["batch", 3, "height", "width"], outputs=["logits"], out_dims=[["batch", NUM_CLASSES]],
         props=DEEPNESS_PROPS, convention=PADDLE, image=IMG_WIDE),
]
CLASSIFIERS_WITH_BASE_LOGITS = ["paddle-symbolic", "softmax-fixed", "logsoftmax", "sigmoid", "tf2onnx-nhwc"]


# --- images -------------------------------------------------------------------------------
def image_wide():
    """48x192: horizontal gradient, letter-like strokes, a box and a disc (text-line-ish)."""
    xs = np.linspace(0.0, 1.0, W)[None, :, None]
    ys = np.linspace(0.0, 1.0, H)[:, None, None]
    base = np.concatenate([40 + 180 * xs + 0 * ys, 60 + 80 * ys + 0 * xs, 200 - 150 * xs + 20 * ys], axis=2)
    img = Image.fromarray(np.clip(np.round(base), 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    d.line([(10, 38), (20, 8), (30, 38)], fill=(250, 250, 240), width=3)       # "A"
    d.line([(15, 26), (25, 26)], fill=(250, 250, 240), width=2)
    d.line([(40, 8), (40, 38)], fill=(20, 20, 30), width=3)                    # "L"
    d.line([(40, 38), (54, 38)], fill=(20, 20, 30), width=3)
    d.ellipse([62, 8, 90, 38], outline=(255, 220, 0), width=3)                 # "O"
    d.line([(100, 8), (112, 38), (124, 8)], fill=(230, 30, 40), width=3)       # "V"
    d.rectangle([134, 12, 156, 34], fill=(30, 180, 60))                         # box
    d.ellipse([166, 14, 186, 34], fill=(10, 10, 10))                            # disc
    d.point([(166 + k, 4) for k in range(0, 20, 2)], fill=(255, 255, 255))      # dotted rule
    return img


def image_square():
    """64x64: diagonal gradient, a red triangle, a blue ring and a yellow bar."""
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float64) / 63.0
    base = np.stack([30 + 120 * xx, 50 + 150 * yy, 120 + 100 * (1 - xx) * yy], axis=2)
    img = Image.fromarray(np.clip(np.round(base), 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    d.polygon([(6, 56), (22, 8), (36, 52)], fill=(220, 30, 30))
    d.ellipse([34, 6, 60, 32], outline=(20, 40, 230), width=4)
    d.rectangle([40, 42, 60, 50], fill=(250, 230, 20))
    d.line([(4, 4), (30, 4)], fill=(255, 255, 255), width=2)
    return img


def preprocess(pixels, conv):
    """uint8 HxWx3 RGB -> float32 [1, C, H, W] or [1, H, W, C], in float32 arithmetic:
    optional RGB->BGR, x/255 when scale is 1, then (x - mean[c]) / std[c]."""
    x = pixels.astype(np.float32)
    if conv["order"] == "BGR":
        x = x[..., ::-1]
    if conv["scale"] == 1:
        x = x / np.float32(255.0)
    x = (x - np.asarray(conv["mean"], np.float32)) / np.asarray(conv["std"], np.float32)
    if conv["layout"] == "NCHW":
        x = x.transpose(2, 0, 1)
    return np.ascontiguousarray(x[None], dtype=np.float32)


# --- export -------------------------------------------------------------------------------
def export(spec, weights):
    net = Net(weights, spec.get("kind", "classifier"), spec.get("final"), spec.get("nhwc", False)).eval()
    dims = spec["dims"]
    h, w = spec["convention"]["size"]
    dummy = torch.zeros([1, h, w, 3] if spec.get("nhwc") else [1, 3, h, w])
    dynamic = {spec["input"]: {k: d for k, d in enumerate(dims) if isinstance(d, str)}}
    for name, od in zip(spec["outputs"], spec["out_dims"]):
        dynamic[name] = {k: d for k, d in enumerate(od) if isinstance(d, str)}
    buf = io.BytesIO()
    torch.onnx.export(net, dummy, buf, input_names=[spec["input"]], output_names=spec["outputs"],
                      dynamic_axes={k: v for k, v in dynamic.items() if v}, opset_version=spec.get("opset", 13),
                      do_constant_folding=True)
    model = onnx.load_from_string(buf.getvalue())
    # post-edits: what the exporter would have written
    if "producer" in spec:
        model.producer_name = spec["producer"][0]
        model.producer_version = spec["producer"][1] or ""
    model.doc_string = f"camanim contract fixture '{spec['name']}' (tools/contract_models.py): {spec['mimics']}"
    for k, v in spec.get("props", {}).items():
        p = model.metadata_props.add()
        p.key, p.value = k, v
    if spec.get("denotation"):
        t = model.graph.input[0].type
        t.denotation = "IMAGE"
        for dim, den in zip(t.tensor_type.shape.dim, ["DATA_BATCH", "DATA_CHANNEL", "DATA_FEATURE", "DATA_FEATURE"]):
            dim.denotation = den
    if spec.get("kind") == "segment":
        # torch names the Resize output's dims ("Resizeout_dim_1"...) although sizes are constant
        for dim, want in zip(model.graph.output[0].type.tensor_type.shape.dim, spec["out_dims"][0]):
            if isinstance(want, int):
                dim.Clear()
                dim.dim_value = want
    check_dims(model, spec)
    onnx.checker.check_model(model)
    return net, model


def dims_of(value_info):
    return [d.dim_param if d.dim_param else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def check_dims(model, spec):
    got_in = dims_of(model.graph.input[0])
    if model.graph.input[0].name != spec["input"] or got_in != spec["dims"]:
        raise SystemExit(f"{spec['name']}: input {model.graph.input[0].name} {got_in}, wanted {spec['input']} {spec['dims']}")
    outs = [(o.name, dims_of(o)) for o in model.graph.output]
    if outs != list(zip(spec["outputs"], spec["out_dims"])):
        raise SystemExit(f"{spec['name']}: outputs {outs}, wanted {list(zip(spec['outputs'], spec['out_dims']))}")


def final_node(model):
    """(op, axis, input name) of the node producing the single output, if Softmax/LogSoftmax/Sigmoid."""
    if len(model.graph.output) != 1:
        return None
    out = model.graph.output[0].name
    node = next(n for n in model.graph.node if out in n.output)
    if node.op_type not in ("Softmax", "LogSoftmax", "Sigmoid"):
        return None
    axis = next((helper.get_attribute_value(a) for a in node.attribute if a.name == "axis"), None)
    return node.op_type, axis, node.input[0]


# --- onnxruntime-node ---------------------------------------------------------------------
# Each job's input through its model; every output written to a file, named in the report.
ORT_BODY = r"""
    const buf = fs.readFileSync(job.input);
    const x = new ort.Tensor('float32', new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4), job.shape);
    const session = await ort.InferenceSession.create(job.model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const out = await session.run({ [job.inputName]: x });
    report[job.id] = session.outputNames.map((name, k) => {
      const file = path.join(job.dir, job.id + '.' + k + '.bin');
      const t = out[name];
      fs.writeFileSync(file, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      return { name, dims: t.dims.map(Number), type: t.type, file };
    });
"""


def run_ort(jobs, tmp):
    report = run_node_jobs(ORT_BODY, jobs, tmp)
    result = {}
    for jid, outs in report.items():
        result[jid] = {}
        for o in outs:
            if o["type"] != "float32":
                raise SystemExit(f"{jid}: output {o['name']} is {o['type']}")
            result[jid][o["name"]] = np.fromfile(o["file"], dtype="<f4").reshape(o["dims"])
    return result


# --- fixture writing ----------------------------------------------------------------------
class Bin:
    """Float32 LE arrays appended once each (identical arrays share one slot)."""

    def __init__(self, file):
        self.file, self.parts, self.slots, self.size = file, [], {}, 0

    def add(self, arr):
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        key = hashlib.sha256(data).hexdigest()
        if key not in self.slots:
            self.slots[key] = self.size
            self.parts.append(data)
            self.size += len(data) // 4
        return {"file": self.file, "offset": self.slots[key], "length": len(data) // 4, "shape": list(arr.shape)}

    def write(self, path):
        with open(path, "wb") as f:
            f.write(b"".join(self.parts))


def max_abs(a, b):
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    out_dir = args.out
    os.makedirs(out_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="contract_models_")
    try:
        generate(out_dir, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def generate(out_dir, tmp):
    images = {IMG_WIDE: image_wide(), IMG_SQUARE: image_square()}
    pixels = {}
    for name, img in images.items():
        path = os.path.join(out_dir, name)
        img.save(path, format="PNG", optimize=False, compress_level=9)
        with Image.open(path) as back:  # the reference starts from the file, as a user's would
            pixels[name] = np.asarray(back.convert("RGB"))

    weights = build_weights()
    built, jobs = {}, []
    for spec in MODELS:
        w = weights if spec["convention"]["scale"] == 1 else raw_pixel_weights(weights, spec["convention"])
        net, model = export(spec, w)
        path = os.path.join(out_dir, spec["name"] + ".onnx")
        onnx.save(model, path)
        x = preprocess(pixels[spec["image"]], spec["convention"])
        x_path = os.path.join(tmp, spec["name"] + ".input.bin")
        x.astype("<f4").tofile(x_path)
        fin = final_node(model)
        job = {"inputName": spec["input"], "shape": list(x.shape), "input": x_path, "dir": tmp}
        jobs.append(dict(job, id=spec["name"], model=path))
        if fin:
            probe_path = os.path.join(tmp, spec["name"] + ".probe.onnx")
            with_outputs(path, [fin[2]], probe_path)
            jobs.append(dict(job, id=spec["name"] + ".probe", model=probe_path))
        with torch.no_grad():
            t_out = net(torch.from_numpy(x))
        t_out = [t.numpy() for t in (t_out if isinstance(t_out, tuple) else (t_out,))]
        built[spec["name"]] = dict(spec=spec, model=model, x=x, fin=fin, torch=dict(zip(spec["outputs"], t_out)))

    # the re-parameterised conv1 of the 0..255 models equals base's away from the padding
    base_x = torch.from_numpy(preprocess(pixels[IMG_WIDE], PADDLE))
    for name in ("caffe-bgr",):
        spec = built[name]["spec"]
        w = raw_pixel_weights(weights, spec["convention"])
        with torch.no_grad():
            a = weights[0].conv1(base_x)[:, :, 1:, 1:]
            b = w[0].conv1(torch.from_numpy(built[name]["x"]))[:, :, 1:, 1:]
        e = float((a - b).abs().max() / a.abs().max())
        print(f"{name}: conv1 vs base-fixed's conv1 on the same pixels (interior) {e:.1e} relative")
        if not e <= 1e-5:
            raise SystemExit(f"{name}: re-parameterised conv1 differs from base's by {e:.2e}")

    ort_res = run_ort(jobs, tmp)

    failures, report = [], []
    base_logits = ort_res["base-fixed"]["logits"]
    for name, b in built.items():
        spec, outs = b["spec"], ort_res[name]
        if list(outs) != spec["outputs"]:
            failures.append(f"{name}: ORT outputs {list(outs)}")
            continue
        errs = {o: max_abs(outs[o], b["torch"][o]) for o in spec["outputs"]}
        line = "  ".join(f"{o}={e:.1e}" for o, e in errs.items())
        failures += [f"{name}: {o} ORT vs torch {e:.2e}" for o, e in errs.items() if not e <= TOL]
        if b["fin"]:
            probe = ort_res[name + ".probe"]
            pre = probe[b["fin"][2]]
            b["pre"] = pre
            for o in spec["outputs"]:
                if max_abs(probe[o], outs[o]) > 0:
                    failures.append(f"{name}: probe copy changed output {o}")
            # the final activation recomputed in numpy from the pre-activation
            p64 = pre.astype(np.float64)
            axis = -1
            if b["fin"][0] == "Sigmoid":
                act = 1 / (1 + np.exp(-p64))
            else:
                z = p64 - p64.max(axis=axis, keepdims=True)
                lse = np.log(np.exp(z).sum(axis=axis, keepdims=True))
                act = z - lse if b["fin"][0] == "LogSoftmax" else np.exp(z - lse)
            e_act = max_abs(act, outs[spec["outputs"][0]])
            line += f"  {b['fin'][0]}(pre) vs output={e_act:.1e}"
            if not e_act <= TOL:
                failures.append(f"{name}: {b['fin'][0]} of the pre-activation differs by {e_act:.2e}")
        if name in CLASSIFIERS_WITH_BASE_LOGITS or name in ("two-outputs", "metadata-json"):
            same = b["pre"] if b["fin"] else outs["logits"]
            e_base = max_abs(same, base_logits)
            line += f"  vs base logits={e_base:.1e}"
            if not e_base <= TOL:
                failures.append(f"{name}: pre-activation differs from base-fixed's logits by {e_base:.2e}")
        if "notes" in spec and spec["image"] == IMG_WIDE:
            line += f"  vs base logits={max_abs(outs['logits'], base_logits):.1e} (zero padding; informational)"
        report.append(f"  {name}: {line}")
    print("ORT vs torch (max abs), final activation check, pre-activation vs base-fixed logits:")
    print("\n".join(report))
    if failures:
        raise SystemExit("contract fixtures FAILED:\n  " + "\n  ".join(failures))

    binf = Bin("expected.bin")
    models = {}
    for name, b in built.items():
        spec, model = b["spec"], b["model"]
        entry = {
            "file": spec["name"] + ".onnx",
            "mimics": spec["mimics"],
            **({"notes": spec["notes"]} if "notes" in spec else {}),
            "producer": model.producer_name,
            "opset": next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
            "input": {"name": spec["input"], "dims": dims_of(model.graph.input[0])},
            "outputs": [{"name": o.name, "shape": list(ort_res[name][o.name].shape)} for o in model.graph.output],
            "outputDims": {o.name: dims_of(o) for o in model.graph.output},
            "finalActivation": ({"op": b["fin"][0], "axis": b["fin"][1]} if b["fin"] else None),
            "metadataProps": {p.key: p.value for p in model.metadata_props},
            "convention": spec["convention"],
            "image": spec["image"],
            "inputTensor": binf.add(b["x"]),
            "ortOutputs": {o: binf.add(ort_res[name][o]) for o in spec["outputs"]},
        }
        if spec.get("denotation"):
            entry["input"]["denotation"] = "IMAGE"
        if b["fin"]:
            entry["preActivation"] = dict(name=b["fin"][2], **binf.add(b["pre"]))
        models[name] = entry
    binf.write(os.path.join(out_dir, "expected.bin"))
    doc = {
        "description": "Model-contract fixtures for issue #12, generated by tools/contract_models.py (see tools/README.md). "
                       "Random-init weights shared by every model (conv1 "
                       "re-parameterised for the 0..255 ones, see their notes); references computed with numpy (inputTensor) and "
                       "onnxruntime-node (ortOutputs, preActivation), never with camanim.",
        "bin": "expected.bin",
        "binFormat": "float32 little-endian; offset and length count floats; identical arrays share one slot",
        "conventionNotes": "scale 1: x/255 then (x - mean[c]) / std[c]; scale 255: (x - mean[c]) / std[c] on 0..255; "
                           "order BGR: channels reversed before that; mean/std are listed in the channel order of the "
                           "model's input tensor (B, G, R for BGR); layout is the input tensor's layout; the images are "
                           "exactly convention.size, so no resampling is involved. Arithmetic in float32.",
        "tolerance": TOL,
        "images": {n: {"size": [int(pixels[n].shape[0]), int(pixels[n].shape[1])], "mode": "RGB",
                       "sha256": hashlib.sha256(open(os.path.join(out_dir, n), "rb").read()).hexdigest()}
                   for n in images},
        "models": models,
    }
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        f.write(to_json(doc) + "\n")
    files = sorted(os.listdir(out_dir))
    total = sum(os.path.getsize(os.path.join(out_dir, f)) for f in files)
    print(f"wrote {len(files)} files, {total / 1024:.0f} KiB, to {os.path.relpath(out_dir, REPO)}")
    if total > MAX_TOTAL_BYTES:
        raise SystemExit(f"fixtures take {total} bytes, over {MAX_TOTAL_BYTES}")


if __name__ == "__main__":
    main()
