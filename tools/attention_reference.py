#!/usr/bin/env python3
"""Attention rollout and gradient-weighted attention of two reduced vision transformers, in float64
torch (torch.autograd for the attention gradients), written from the released code's
conventions, not with camanim:

- attention rollout, jacobgil/vit-explain vit_rollout.py (Abnar & Zuidema 2020): per block the
  attention [N, heads, T, T] fused over heads (mean, max or min); with discard_ratio, the
  int(T*T*ratio) smallest entries of the fused [T*T] (torch.topk, largest=False) set to 0 except
  flat index 0 (class -> class); a = (fused + I) / 2; a renormalised, and result = a @ result from
  the identity; the map is result[0, prefix:], the class token's row over the patch tokens. The
  renormalisation two ways: 'rows' (a / a.sum(-1, keepdim=True): the paper, and what
  Transformer-Explainability's compute_rollout_attention does) and 'vit-explain' (the released
  a / a.sum(dim=-1), which broadcasts as column j divided by row j's sum; vit-explain issue #16).
  Without discarding both are the identity (the rows of (A + I)/2 sum to 1).
- gradient-weighted attention, hila-chefer/Transformer-MM-Explainability (Chefer et al. 2021,
  "Generic Attention-model Explainability"): avg_heads = (grad * attn).clamp(min=0) averaged
  over heads; R = I; per block R += avg_heads @ R; the map is R[0, prefix:]. grad is the
  gradient of the target (the predicted class's logit, one_hot * output) at the attention.
Every map is recorded after each block (CAManim: one frame per block).

Models: torchvision's reduced ViT of tools/vit_reference.py (its vit-tiny.onnx: nn.MultiheadAttention
exports the attention as [N*heads, T, T]; the blocks are recomputed here from the module's
weights to reach the attention, checked against the module's logits), and a DeiT-style model
(timm's Attention: [N, heads, T, T], a class and a distillation token) exported here as deit-tiny.onnx.

Writes packages/cli/test/fixtures/contract/deit-tiny.onnx and attention-reference.json (with the
input tensor, the fixture image under the imagenet preset, float32; camanim's
packages/cam-methods/test/attention.test.ts and packages/cli/test/attention.test.ts hold their maps).
Regenerate: /usr/bin/python3 tools/attention_reference.py
"""
import io
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch
from PIL import Image
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vit_reference import MEAN, OUT, STD, build  # noqa: E402

SEED = 1313
SIZE, PATCH, GRID, WIDTH, HEADS, BLOCKS = 32, 8, 4, 32, 2, 3
FUSIONS = ("mean", "max", "min")
DISCARDS = (0.0, 0.9)


class Attention(nn.Module):
    """timm's Attention: qkv in one Linear, [N, heads, T, d], softmax over the last axis."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv, self.proj = nn.Linear(dim, dim * 3), nn.Linear(dim, dim)
        self.attn = None

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1) * self.scale).softmax(dim=-1)
        if attn.requires_grad:
            attn.retain_grad()
        self.attn = attn
        return self.proj((attn @ v).transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1, self.attn, self.norm2 = nn.LayerNorm(dim), Attention(dim, heads), nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Deit(nn.Module):
    """DeiT distilled: class and distillation tokens before the patches, the head on their mean."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, WIDTH, PATCH, PATCH)
        self.cls, self.dist = nn.Parameter(torch.randn(1, 1, WIDTH) * 0.5), nn.Parameter(torch.randn(1, 1, WIDTH) * 0.5)
        self.pos = nn.Parameter(torch.randn(1, 2 + GRID * GRID, WIDTH) * 0.2)
        self.blocks = nn.ModuleList(Block(WIDTH, HEADS) for _ in range(BLOCKS))
        self.norm, self.head = nn.LayerNorm(WIDTH), nn.Linear(WIDTH, 10)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        b = x.shape[0]
        x = torch.cat([self.cls.expand(b, -1, -1), self.dist.expand(b, -1, -1), x], dim=1) + self.pos
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        return self.head((x[:, 0] + x[:, 1]) / 2)

    def attentions(self):
        return [blk.attn.attn for blk in self.blocks]


def torchvision_attentions(net, x):
    """torchvision's ViT recomputed block by block from its weights, keeping each attention."""
    n = x.shape[0]
    t = net._process_input(x)
    t = torch.cat([net.class_token.expand(n, -1, -1), t], dim=1)
    enc = net.encoder
    t = t + enc.pos_embedding
    attns = []
    for blk in enc.layers:
        mha = blk.self_attention
        h = blk.ln_1(t)
        q, k, v = (h @ mha.in_proj_weight.T + mha.in_proj_bias).chunk(3, dim=-1)
        heads = mha.num_heads
        split = lambda z: z.reshape(n, z.shape[1], heads, -1).transpose(1, 2)  # noqa: E731
        q, k, v = split(q), split(k), split(v)
        attn = (q @ k.transpose(-2, -1) / (q.shape[-1] ** 0.5)).softmax(dim=-1)
        attn.retain_grad()
        attns.append(attn)
        o = (attn @ v).transpose(1, 2).reshape(n, t.shape[1], -1)
        t = t + mha.out_proj(o)
        t = t + blk.mlp(blk.ln_2(t))
    t = enc.ln(t)
    return net.heads(t[:, 0]), attns


def rollout_frames(attns, discard, fusion, normalize, prefix):
    """vit-explain's rollout, its map recorded after every block."""
    t = attns[0].shape[-1]
    result, frames = torch.eye(t, dtype=torch.float64), []
    for attention in attns:
        fused = {"mean": lambda a: a.mean(dim=1), "max": lambda a: a.max(dim=1)[0], "min": lambda a: a.min(dim=1)[0]}[fusion](attention)
        flat = fused.view(fused.size(0), -1)
        _, indices = flat.topk(int(flat.size(-1) * discard), -1, False)
        indices = indices[indices != 0]
        flat[0, indices] = 0
        a = (fused + torch.eye(t, dtype=torch.float64)) / 2
        a = a / (a.sum(dim=-1, keepdim=True) if normalize == "rows" else a.sum(dim=-1))
        result = torch.matmul(a, result)
        frames.append([float(v) for v in result[0, 0, prefix:]])
    return frames


def chefer_frames(attns, prefix):
    """Transformer-MM-Explainability's generate_relevance, R recorded after every block."""
    t = attns[0].shape[-1]
    r, frames = torch.eye(t, dtype=torch.float64), []
    for attn in attns:
        cam = (attn.grad * attn).reshape(-1, t, t).clamp(min=0).mean(dim=0)
        r = r + torch.matmul(cam, r)
        frames.append([float(v) for v in r[0, prefix:]])
    return frames


def reference(name, file, logits, attns, blocks, prefix):
    category = int(torch.argmax(logits[0]))
    logits[0, category].backward()
    with torch.no_grad():
        detached = [a.detach().clone() for a in attns]
        rollout = {
            f"{fusion}/{discard}/{norm}": rollout_frames([a.clone() for a in detached], discard, fusion, norm, prefix)
            for fusion in FUSIONS for discard in DISCARDS for norm in (("rows", "vit-explain") if discard else ("rows",))
        }
    return {
        "name": name, "model": file, "category": category, "logits": [float(v) for v in logits[0].detach()],
        "prefix": prefix, "grid": [GRID, GRID], "blocks": blocks, "rollout": rollout, "gradient": chefer_frames(attns, prefix),
    }


def softmax_outputs(path):
    return [n.output[0] for n in onnx.load(path).graph.node if n.op_type == "Softmax"]


def main():
    torch.set_num_threads(1)
    img = Image.open(os.path.join(OUT, "image-32x32.png")).convert("RGB")
    x32 = ((np.asarray(img).astype(np.float32) / np.float32(255) - MEAN) / STD).transpose(2, 0, 1)[None]
    x = torch.from_numpy(x32).double()

    vit = build().double()
    onnx_vit = onnx.load(os.path.join(OUT, "vit-tiny.onnx"))
    head = next(i for i in onnx_vit.graph.initializer if i.name == "heads.head.weight")
    same = np.array_equal(numpy_helper.to_array(head), vit.heads.head.weight.detach().float().numpy())
    assert same, "vit-tiny.onnx is not build()'s model"
    logits, attns = torchvision_attentions(vit, x)
    with torch.no_grad():
        assert torch.allclose(logits, vit(x), atol=1e-12, rtol=0), "the recomputed blocks differ from torchvision's"
    models = [reference("torchvision ViT", "vit-tiny.onnx", logits, attns, softmax_outputs(os.path.join(OUT, "vit-tiny.onnx")), 1)]

    torch.manual_seed(SEED)
    deit = Deit().eval()
    buf = io.BytesIO()
    torch.onnx.export(deit, torch.zeros(1, 3, SIZE, SIZE), buf, opset_version=17, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load_from_string(buf.getvalue())
    proto.producer_name, proto.producer_version = "pytorch", ""
    onnx.checker.check_model(proto)
    deit_path = os.path.join(OUT, "deit-tiny.onnx")
    onnx.save(proto, deit_path)
    deit = deit.double()
    logits = deit(x)
    models.append(reference("DeiT-style (timm Attention)", "deit-tiny.onnx", logits, deit.attentions(), softmax_outputs(deit_path), 2))

    ref = {"description": "Attention rollout (vit-explain's conventions) and gradient-weighted attention (Chefer et al. 2021) "
                          "after every block, "
                          "float64 torch.autograd (tools/attention_reference.py)",
           "image": "image-32x32.png", "preset": "imagenet", "input": [float(v) for v in x32.flatten()], "models": models}
    with open(os.path.join(OUT, "attention-reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    for m in models:
        print(f"{m['model']}: class {m['category']}, {len(m['blocks'])} blocks, {len(m['rollout'])} rollout variants")


if __name__ == "__main__":
    main()
