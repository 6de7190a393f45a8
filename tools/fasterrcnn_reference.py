#!/usr/bin/env python3
"""torchvision's Faster R-CNN as torch.onnx exports it, at reduced width and resolution, and float64
references of its two stages (issue #13, detection):

- the model: fasterrcnn_mobilenet_v3_large_320_fpn's construction (torchvision/models/detection/
  faster_rcnn.py: MobileNetV3-Large features, _mobilenet_extractor's BackboneWithFPN on its last two
  stages with LastLevelMaxPool, AnchorGenerator(((32, 64, 128, 256, 512),) * 3, ((0.5, 1.0, 2.0),) * 3),
  the 320 variant's rpn_pre_nms_top_n_test 150, rpn_post_nms_top_n_test 150, rpn_score_thresh 0.05;
  RPN nms 0.7, min_size 1e-3; MultiScaleRoIAlign 7x7 sampling 2; box score_thresh 0.05, nms 0.5,
  100 detections) at width 0.25, FPN width 16, box head TwoMLPHead(16*7*7, 64), 4 classes +
  background, on a 160x160 input (min_size = max_size = 160: the transform keeps it). Random
  weights, seeded (tools/fixtures/prepare.py's randomisation and BatchNorm recalibration).
- the export: torch.onnx.export(model, ([image],), opset_version=15). torchvision's RoiAlign
  symbolic writes no coordinate_transformation_mode; from opset 16 that means half_pixel
  (aligned=True), which Faster R-CNN's roi_align(aligned=False) is not: the script measures
  onnxruntime's class logits against torch at opsets 15 and 17 and refuses 15 if it differs.
- stage 1 (forward parity): the RPN's objectness [A] and decoded proposals [A, 4] (concat_box_
  prediction_layers, box_coder.decode), float64, checked against onnxruntime-node on the export
  (the tensors the RPN's per-level TopK and Gathers read);
- the proposals of torchvision's own filter_proposals (float64), the host's reference;
- stage 2: the box head's class logits [P, K] and box regression [P, 4K] on those proposals;
- the detections of torchvision's own postprocess_detections (float32 and float64: the same);
- Grad-CAM (pytorch_grad_cam/grad_cam.py, tools/fixtures/gradcam.py) at five layers for
  detections 0 and 1 under FasterRCNNBoxScoreTarget's idea on the box head's pre-NMS rows: the
  score of the box's label summed over postprocess_detections' candidates of that label (a row
  per proposal and class >= 1: score > box_score_thresh, sides >= 1e-2 after clipping) whose
  decoded box has box_iou > 0.5 with it; the proposals are constants (torchvision detaches
  them), the matching is held constant, the gradient flows from the softmax scores through the
  box head and MultiScaleRoIAlign into the backbone.

Writes packages/cli/test/fixtures/detect/ (fasterrcnn.onnx, image-160x160.png, fasterrcnn-reference.json);
packages/cli/test/detect-fasterrcnn.test.ts holds camanim to them.
Regenerate: /usr/bin/python3 tools/fasterrcnn_reference.py
"""
import io
import os
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torchvision.models import mobilenet_v3_large
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FasterRCNN, FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.rpn import concat_box_prediction_layers
from torchvision.ops import box_iou, boxes as box_ops
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contract_models as cm  # noqa: E402
from fixtures.gradcam import gradcam_maps  # noqa: E402
from fixtures.jsonfmt import write_compact  # noqa: E402
from fixtures.prepare import _randomize_parameters, _recalibrate_bn  # noqa: E402
from fixtures.verify_ort import run_node_jobs, with_outputs  # noqa: E402

OUT = os.path.join(cm.REPO, "packages", "cli", "test", "fixtures", "detect")
SIZE, CLASSES, SEED, FPN = 160, 5, 17, 16
IMAGE = "image-160x160.png"
# The RPN's outputs and the box head's, as torch.onnx names them in this export.
OBJECTNESS, PROPOSALS = "/rpn/Reshape_16_output_0", "/rpn/Reshape_15_output_0"
LOGITS = "/roi_heads/box_predictor/cls_score/Gemm_output_0"
# The layers whose maps are checked: module -> the ONNX tensor it outputs (the last node of its scope).
LAYERS = {
    "backbone/body/body.0": lambda m: m.backbone.body["0"],
    "backbone/body/body.4": lambda m: m.backbone.body["4"],
    "backbone/body/body.10": lambda m: m.backbone.body["10"],
    "backbone/body/body.16": lambda m: m.backbone.body["16"],
    "backbone/fpn/layer_blocks.0": lambda m: m.backbone.fpn.layer_blocks[0],
}


def build():
    """fasterrcnn_mobilenet_v3_large_320_fpn's body (weights None), narrower and at SIZE."""
    features = mobilenet_v3_large(weights=None, width_mult=0.25).features
    stages = [0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)] + [len(features) - 1]
    returned = [len(stages) - 2, len(stages) - 1]
    backbone = BackboneWithFPN(features, {f"{stages[k]}": str(v) for v, k in enumerate(returned)},
                               [features[stages[i]].out_channels for i in returned], FPN, extra_blocks=LastLevelMaxPool())
    anchors = AnchorGenerator(((32, 64, 128, 256, 512),) * 3, ((0.5, 1.0, 2.0),) * 3)
    return FasterRCNN(backbone, None, rpn_anchor_generator=anchors, min_size=SIZE, max_size=SIZE,
                      rpn_pre_nms_top_n_test=150, rpn_post_nms_top_n_test=150, rpn_score_thresh=0.05,
                      box_head=TwoMLPHead(FPN * 49, 64), box_predictor=FastRCNNPredictor(64, CLASSES))


class Features(nn.Module):
    """The backbone and RPN head on a normalised batch: for BatchNorm recalibration."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m.rpn.head(list(self.m.backbone(x).values()))[0]


def prepare(m):
    gen = torch.Generator().manual_seed(SEED)
    _randomize_parameters(m, gen)
    _recalibrate_bn(Features(m), SIZE, gen, 4, 8)
    with torch.no_grad():
        # Objectness and class logits spread over O(1), so that the top-k, NMS and detection
        # order are far apart compared to float32's rounding.
        m.rpn.head.cls_logits.weight.mul_(4.0)
        m.roi_heads.box_predictor.cls_score.weight.mul_(4.0)
    return m.eval()


def image():
    """The 64x64 contract fixture image at 160x160 (nearest)."""
    return cm.image_square().resize((SIZE, SIZE), Image.NEAREST)


def stages(m, x):
    """The RPN's objectness [A] and proposals [A, 4], torchvision's proposals, and the box head on them."""
    images, _ = m.transform([x])
    features = m.backbone(images.tensors)
    levels = list(features.values())
    objectness, deltas = m.rpn.head(levels)
    anchors = m.rpn.anchor_generator(images, levels)
    counts = [o[0].numel() for o in objectness]
    objectness, deltas = concat_box_prediction_layers(objectness, deltas)
    proposals = m.rpn.box_coder.decode(deltas, anchors).view(1, -1, 4)
    boxes, scores = m.rpn.filter_proposals(proposals, objectness, images.image_sizes, counts)
    pooled = m.roi_heads.box_roi_pool(features, boxes, images.image_sizes)
    logits, regression = m.roi_heads.box_predictor(m.roi_heads.box_head(pooled))
    return {"objectness": objectness.flatten(), "proposals": proposals[0], "counts": counts, "rpnBoxes": boxes[0],
            "rpnScores": scores[0], "logits": logits, "regression": regression}


class BoxRows(nn.Module):
    """postprocess_detections' rows for fixed proposals: decoded, clipped boxes [P, K-1, 4] and softmax scores [P, K-1]."""

    def __init__(self, m, proposals):
        super().__init__()
        self.m, self.proposals = m, proposals

    def forward(self, x):
        images, _ = self.m.transform([x])
        features = self.m.backbone(images.tensors)
        rh = self.m.roi_heads
        pooled = rh.box_roi_pool(features, [self.proposals], images.image_sizes)
        logits, regression = rh.box_predictor(rh.box_head(pooled))
        boxes = rh.box_coder.decode(regression, [self.proposals])
        boxes = box_ops.clip_boxes_to_image(boxes, images.image_sizes[0])
        return boxes[:, 1:], F.softmax(logits, -1)[:, 1:]


def detections(m, x):
    with torch.no_grad():
        d = m([x])[0]
    return [{"label": int(l), "score": float(s), "box": [float(v) for v in b]} for b, l, s in zip(d["boxes"], d["labels"], d["scores"])]


def export(m, x32, opset):
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(m, ([x32],), buf, opset_version=opset)
    return onnx.load_from_string(buf.getvalue())


def ort_tensors(model, x32, names, tmp):
    path, probe = os.path.join(tmp, "m.onnx"), os.path.join(tmp, "probe.onnx")
    onnx.save(model, path)
    with_outputs(path, names, probe)
    body = r"""
    const s = await ort.InferenceSession.create(job.model);
    const x = new ort.Tensor('float32', Float32Array.from(job.x), [3, job.size, job.size]);
    const o = await s.run({ [s.inputNames[0]]: x });
    for (const n of job.names) report[n] = Array.from(o[n].data);"""
    return run_node_jobs(body, [{"model": probe, "x": x32.flatten().tolist(), "size": SIZE, "names": names}], tmp)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    os.makedirs(OUT, exist_ok=True)
    m = prepare(build())
    img = image()
    img.save(os.path.join(OUT, IMAGE), optimize=False)
    x32 = torch.from_numpy(np.asarray(img, np.float32).transpose(2, 0, 1) / np.float32(255))

    with torch.no_grad():
        r32 = stages(m, x32)
        r = stages(m.double(), x32.double())
    m.float()
    logits_err = {}
    with tempfile.TemporaryDirectory() as tmp:
        for opset in (15, 17):
            o = ort_tensors(export(m, x32, opset), x32, [OBJECTNESS, PROPOSALS, LOGITS], tmp)
            logits = np.asarray(o[LOGITS]).reshape(-1, CLASSES)
            logits_err[opset] = float(np.abs(logits - r["logits"].numpy()).max()) if logits.shape == r["logits"].shape else None
            if opset == 15:
                obj_err = float(np.abs(np.asarray(o[OBJECTNESS]) - r["objectness"].numpy()).max())
                prop_err = float(np.abs(np.asarray(o[PROPOSALS]).reshape(-1, 4) - r["proposals"].numpy()).max())
    if obj_err > 1e-4 or prop_err > 1e-3 or logits_err[15] is None or logits_err[15] > 1e-4:
        raise SystemExit(f"onnxruntime (opset 15) differs from torch: objectness {obj_err:.3g}, proposals {prop_err:.3g}, "
                         f"logits {logits_err[15]}")
    model = export(m, x32, 15)
    model.doc_string = "camanim detection fixture (tools/fasterrcnn_reference.py): torchvision Faster R-CNN, reduced"
    onnx.checker.check_model(model)
    with open(os.path.join(OUT, "fasterrcnn.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    same = r32["rpnBoxes"].shape == r["rpnBoxes"].shape and float((r32["rpnBoxes"] - r["rpnBoxes"].float()).abs().max()) < 1e-3
    if not same:
        raise SystemExit("float32 and float64 proposals disagree")
    nodes = model.graph.node
    layer_names = {key: [n.output[0] for n in nodes if n.name.startswith(f"/{key}/") and n.op_type != "Constant"][-1] for key in LAYERS}
    out32 = detections(m, x32)
    m64 = m.double()
    x = x32.double()
    out64 = detections(m64, x)
    for a, b in zip(out32[:5], out64[:5]):
        if a["label"] != b["label"] or max(abs(u - v) for u, v in zip(a["box"], b["box"])) > 1e-3:
            raise SystemExit(f"float32 and float64 postprocess disagree: {a} vs {b}")
    rows = BoxRows(m64, r["rpnBoxes"])
    with torch.no_grad():
        boxes, scores = rows(x)
    rh = m64.roi_heads
    refs = []
    for k in (0, 1):
        d = out64[k]
        label = d["label"]
        box = torch.tensor([d["box"]], dtype=torch.float64)
        b, sc = boxes[:, label - 1], scores[:, label - 1]
        side = torch.minimum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
        cand = ((sc > rh.score_thresh) & (side >= 1e-2)).nonzero().flatten()
        match = cand[box_iou(box, b[cand])[0] > 0.5]
        target = lambda out, match=match, label=label: out[1][match, label - 1].sum()  # noqa: E731
        layers = {layer_names[key]: f(m64) for key, f in LAYERS.items()}
        _, maps = gradcam_maps(rows, x, layers, target)
        refs.append({"box": k, "label": label, "score": d["score"], "xyxy": d["box"], "matched": sorted(int(i) for i in match),
                     "value": float(sc[match].sum()),
                     "layers": [dict(mp, raw=[float(f"{v:.9g}") for v in mp["raw"]]) for mp in maps]})
    gap = min(out64[k]["score"] - out64[k + 1]["score"] for k in range(3))
    flat = lambda t: [float(f"{v:.9g}") for v in t.flatten().tolist()]  # noqa: E731
    ref = {
        "description": "torchvision Faster R-CNN (reduced): RPN outputs, torchvision's proposals and the box head on them, "
                       "float64 (tools/fasterrcnn_reference.py)",
        "model": "fasterrcnn.onnx", "image": IMAGE, "size": SIZE, "classes": CLASSES,
        "rpn": {"preNmsTopN": m.rpn._pre_nms_top_n["testing"], "postNmsTopN": m.rpn._post_nms_top_n["testing"],
                "nmsThresh": m.rpn.nms_thresh, "minSize": m.rpn.min_size, "scoreThresh": m.rpn.score_thresh,
                "levels": r["counts"]},
        "tensors": {"objectness": OBJECTNESS, "proposals": PROPOSALS, "logits": LOGITS},
        "onnxruntime": {"objectness": obj_err, "proposals": prop_err, "logits": logits_err[15],
                        "logitsOpset17": logits_err[17]},
        "objectness": flat(r["objectness"]),
        "proposals": flat(r["proposals"]),
        "rpnBoxes": flat(r["rpnBoxes"]),
        "rpnScores": flat(r["rpnScores"]),
        "logits": flat(r["logits"]),
        "regression": flat(r["regression"]),
        "postprocess": {"scoreThreshold": rh.score_thresh, "nmsIou": rh.nms_thresh, "detections": rh.detections_per_img,
                        "minSize": 1e-2},
        "detections": out64[:10],
        "count": len(out64),
        "targets": refs,
    }
    write_compact(os.path.join(OUT, "fasterrcnn-reference.json"), ref)
    print(f"{OUT}: {r['objectness'].numel()} anchors {r['counts']}, {r['rpnBoxes'].shape[0]} proposals; "
          f"ORT vs torch: objectness {obj_err:.2g}, proposals {prop_err:.2g}, logits {logits_err[15]:.2g} "
          f"(opset 17: {logits_err[17]}); {len(out64)} detections (top-4 score gap {gap:.3g}), boxes matched "
          f"{[len(t['matched']) for t in refs]}, layers {list(layer_names.values())}")


if __name__ == "__main__":
    main()
