#!/usr/bin/env python3
"""torchvision's SSDlite as torch.onnx exports it, at reduced width and resolution, and float64
references of its explanation (issue #13, detection):

- the model: ssdlite320_mobilenet_v3_large's own construction (torchvision/models/detection/
  ssdlite.py: MobileNetV3-Large with reduced_tail, BatchNorm eps 0.001, _mobilenet_extractor's
  SSDLiteFeatureExtractorMobileNet, DefaultBoxGenerator([[2, 3]] * 6, 0.2, 0.95), SSDLiteHead,
  score_thresh 0.001, nms_thresh 0.55, detections_per_img 300, topk_candidates 300, mean/std 0.5)
  at width 0.25 (the extra blocks at 0.0625), 4 classes + background, on a 128x128 input (the
  constructor fixes 320x320; the SSD class takes any size). Random weights, seeded: Conv biases,
  BatchNorm affines and running statistics from tools/fixtures/prepare.py, the classification
  head's logits scaled to spread so that the detections are well separated in float32.
- the export: torch.onnx.export(model, ([image],), opset_version=17), as torchvision's docs and
  tests export its detectors: one [3, 128, 128] input, normalisation and resize inside, the
  post-processing (score threshold -> NonZero, TopK, batched NMS -> If/NonMaxSuppression,
  rescale) exported after the head;
- the pre-NMS tensors (forward parity): postprocess_detections' decoded, clipped boxes [A, 4]
  (box_coder.decode_single + clip_boxes_to_image) and its softmax scores [A, K], in float64,
  checked against onnxruntime-node on the exported file (the tensors torch names
  '/Reshape_output_0' and '/Softmax_output_0');
- the detections of torchvision's own postprocess (float32 and float64: the same);
- Grad-CAM (pytorch_grad_cam/grad_cam.py, tools/fixtures/gradcam.py) at five layers for
  detections 0 and 1 under FasterRCNNBoxScoreTarget's idea on the pre-NMS scores: the score of
  the box's label summed over the pre-NMS candidates of that label (score > score_thresh, within
  the label's top-k, as postprocess_detections keeps them) whose box has box_iou > 0.5 with it;
  the matching is held constant, the gradient flows from the scores.

Writes packages/cli/test/fixtures/detect/ (ssdlite.onnx, image-128x128.png, ssdlite-reference.json);
packages/cli/test/detect-ssdlite.test.ts holds camanim to them.
Regenerate: /usr/bin/python3 tools/ssdlite_reference.py
"""
import io
import os
import sys
import tempfile
from functools import partial

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torchvision.models import mobilenet_v3_large
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection import ssdlite
from torchvision.models.detection.anchor_utils import DefaultBoxGenerator
from torchvision.models.detection.ssd import SSD
from torchvision.ops import box_iou, boxes as box_ops

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contract_models as cm  # noqa: E402
from fixtures.gradcam import gradcam_maps  # noqa: E402
from fixtures.jsonfmt import write_compact  # noqa: E402
from fixtures.prepare import _randomize_parameters, _recalibrate_bn  # noqa: E402
from fixtures.verify_ort import run_node_jobs, with_outputs  # noqa: E402

OUT = os.path.join(cm.REPO, "packages", "cli", "test", "fixtures", "detect")
SIZE, CLASSES, SEED = 128, 5, 13
IMAGE = "image-128x128.png"
# The layers whose maps are checked: module -> the ONNX tensor it outputs (read from the export).
LAYERS = {
    "features.0.2": lambda m: m.backbone.features[0][2],
    "features.0.4": lambda m: m.backbone.features[0][4],
    "features.0": lambda m: m.backbone.features[0],
    "features.1": lambda m: m.backbone.features[1],
    "extra.0": lambda m: m.backbone.extra[0],
}


def build():
    """ssdlite320_mobilenet_v3_large's body (weights None), narrower and at SIZE."""
    norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.03)
    mobilenet = mobilenet_v3_large(weights=None, norm_layer=norm_layer, reduced_tail=True, width_mult=0.25)
    ssdlite._normal_init(mobilenet)
    features = mobilenet.features
    stages = [0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)] + [len(features) - 1]
    backbone = ssdlite.SSDLiteFeatureExtractorMobileNet(features, stages[-2], norm_layer, width_mult=0.0625)
    anchors = DefaultBoxGenerator([[2, 3] for _ in range(6)], min_ratio=0.2, max_ratio=0.95)
    channels = det_utils.retrieve_out_channels(backbone, (SIZE, SIZE))
    head = ssdlite.SSDLiteHead(channels, anchors.num_anchors_per_location(), CLASSES, norm_layer)
    return SSD(backbone, anchors, (SIZE, SIZE), CLASSES, head=head, score_thresh=0.001, nms_thresh=0.55,
               detections_per_img=300, topk_candidates=300, image_mean=[0.5] * 3, image_std=[0.5] * 3)


class Features(nn.Module):
    """The backbone and head on a normalised batch: for BatchNorm recalibration."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m.head(list(self.m.backbone(x).values()))["cls_logits"]


def prepare(m):
    gen = torch.Generator().manual_seed(SEED)
    _randomize_parameters(m, gen)
    _recalibrate_bn(Features(m), SIZE, gen, 4, 8)
    with torch.no_grad():
        # Logits spread over O(1) between anchors and classes, so that the detections' scores
        # (and their order) are far apart compared to float32's rounding.
        for block in m.head.classification_head.module_list:
            block[1].weight.mul_(6.0)
            block[1].bias.copy_(torch.randn(block[1].bias.shape, generator=gen) * 0.5)
    return m.eval()


def image():
    """The 64x64 contract fixture image, twice as large (nearest): 128x128."""
    return cm.image_square().resize((SIZE, SIZE), Image.NEAREST)


class PreNms(nn.Module):
    """postprocess_detections' inputs for image 0: decoded, clipped boxes [A, 4] and softmax scores [A, K]."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        images, _ = self.m.transform([x])
        features = list(self.m.backbone(images.tensors).values())
        head = self.m.head(features)
        anchors = self.m.anchor_generator(images, features)
        boxes = self.m.box_coder.decode_single(head["bbox_regression"][0], anchors[0])
        boxes = box_ops.clip_boxes_to_image(boxes, images.image_sizes[0])
        return boxes, F.softmax(head["cls_logits"], dim=-1)[0]


def candidates(m, scores, label):
    """postprocess_detections' candidates of `label`: score > score_thresh, its top-k."""
    idx = (scores[:, label] > m.score_thresh).nonzero().flatten()
    top = scores[idx, label].topk(min(m.topk_candidates, len(idx))).indices
    return idx[top]


def detections(m, x):
    with torch.no_grad():
        d = m([x])[0]
    return [{"label": int(l), "score": float(s), "box": [float(v) for v in b]} for b, l, s in zip(d["boxes"], d["labels"], d["scores"])]


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    os.makedirs(OUT, exist_ok=True)
    m = prepare(build())
    img = image()
    img.save(os.path.join(OUT, IMAGE), optimize=False)
    x32 = torch.from_numpy(np.asarray(img, np.float32).transpose(2, 0, 1) / np.float32(255))

    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(m, ([x32],), buf, opset_version=17)
    model = onnx.load_from_string(buf.getvalue())
    model.doc_string = "camanim detection fixture (tools/ssdlite_reference.py): torchvision SSDlite, reduced"
    onnx.checker.check_model(model)
    path = os.path.join(OUT, "ssdlite.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())

    # The ONNX tensors: the pre-NMS boxes and scores, and each layer's output (the last node of its scope).
    nodes = model.graph.node
    boxes_name, scores_name = "/Reshape_output_0", "/Softmax_output_0"
    layer_names = {}
    for key in LAYERS:
        scope = "/backbone/" + "/".join(".".join(key.split(".")[:k + 1]) for k in range(1, len(key.split(".")))) + "/"
        layer_names[key] = [n.output[0] for n in nodes if n.name.startswith(scope) and n.op_type != "Constant"][-1]

    out32 = detections(m, x32)
    m64 = m.double()
    x = x32.double()
    out64 = detections(m64, x)
    pre = PreNms(m64)
    with torch.no_grad():
        boxes, scores = pre(x)

    # onnxruntime-node on the exported file: its pre-NMS tensors against torch's.
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "probe.onnx")
        with_outputs(path, [boxes_name, scores_name], probe)
        body = r"""
    const s = await ort.InferenceSession.create(job.model);
    const x = new ort.Tensor('float32', Float32Array.from(job.x), [3, job.size, job.size]);
    const o = await s.run({ [s.inputNames[0]]: x });
    report.boxes = Array.from(o[job.boxes].data); report.scores = Array.from(o[job.scores].data);
    report.dims = [o[job.boxes].dims, o[job.scores].dims];"""
        ort = run_node_jobs(body, [{"model": probe, "x": x32.flatten().tolist(), "size": SIZE, "boxes": boxes_name,
                                     "scores": "/Softmax_output_0"}], tmp)
    ort_boxes = np.asarray(ort["boxes"]).reshape(-1, 4)
    ort_scores = np.asarray(ort["scores"]).reshape(-1, CLASSES)
    box_err = float(np.abs(ort_boxes - boxes.numpy()).max())
    score_err = float(np.abs(ort_scores - scores.numpy()).max())
    if box_err > 1e-3 or score_err > 1e-5:
        raise SystemExit(f"onnxruntime differs from torch: boxes {box_err:.3g}, scores {score_err:.3g}")

    refs = []
    net = lambda _x: pre(_x)[1]  # noqa: E731
    for k in (0, 1):
        d = out64[k]
        label = d["label"]
        box = torch.tensor([d["box"]], dtype=torch.float64)
        cand = candidates(m64, scores, label)
        match = cand[box_iou(box, boxes[cand])[0] > 0.5]
        target = lambda s, match=match, label=label: s[match, label].sum()  # noqa: E731
        layers = {layer_names[key]: f(m64) for key, f in LAYERS.items()}
        _, maps = gradcam_maps(net, x, layers, target)
        refs.append({"box": k, "label": label, "score": d["score"], "xyxy": d["box"], "matched": sorted(int(i) for i in match),
                     "value": float(target(scores)),
                     "layers": [dict(mp, raw=[float(f"{v:.9g}") for v in mp["raw"]]) for mp in maps]})
    # The detections' order is stable in float32: the same boxes as in float64.
    for a, b in zip(out32[:5], out64[:5]):
        if a["label"] != b["label"] or max(abs(u - v) for u, v in zip(a["box"], b["box"])) > 1e-3:
            raise SystemExit(f"float32 and float64 postprocess disagree: {a} vs {b}")
    gap = min(out64[k]["score"] - out64[k + 1]["score"] for k in range(3))
    ref = {
        "description": "torchvision SSDlite (reduced) pre-NMS tensors, detections and float64 Grad-CAM of the box-score target (tools/ssdlite_reference.py)",
        "model": "ssdlite.onnx", "image": IMAGE, "size": SIZE, "classes": CLASSES,
        "postprocess": {"scoreThreshold": m.score_thresh, "nmsIou": m.nms_thresh, "topK": m.topk_candidates,
                        "detections": m.detections_per_img},
        "tensors": {"boxes": boxes_name, "scores": scores_name},
        "onnxruntime": {"boxes": box_err, "scores": score_err},
        "boxes": [float(f"{v:.9g}") for v in boxes.flatten()],
        "scores": [float(f"{v:.9g}") for v in scores.flatten()],
        "detections": out64[:10],
        "count": len(out64),
        "targets": refs,
    }
    write_compact(os.path.join(OUT, "ssdlite-reference.json"), ref)
    print(f"{OUT}: {boxes.shape[0]} anchors, {len(out64)} detections (top-4 score gap {gap:.3g}), "
          f"boxes matched {[len(r['matched']) for r in refs]}, ORT vs torch: boxes {box_err:.2g}, scores {score_err:.2g}, "
          f"layers {list(layer_names.values())}")


if __name__ == "__main__":
    main()
