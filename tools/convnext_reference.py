#!/usr/bin/env python3
"""A reduced torchvision ConvNeXt (its real blocks: depthwise conv, permute to channels-last,
LayerNorm, Linear, GELU, Linear, permute back; 32x32 input, widths 16 and 32, one block a stage),
exported with torch.onnx at opset 17, and Grad-CAM in float64 with torch.autograd at its
channels-last [N, H, W, C] tensors and at its NCHW ones, from pytorch-grad-cam's definitions
(fixtures/gradcam.py). The channels-last ones are read with their channel axis last, as a
pytorch-grad-cam user's reshape_transform (`tensor.permute(0, 3, 1, 2)`) reads them.

Writes packages/cli/test/fixtures/contract/convnext-tiny.onnx and convnext-gradcam.json (image:
image-32x32.png from vit_reference.py); packages/cli/test/layouts.test.ts holds camanim to them.
Regenerate: /usr/bin/python3 tools/convnext_reference.py
"""
import io
import os
import sys

import numpy as np
import onnx
import torch
from PIL import Image
from torchvision.models.convnext import CNBlockConfig, ConvNeXt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures.gradcam import write_classifier_reference  # noqa: E402
from vit_reference import MEAN, OUT, STD  # noqa: E402

SEED = 13


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    model = ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 1)], num_classes=10, layer_scale=0.5).eval()
    buf = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 3, 32, 32), buf, opset_version=17, input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load_from_string(buf.getvalue())
    proto.producer_version = ""
    onnx.checker.check_model(proto)
    onnx.save(proto, os.path.join(OUT, "convnext-tiny.onnx"))
    img = np.asarray(Image.open(os.path.join(OUT, "image-32x32.png")).convert("RGB"))
    x = torch.from_numpy(((img.astype(np.float32) / np.float32(255) - MEAN) / STD).transpose(2, 0, 1)[None].copy()).double()
    net = model.double()
    layers, nhwc = {}, set()
    for stage in (1, 3):
        block = net.features[stage][0].block
        p = f"/features/features.{stage}/features.{stage}.0/block"
        layers[f"{p}/block.0/Conv_output_0"] = block[0]
        for k, op in ((2, "LayerNormalization"), (3, "Add"), (5, "Add")):
            name = f"{p}/block.{k}/{op}_output_0"
            layers[name] = block[k]
            nhwc.add(name)
        layers[f"/features/features.{stage}/features.{stage}.0/Add_output_0"] = net.features[stage][0]
    category, maps = write_classifier_reference(
        os.path.join(OUT, "convnext-gradcam.json"), net, x, layers, lambda name, t: t.permute(2, 0, 1) if name in nhwc else t,
        "Grad-CAM of a reduced torchvision ConvNeXt at channels-last and NCHW tensors, float64 torch.autograd (tools/convnext_reference.py)",
        "convnext-tiny.onnx", {"channelsLast": sorted(nhwc)})
    print(f"convnext-gradcam.json: class {category}, {len(maps)} layers ({len(nhwc)} channels-last)")


if __name__ == "__main__":
    main()
