#!/usr/bin/env python3
"""Task-target fixtures and float64 Grad-CAM references (issue #13, item 3), written with
torch.autograd from the targets' definitions, not with camanim:

- multi-label: sigmoid.onnx's classes' logits (before its Sigmoid), ClassifierOutputTarget;
- regress: base-fixed.onnx's score 3, negated (--direction down);
- embed: two-outputs.onnx's 'features' [1, 16], pytorch-grad-cam's SimilarityToConceptTarget
  (torch.nn.CosineSimilarity(dim=0)) to the embedding of another image (flipped, inverted);
- sequence: sequence.onnx ([N, T, 37], softmax) and sequence-tnc.onnx (its scores before the
  Softmax as [T, N, 37], CRNN's raw output), on those scores (camanim strips the Softmax): CTC log p (log_softmax, blank 0) of
  the greedy-decoded labels and of a given text through charset.txt, and a step's class score;
- detect: detect.onnx, a YOLOv5-style head (Conv1x1 -> DepthToSpace (PixelShuffle) -> Sigmoid ->
  grid/anchor decode -> Concat -> [N, 576, 4+1+3]); detections from torchvision.ops.batched_nms
  (conf 0.25, IoU 0.45); the target of a detection is the sum of obj*cls of the candidates of its
  class with box_iou > 0.5 to it (FasterRCNNBoxScoreTarget's idea, matching held constant).
- Grad-CAM (pytorch_grad_cam/grad_cam.py): weights = mean gradient over H, W; the map before the
  library's ReLU and scaling (tools/fixtures/gradcam.py).

Models share tools/contract_models.py's weights (seed 12); inputs are its 48x192 image under
PaddleOCR's convention, computed with numpy. Writes packages/cli/test/fixtures/tasks/
(detect.onnx, sequence-tnc.onnx, image-48x192-other.png, charset.txt, tasks-gradcam.json);
packages/cli/test/tasks.test.ts holds camanim to them.
Regenerate: /usr/bin/python3 tools/task_references.py
"""
import io
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image, ImageOps

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contract_models as cm  # noqa: E402
from fixtures.gradcam import gradcam_maps  # noqa: E402
from fixtures.jsonfmt import write_compact  # noqa: E402

OUT = os.path.join(cm.REPO, "packages", "cli", "test", "fixtures", "tasks")
CHARSET = [str(d) for d in range(10)] + [chr(c) for c in range(ord("a"), ord("z") + 1)]  # 36 + blank = 37
K_DET, STRIDE, ANCHOR = 3, 4, 32.0
BACKBONE = {
    "/backbone/relu1/Relu_output_0": lambda net: net.backbone.relu1,
    "/backbone/conv2/Conv_output_0": lambda net: net.backbone.bn,
    "/backbone/relu2/Relu_output_0": lambda net: net.backbone.relu2,
    "/backbone/relu3/Relu_output_0": lambda net: net.backbone.relu3,
}


class SequenceTNC(nn.Module):
    """sequence.onnx's scores (before its Softmax) time-major, [T, N, 37]: CRNN's raw output."""

    def __init__(self, weights):
        super().__init__()
        self.backbone, self.seq_fc = weights[0], weights[2]

    def forward(self, x):
        return self.seq_fc(self.backbone(x).mean(dim=2).permute(0, 2, 1)).permute(1, 0, 2)


class Detector(nn.Module):
    """A YOLOv5-style head on the shared backbone: [N, 16, 6, 24] -> Conv1x1 (32) -> PixelShuffle(2)
    (ONNX DepthToSpace) -> [N, 8, 12, 48] -> Sigmoid -> xy = (2s - 0.5 + grid) * 4,
    wh = (2s)^2 * 32, obj, 3 class scores -> Concat -> [N, 576, 8]."""

    def __init__(self, weights):
        super().__init__()
        self.backbone = weights[0]
        self.head = nn.Conv2d(16, 4 * (5 + K_DET), 1)
        g = torch.Generator().manual_seed(cm.SEED + 1)
        with torch.no_grad():
            # Small weights: boxes near the anchor's size at every cell, so neighbours overlap and
            # NMS and the target's IoU matching have work to do.
            self.head.weight.copy_(torch.randn(self.head.weight.shape, generator=g) * 0.1)
            self.head.bias.copy_(torch.randn(self.head.bias.shape, generator=g) * 0.3)
            # Class k's bias the same at the 4 sub-pixels (PixelShuffle reads input channel
            # 4c + sub-pixel), +1, 0, -1: neighbouring boxes mostly agree on their class.
            # Box channels with no bias and small weights: sizes near the anchor's.
            for k in range(K_DET):
                self.head.bias[4 * (5 + k):4 * (6 + k)] = 1.0 - k
            self.head.bias[:16] = 0
            self.head.weight[:16] *= 0.05
        gy, gx = torch.meshgrid(torch.arange(12.0), torch.arange(48.0), indexing="ij")
        self.register_buffer("grid", torch.stack([gx, gy])[None])

    def forward(self, x):
        s = torch.sigmoid(F.pixel_shuffle(self.head(self.backbone(x)), 2))
        xy = (s[:, 0:2] * 2 - 0.5 + self.grid.to(s.dtype)) * STRIDE
        wh = (s[:, 2:4] * 2) ** 2 * ANCHOR
        out = torch.cat([xy, wh, s[:, 4:5], s[:, 5:]], dim=1)
        return out.reshape(out.shape[0], 5 + K_DET, -1).permute(0, 2, 1)


def export(net, path, out_name, out_dims):
    buf = io.BytesIO()
    dummy = torch.zeros(1, 3, cm.H, cm.W)
    torch.onnx.export(net, dummy, buf, input_names=["input"], output_names=[out_name], opset_version=13, do_constant_folding=True,
                      dynamic_axes={"input": {0: "batch"}, out_name: {k: d for k, d in enumerate(out_dims) if isinstance(d, str)}})
    model = onnx.load_from_string(buf.getvalue())
    model.doc_string = f"camanim task fixture (tools/task_references.py): {net.__doc__.split(chr(10))[0]}"
    onnx.checker.check_model(model)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def tensor_of(img):
    return torch.from_numpy(cm.preprocess(np.asarray(img), cm.PADDLE)).double()


def cams(net, x, score, layers=BACKBONE):
    """The maps, their values to 9 significant digits (the float32 comparisons need 7)."""
    _, maps = gradcam_maps(net, x, {n: m(net) for n, m in layers.items()}, score)
    return [dict(m, raw=[float(f"{v:.9g}") for v in m["raw"]]) for m in maps]


def greedy(z):
    out, last = [], -1
    for k in z.argmax(dim=1).tolist():
        if k != last and k != 0:
            out.append(k)
        last = k
    return out


def ctc_logp(z, labels):
    """log p(labels | z) for one item's [T, C] scores, blank 0."""
    logp = F.log_softmax(z, dim=1)[:, None, :]
    return -F.ctc_loss(logp, torch.tensor([labels]), torch.tensor([z.shape[0]]), torch.tensor([len(labels)]), blank=0, reduction="sum")


class SequenceScores(nn.Module):
    """The scores before sequence.onnx's Softmax, which camanim explains ([T, 37] of item 0)."""

    def __init__(self, weights):
        super().__init__()
        self.backbone, self.seq_fc = weights[0], weights[2]

    def forward(self, x):
        return self.seq_fc(self.backbone(x).mean(dim=2).permute(0, 2, 1))[0]


def sequence_refs(weights, x):
    """For both layouts: sequence-tnc.onnx's scores are these transposed, and camanim transposes
    them back (the targets are defined on one item's [T, C])."""
    net = SequenceScores(weights).double().eval()
    z = net(x).detach()
    decoded = greedy(z)
    text = "".join(CHARSET[k - 1] for k in decoded[:1]) + "ab"
    given = [CHARSET.index(c) + 1 for c in text]
    refs = {"decoded": decoded, "greedy": {"logp": float(ctc_logp(z, decoded)), "layers": cams(net, x, lambda o: ctc_logp(o, decoded))},
            "text": {"text": text, "logp": float(ctc_logp(z, given)), "layers": cams(net, x, lambda o: ctc_logp(o, given))}}
    t, c = 5, 7
    refs["step"] = {"step": t, "class": c, "score": float(z[t, c]), "layers": cams(net, x, lambda o: o[t, c])}
    return refs


def detect_refs(weights, x):
    net = Detector(weights).double().eval()
    out = net(x)[0].detach()
    xyxy = torch.cat([out[:, :2] - out[:, 2:4] / 2, out[:, :2] + out[:, 2:4] / 2], dim=1)
    best, label = (out[:, 5:] * out[:, 4:5]).max(dim=1)
    cand = (best >= 0.25).nonzero().flatten()
    dets = cand[torchvision.ops.batched_nms(xyxy[cand], best[cand], label[cand], 0.45)]
    boxes = []
    for i in (0, 1):
        d = int(dets[i])
        ious = torchvision.ops.box_iou(xyxy[d:d + 1], xyxy)[0]
        match = ((best >= 0.25) & (label == label[d]) & (ious > 0.5)).nonzero().flatten()
        target = lambda o, match=match, k=int(label[d]): (o[0, match, 4] * o[0, match, 5 + k]).sum()  # noqa: E731
        layers = dict(BACKBONE, **{"/head/Conv_output_0": lambda n: n.head})
        boxes.append({"box": i, "row": d, "class": int(label[d]), "score": float(best[d]), "xyxy": [float(v) for v in xyxy[d]],
                      "matched": len(match), "value": float(target(out[None])), "layers": cams(net, x, target, layers)})
    return {"detections": len(dets), "boxes": boxes}


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    weights = cm.build_weights()
    export(SequenceTNC(weights).eval(), os.path.join(OUT, "sequence-tnc.onnx"), "logits", [cm.W // 8, "batch", cm.SEQ_CLASSES])
    export(Detector(weights).eval(), os.path.join(OUT, "detect.onnx"), "head", ["batch", 12 * 48, 5 + K_DET])
    with open(os.path.join(OUT, "charset.txt"), "w") as f:
        f.write("\n".join(CHARSET) + "\n")
    # The reference: the image flipped and its colours inverted (an embedding far enough from the
    # image's that the cosine's gradient is not a cancellation: the flip alone gives 0.9998).
    other = ImageOps.invert(cm.image_wide().transpose(Image.FLIP_LEFT_RIGHT))
    other.save(os.path.join(OUT, "image-48x192-other.png"), optimize=False)

    w64 = tuple(m.double() for m in cm.build_weights())
    x = tensor_of(cm.image_wide())
    sig = cm.Net(w64).double().eval()
    logits = sig(x)[0].detach()
    base = cm.Net(w64).double().eval()
    feats = cm.Net(w64, "two-outputs").double().eval()
    r = feats(tensor_of(other))[0][0].detach()
    cos = lambda o: torch.nn.CosineSimilarity(dim=0)(o[0][0], r)  # noqa: E731
    detect = detect_refs(w64, x)
    ref = {
        "description": "float64 torch.autograd Grad-CAM references of the task targets (tools/task_references.py)",
        "image": cm.IMG_WIDE, "convention": cm.PADDLE, "charset": "charset.txt",
        "multilabel": [{"class": c, "logit": float(logits[c]), "sigmoid": float(torch.sigmoid(logits[c])), "layers": cams(sig, x, lambda o, c=c: o[0, c])} for c in (3, 5)],
        "regress": {"index": 3, "direction": "down", "value": float(-logits[3]), "layers": cams(base, x, lambda o: -o[0, 3])},
        "embed": {"reference": "image-48x192-other.png", "cosine": float(cos(feats(x))), "layers": cams(feats, x, cos)},
        "sequence": sequence_refs(w64, x),
        "detect": detect,
    }
    write_compact(os.path.join(OUT, "tasks-gradcam.json"), ref)
    print(f"{OUT}: decoded {ref['sequence']['decoded']}, {detect['detections']} detections, boxes matched {[b['matched'] for b in detect['boxes']]}")


if __name__ == "__main__":
    main()
