#!/usr/bin/env python3
"""A reduced torchvision ViT (the B/16 layout: conv patch embedding, class token, pre-norm
encoder blocks; 32x32 input, 8x8 patches, 2 blocks of width 32), exported with torch.onnx at
opset 17, and Grad-CAM at its token layers in float64 with torch.autograd, written from
pytorch-grad-cam's definitions, not with camanim:

- reshape_transform (pytorch-grad-cam's docs, tutorials/vision_transformers.md):
  tensor[:, 1:, :].reshape(B, h, w, D), then channels first: the class token dropped, the
  patch tokens on the h x w grid;
- Grad-CAM (grad_cam.py get_cam_weights): weights = mean gradient over h, w; the map before the
  library's ReLU is sum_c w_c A_c;
- target: ClassifierOutputTarget of the predicted class (the largest logit).

Writes packages/cli/test/fixtures/contract/vit-tiny.onnx, image-32x32.png and vit-gradcam.json
(camanim's packages/cli/test/tokens.test.ts holds its maps against them).
Regenerate: /usr/bin/python3 tools/vit_reference.py
"""
import io
import os
import sys

import numpy as np
import onnx
import torch
from PIL import Image, ImageDraw
from torchvision.models.vision_transformer import VisionTransformer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures.gradcam import write_classifier_reference  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "cli", "test", "fixtures", "contract")
SEED = 13  # the architectures issue
SIZE, PATCH, GRID = 32, 8, 4
# torchvision's ImageNet preprocessing (the preset camanim --preset imagenet names).
MEAN, STD = np.array([0.485, 0.456, 0.406], np.float32), np.array([0.229, 0.224, 0.225], np.float32)


def build():
    torch.manual_seed(SEED)
    m = VisionTransformer(image_size=SIZE, patch_size=PATCH, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=10)
    with torch.no_grad():  # torchvision zero-initialises the head: give it weights, or every gradient is 0
        m.heads.head.weight.copy_(torch.randn(m.heads.head.weight.shape) * 0.5)
        m.heads.head.bias.copy_(torch.randn(m.heads.head.bias.shape) * 0.1)
        m.class_token.copy_(torch.randn(m.class_token.shape) * 0.5)
    return m.eval()


def image():
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64) / (SIZE - 1)
    base = np.stack([40 + 160 * xx, 60 + 140 * yy, 200 - 120 * xx * yy], axis=2)
    img = Image.fromarray(np.clip(np.round(base), 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    d.ellipse([4, 4, 14, 14], fill=(230, 30, 30))
    d.rectangle([18, 18, 29, 27], fill=(20, 40, 220))
    d.line([(2, 30), (30, 2)], fill=(250, 250, 250), width=2)
    return img


def main():
    torch.set_num_threads(1)
    model = build()
    buf = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 3, SIZE, SIZE), buf, opset_version=17, input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load_from_string(buf.getvalue())
    proto.producer_name, proto.producer_version = "pytorch", ""
    onnx.checker.check_model(proto)
    onnx.save(proto, os.path.join(OUT, "vit-tiny.onnx"))
    img = image()
    img.save(os.path.join(OUT, "image-32x32.png"))
    x = ((np.asarray(img).astype(np.float32) / np.float32(255) - MEAN) / STD).transpose(2, 0, 1)[None]
    net = model.double()
    layers = {"/conv_proj/Conv_output_0": net.conv_proj}
    for i, block in enumerate(net.encoder.layers):
        layers[f"/encoder/layers/encoder_layer_{i}/ln_1/LayerNormalization_output_0"] = block.ln_1
        layers[f"/encoder/layers/encoder_layer_{i}/Add_1_output_0"] = block
    layers["/encoder/ln/LayerNormalization_output_0"] = net.encoder.ln

    def reshape_transform(_name, t):  # tokens [T, D]: the class token dropped, the patches on the grid
        return t[1:].reshape(GRID, GRID, -1).permute(2, 0, 1) if t.dim() == 2 else t

    category, out = write_classifier_reference(
        os.path.join(OUT, "vit-gradcam.json"), net, torch.from_numpy(x).double(), layers, reshape_transform,
        "Grad-CAM at the token layers of a reduced torchvision ViT, pytorch-grad-cam's reshape_transform (class token dropped, 4x4 grid), float64 torch.autograd (tools/vit_reference.py)",
        "vit-tiny.onnx")
    print(f"vit-gradcam.json: class {category}, {len(out)} layers")


if __name__ == "__main__":
    main()
