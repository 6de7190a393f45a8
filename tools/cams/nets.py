"""Torch forwards with layer taps and layer overrides, for the reference CAMs.

Two kinds of network, one interface (`Net`):
  * FixtureNet: a reduced-width torchvision fixture from tools/fixtures, rebuilt with
    the exporter's own builder, seed and BatchNorm recalibration, then checked
    against the logits stored in its .grads.bin; layers are tapped with forward
    hooks on the module whose output the fixture maps to an ONNX tensor.
  * OnnxNet: the forward evaluated node by node from an ONNX graph with torch ops
    (Conv, BatchNormalization, Relu, Add, MaxPool, GlobalAveragePool, Flatten,
    Reshape, Gemm), weights from the initializers; layers are ONNX tensor names.
Both run in float64 (the fixture is built in float32 first, as exported).

  net.run(x, override=None) -> (logits, {layer: activation})
override = (layer, fn): the layer's value is replaced by fn(value) for everything
downstream (used by Ablation-CAM).
"""
import os
import sys
import zlib

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Net:
    layers = ()  # layer ids (ONNX tensor names), in forward order

    def run(self, x, override=None):
        raise NotImplementedError

    @torch.no_grad()
    def logits(self, x, override=None, chunk=32):
        """Logits for a batch, `chunk` images at a time (override fn gets the batch offset)."""
        outs = []
        for s in range(0, x.shape[0], chunk):
            ov = None
            if override is not None:
                layer, fn = override
                ov = (layer, lambda v, s=s: fn(v, s))
            outs.append(self.run(x[s:s + chunk], ov)[0])
        return torch.cat(outs)


class FixtureNet(Net):
    """tools/fixtures model rebuilt exactly as tools/export_models.py builds it."""

    def __init__(self, name, grads_meta):
        if TOOLS not in sys.path:
            sys.path.insert(0, TOOLS)
        from fixtures.models import SPEC_BY_NAME
        from fixtures.prepare import prepare
        spec = SPEC_BY_NAME[name]
        seed = zlib.crc32(name.encode()) & 0x7FFFFFFF  # export_models.model_seed
        if grads_meta.get("seed") != seed:
            raise RuntimeError(f"{name}: stored seed {grads_meta.get('seed')} != {seed}")
        torch.manual_seed(seed)
        model = spec.build()
        model, _ = prepare(model, spec.size, seed, batches=4, batch_size=8)  # as export_one(with_grads)
        self.model32 = model
        self.model = None
        self.modules = {t["onnx"]: t["module"] for t in grads_meta["tensors"]}
        self.layers = [t["onnx"] for t in grads_meta["tensors"]]

    def to_double(self):
        import copy
        self.model = copy.deepcopy(self.model32).double().eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        return self

    def run(self, x, override=None):
        model = self.model
        mods = dict(model.named_modules())
        acts, handles = {}, []

        def hook(layer):
            def fn(_m, _i, out):
                if override is not None and override[0] == layer:
                    out = override[1](out)
                acts[layer] = out
                return out
            return fn
        for layer in self.layers:
            handles.append(mods[self.modules[layer]].register_forward_hook(hook(layer)))
        try:
            y = model(x)
        finally:
            for h in handles:
                h.remove()
        return y, acts


def _pair_pads(pads):
    """ONNX pads [t, l, b, r] -> F.pad order (l, r, t, b)."""
    t, l, b, r = pads
    return (l, r, t, b)


class OnnxNet(Net):
    """An ONNX graph (limited op set) evaluated with torch float64 ops."""

    OPS = {"Conv", "BatchNormalization", "Relu", "Add", "MaxPool", "GlobalAveragePool",
           "Flatten", "Reshape", "Gemm"}

    def __init__(self, path, layers=None):
        self.proto = onnx.load(path)
        g = self.proto.graph
        bad = {n.op_type for n in g.node} - self.OPS
        if bad:
            raise RuntimeError(f"{path}: unsupported ops {sorted(bad)}")
        self.init = {}
        for t in g.initializer:
            a = numpy_helper.to_array(t)
            self.init[t.name] = torch.from_numpy(a.astype(np.float64) if a.dtype.kind == "f" else a.copy())
        self.input_name = g.input[0].name
        self.output_name = g.output[0].name
        self.layers = list(layers or [])

    def to_double(self):
        return self

    def run(self, x, override=None):
        env = dict(self.init)
        env[self.input_name] = x
        acts = {}
        for node in self.proto.graph.node:
            a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
            ins = [env[i] if i else None for i in node.input]
            out = self._op(node.op_type, ins, a)
            name = node.output[0]
            if override is not None and override[0] == name:
                out = override[1](out)
            env[name] = out
            if name in self.layers:
                acts[name] = out
        return env[self.output_name], acts

    @staticmethod
    def _op(op, ins, a):
        if op == "Conv":
            pads = a.get("pads", [0, 0, 0, 0])
            x = ins[0]
            if any(pads):
                x = F.pad(x, _pair_pads(pads))
            return F.conv2d(x, ins[1], ins[2] if len(ins) > 2 else None,
                            stride=a.get("strides", [1, 1]), dilation=a.get("dilations", [1, 1]),
                            groups=a.get("group", 1))
        if op == "BatchNormalization":
            x, sc, bi, mu, var = ins
            sh = (1, -1, 1, 1)
            return (x - mu.view(sh)) / torch.sqrt(var.view(sh) + a.get("epsilon", 1e-5)) * sc.view(sh) + bi.view(sh)
        if op == "Relu":
            return torch.relu(ins[0])
        if op == "Add":
            return ins[0] + ins[1]
        if op == "MaxPool":
            pads = a.get("pads", [0, 0, 0, 0])
            x = F.pad(ins[0], _pair_pads(pads), value=-float("inf")) if any(pads) else ins[0]
            return F.max_pool2d(x, a["kernel_shape"], a.get("strides", [1, 1]),
                                dilation=a.get("dilations", [1, 1]), ceil_mode=bool(a.get("ceil_mode", 0)))
        if op == "GlobalAveragePool":
            return ins[0].mean(dim=(2, 3), keepdim=True)
        if op == "Flatten":
            ax = a.get("axis", 1)
            return ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        if op == "Reshape":
            shape = [int(v) for v in ins[1]]
            shape = [ins[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
            return ins[0].reshape(shape)
        if op == "Gemm":
            A, B = ins[0], ins[1]
            A = A.t() if a.get("transA", 0) else A
            B = B.t() if a.get("transB", 0) else B
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
            return y
        raise RuntimeError(op)


def forward_with_grads(net, x, cls):
    """One float64 forward; returns logits, {layer: A}, {layer: dlogit[0,cls]/dA}."""
    x = x.detach().clone().requires_grad_(True)  # parameters are frozen; the graph hangs off x
    with torch.enable_grad():
        logits, acts = net.run(x)
        missing = [l for l in net.layers if l not in acts]
        if missing:
            raise RuntimeError(f"layers not reached: {missing}")
        grads = torch.autograd.grad(logits[0, cls], [acts[l] for l in net.layers])
    return logits.detach(), {l: acts[l].detach() for l in net.layers}, dict(zip(net.layers, grads))
