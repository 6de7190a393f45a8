#!/usr/bin/env python3
"""Float64 torch.autograd references for the task targets of core (issue #13, item 3), on small
random outputs (fixed seed), written from their definitions, not from camanim:

- ctc: log p(l | x) = -torch.nn.functional.ctc_loss(log_softmax(z), l, reduction='sum') for the
  greedy-decoded labels of z (argmax per step, repeats merged, blank 0 dropped) and for a given
  label sequence; step: z[t, c];
- similarity: pytorch-grad-cam's SimilarityToConceptTarget, torch.nn.CosineSimilarity(dim=0);
- sigmoid: torch.sigmoid(z)[c];
- box: YOLOv5 [boxes, 4+1+K] and YOLOv8 [4+K, boxes] rows; candidates are the boxes whose best
  obj*cls (v5) or cls (v8) is >= 0.25; detections from torchvision.ops.batched_nms at IoU 0.45;
  the target of detection i is the sum of the chosen class's scores of the candidates of that
  class with torchvision.ops.box_iou > 0.5 to it (matching held constant).

Writes packages/core/test/fixtures/task-targets.json (values and gradients per case);
packages/core/test/task-targets.test.ts holds core's targets to it.
Regenerate: /usr/bin/python3 tools/task_targets_reference.py
"""
import os
import sys

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures.jsonfmt import write_compact  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "core", "test", "fixtures", "task-targets.json")
T, C = 12, 6


def flat(t):
    return [float(v) for v in t.detach().flatten()]


def grad_of(z, f):
    z = z.clone().requires_grad_(True)
    v = f(z)
    v.backward()
    return float(v), flat(z.grad)


def greedy(z, blank=0):
    best = z.argmax(dim=1).tolist()
    out, last = [], -1
    for k in best:
        if k != last and k != blank:
            out.append(k)
        last = k
    return out


def ctc(labels):
    def f(z):
        logp = F.log_softmax(z, dim=1)[:, None, :]  # [T, 1, C]
        tgt = torch.tensor([labels], dtype=torch.long)
        return -F.ctc_loss(logp, tgt, torch.tensor([T]), torch.tensor([len(labels)]), blank=0, reduction="sum")
    return f


def box_cases(g):
    cases = []
    for fmt in ("yolov5", "yolov8"):
        boxes, K = 40, 2
        cx, cy = torch.rand(boxes, generator=g, dtype=torch.float64) * 64, torch.rand(boxes, generator=g, dtype=torch.float64) * 32
        # Boxes in a few clusters, so that NMS and the IoU matching have overlaps to resolve.
        cx, cy = (cx / 16).round() * 16 + torch.randn(boxes, generator=g, dtype=torch.float64), (cy / 16).round() * 16 + torch.randn(boxes, generator=g, dtype=torch.float64)
        wh = 8 + 8 * torch.rand(boxes, 2, generator=g, dtype=torch.float64)
        scores = torch.rand(boxes, (1 if fmt == "yolov5" else 0) + K, generator=g, dtype=torch.float64)
        rows = torch.cat([cx[:, None], cy[:, None], wh, scores], dim=1)  # [boxes, 4(+1)+K]
        row = rows if fmt == "yolov5" else rows.T.contiguous()

        def parts(r):
            rr = r if fmt == "yolov5" else r.T
            cls = rr[:, 5:] * rr[:, 4:5] if fmt == "yolov5" else rr[:, 4:]
            xyxy = torch.cat([rr[:, :2] - rr[:, 2:4] / 2, rr[:, :2] + rr[:, 2:4] / 2], dim=1)
            return cls, xyxy

        cls, xyxy = parts(row)
        best, label = cls.max(dim=1)
        cand = (best >= 0.25).nonzero().flatten()
        keep = torchvision.ops.batched_nms(xyxy[cand], best[cand], label[cand], 0.45)
        dets = cand[keep]
        targets = []
        for i in range(min(5, len(dets))):
            d = int(dets[i])

            def f(r, d=d):
                c, b = parts(r)
                bb, lab = c.detach().max(dim=1)
                ious = torchvision.ops.box_iou(b.detach()[d:d + 1], b.detach())[0]
                match = ((bb >= 0.25) & (lab == lab[d]) & (ious > 0.5)).nonzero().flatten()
                return c[match, lab[d]].sum()
            value, grad = grad_of(row, f)
            targets.append({"row": d, "class": int(label[d]), "score": float(best[d]), "value": value, "grad": grad})
        cases.append({"format": fmt, "boxes": boxes, "classes": K, "row": flat(row),
                      "detections": [{"row": int(d), "class": int(label[d]), "score": float(best[d]), "box": flat(xyxy[d])} for d in dets],
                      "targets": targets})
    return cases


def main():
    g = torch.Generator().manual_seed(13)
    z = torch.randn(T, C, generator=g, dtype=torch.float64) * 2
    decoded = greedy(z)
    given = [3, 3, 1]  # a repeat: needs a blank between
    step = (5, 2)
    x, r = torch.randn(16, generator=g, dtype=torch.float64), torch.randn(16, generator=g, dtype=torch.float64)
    logits = torch.randn(C, generator=g, dtype=torch.float64)
    ref = {
        "description": "float64 torch.autograd references of core's task targets (tools/task_targets_reference.py)",
        "sequence": {"steps": T, "classes": C, "blank": 0, "row": flat(z), "decoded": decoded,
                     "greedy": dict(zip(("value", "grad"), grad_of(z, ctc(decoded)))),
                     "given": {"labels": given, **dict(zip(("value", "grad"), grad_of(z, ctc(given))))},
                     "step": {"step": step[0], "class": step[1], **dict(zip(("value", "grad"), grad_of(z, lambda t: t[step]))) }},
        "similarity": {"row": flat(x), "reference": flat(r),
                       **dict(zip(("value", "grad"), grad_of(x, lambda t: torch.nn.CosineSimilarity(dim=0)(t, r))))},
        "sigmoid": {"row": flat(logits), "class": 4, **dict(zip(("value", "grad"), grad_of(logits, lambda t: torch.sigmoid(t)[4])))},
        "boxes": box_cases(g),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    write_compact(OUT, ref)
    print(f"{OUT}: decoded {decoded}, {[len(c['detections']) for c in ref['boxes']]} detections")


if __name__ == "__main__":
    main()
