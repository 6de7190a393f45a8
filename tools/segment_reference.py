#!/usr/bin/env python3
"""Grad-CAM of a segmentation model with pytorch-grad-cam's SemanticSegmentationTarget, in
float64 with torch.autograd, written from the library's definitions (not with camanim):

- target (pytorch_grad_cam/utils/model_targets.py SemanticSegmentationTarget):
  (model_output[category, :, :] * mask).sum(), with the mask of the pixels whose argmax over the
  classes is `category` (the library's segmentation tutorial), category = the class with the
  most such pixels (ties: the lower index);
- Grad-CAM (pytorch_grad_cam/grad_cam.py get_cam_weights): weights = mean of the gradient over
  H and W; the map, before the library's ReLU and scaling, is sum_c weights_c * A_c.

The model is tools/contract_models.py's `segment` (same seed, same weights), on its 48x192
image with its convention ((x/255 - 0.5)/0.5). Writes
packages/cli/test/fixtures/contract/segment-gradcam.json; `packages/cli/test/segment.test.ts`
holds camanim's maps against it. Regenerate: /usr/bin/python3 tools/segment_reference.py
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contract_models as cm  # noqa: E402
from fixtures.gradcam import gradcam_maps  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "cli", "test", "fixtures", "contract", "segment-gradcam.json")

# ONNX tensor name (as torch.onnx names them in segment.onnx) -> the module whose output it is.
# BatchNorm is folded into conv2 by the export, so conv2's ONNX output is the BN's output here.
LAYERS = {
    "/backbone/conv1/Conv_output_0": lambda net: net.backbone.conv1,
    "/backbone/relu1/Relu_output_0": lambda net: net.backbone.relu1,
    "/backbone/conv2/Conv_output_0": lambda net: net.backbone.bn,
    "/backbone/relu2/Relu_output_0": lambda net: net.backbone.relu2,
    "/backbone/conv3/Conv_output_0": lambda net: net.backbone.conv3,
    "/backbone/relu3/Relu_output_0": lambda net: net.backbone.relu3,
    "/seg_conv/Conv_output_0": lambda net: net.seg_conv,
}


def main():
    torch.set_num_threads(1)
    net = cm.Net(cm.build_weights(), "segment").double().eval()
    x = torch.from_numpy(cm.preprocess(np.asarray(cm.image_wide()), cm.PADDLE)).double()
    out = {}

    def score(output):
        out["map"] = output[0]
        labels = output[0].argmax(dim=0)
        out["areas"] = torch.stack([(labels == k).sum() for k in range(output.shape[1])])
        out["category"] = int(torch.argmax(out["areas"]))  # first maximum: the lower index on ties
        out["mask"] = (labels == out["category"]).double()
        out["score"] = (output[0, out["category"]] * out["mask"]).sum()
        return out["score"]

    _, layers = gradcam_maps(net, x, {name: module(net) for name, module in LAYERS.items()}, score)
    category, mask, areas, score = out["category"], out["mask"], out["areas"], out["score"]
    ref = {
        "description": "Grad-CAM with pytorch-grad-cam's SemanticSegmentationTarget on segment.onnx, float64 torch.autograd (tools/segment_reference.py)",
        "model": "segment.onnx", "image": cm.IMG_WIDE, "convention": cm.PADDLE,
        "category": category, "maskPixels": int(mask.sum()), "areas": [int(v) for v in areas], "score": float(score),
        "layers": layers,
    }
    with open(OUT, "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print(f"{OUT}: category {category}, {int(mask.sum())} pixels, score {float(score):.6f}, {len(layers)} layers")


if __name__ == "__main__":
    main()
