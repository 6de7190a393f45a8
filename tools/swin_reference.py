#!/usr/bin/env python3
"""A reduced torchvision Swin Transformer (its real layout: conv patch embedding, permute to
channels-last, shifted-window attention with the masks built from constants, patch merging;
32x32 input, patches of 4, windows of 4, widths 16 and 32, two blocks a stage), exported with
torch.onnx at opset 17 as torch writes it (its attention dropout keeps the mask output that
torch types float, which onnxruntime refuses: camanim reads it), and Grad-CAM in float64 with
torch.autograd at its channels-last [N, H, W, C] stage outputs, from pytorch-grad-cam's
definitions (fixtures/gradcam.py) with its Swin reshape_transform (tutorials: swinT_example.py,
`tensor.reshape(B, H, W, C)` then channels first).

Writes packages/cli/test/fixtures/contract/swin-tiny.onnx and swin-gradcam.json (image:
image-32x32.png from vit_reference.py); packages/cli/test/layouts.test.ts holds camanim to them.
Regenerate: /usr/bin/python3 tools/swin_reference.py
"""
import io
import os
import sys

import numpy as np
import onnx
import torch
from PIL import Image
from torchvision.models.swin_transformer import SwinTransformer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures.gradcam import write_classifier_reference  # noqa: E402
from vit_reference import MEAN, OUT, STD  # noqa: E402

SEED = 13


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    model = SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4],
                            stochastic_depth_prob=0.0, num_classes=10).eval()
    buf = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 3, 32, 32), buf, opset_version=17, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load_from_string(buf.getvalue())
    proto.producer_version = ""
    onnx.save(proto, os.path.join(OUT, "swin-tiny.onnx"))
    img = np.asarray(Image.open(os.path.join(OUT, "image-32x32.png")).convert("RGB"))
    x = torch.from_numpy(((img.astype(np.float32) / np.float32(255) - MEAN) / STD).transpose(2, 0, 1)[None].copy()).double()
    net = model.double()
    layers = {
        "/features/features.0/features.0.2/LayerNormalization_output_0": net.features[0],  # patch embedding [1, 8, 8, 16]
        "/features/features.1/features.1.0/Add_1_output_0": net.features[1][0],  # a (non-shifted) block
        "/features/features.1/features.1.1/Add_1_output_0": net.features[1],  # the shifted block: stage 1's output
        "/features/features.2/reduction/MatMul_output_0": net.features[2],  # patch merging [1, 4, 4, 32]
        "/features/features.3/features.3.1/Add_1_output_0": net.features[3],
        "/norm/LayerNormalization_output_0": net.norm,
    }
    produced = {o for n in proto.graph.node for o in n.output}
    missing = [name for name in layers if name not in produced]
    if missing:
        raise SystemExit(f"swin_reference.py: the export has no tensor {missing[0]} (another torch version names it otherwise)")

    def reshape_transform(_name, t):  # one item [H, W, C] -> [C, H, W]
        return t.permute(2, 0, 1)

    category, maps = write_classifier_reference(
        os.path.join(OUT, "swin-gradcam.json"), net, x, layers, reshape_transform,
        "Grad-CAM of a reduced torchvision Swin Transformer at its channels-last stage outputs, pytorch-grad-cam's Swin "
        "reshape_transform, float64 torch.autograd (tools/swin_reference.py)",
        "swin-tiny.onnx")
    print(f"swin-gradcam.json: class {category}, {len(maps)} layers")


if __name__ == "__main__":
    main()
