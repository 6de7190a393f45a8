"""Tiny numpy reference interpreter for the ONNX ops the bundled model may
use (Conv, BatchNormalization, Relu, Add, MaxPool, GlobalAveragePool,
Flatten, Reshape, Gemm). Used to check the exported file without
onnxruntime."""
import numpy as np
import onnx
from onnx import numpy_helper

ALLOWED_OPS = {"Conv", "BatchNormalization", "Relu", "Add", "MaxPool",
               "GlobalAveragePool", "Flatten", "Reshape", "Gemm"}


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pad_nchw(x, pads, value=0.0):
    k = len(pads) // 2
    pw = [(0, 0), (0, 0)] + [(pads[i], pads[i + k]) for i in range(k)]
    return np.pad(x, pw, constant_values=value)


def _windows(x, kh, kw, sh, sw, dh=1, dw=1):
    n, c, h, w = x.shape
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    s = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, c, kh, kw, oh, ow),
        (s[0], s[1], s[2] * dh, s[3] * dw, s[2] * sh, s[3] * sw))


def _conv(x, w, b, a):
    group = a.get("group", 1)
    assert group == 1, "grouped conv not supported"
    kh, kw = w.shape[2:]
    strides = a.get("strides", [1, 1])
    dil = a.get("dilations", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    xp = np.ascontiguousarray(_pad_nchw(x, pads))
    win = _windows(xp, kh, kw, strides[0], strides[1], dil[0], dil[1])
    y = np.einsum("ncijhw,ocij->nohw", win, w, optimize=True)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y


def _maxpool(x, a):
    kh, kw = a["kernel_shape"]
    strides = a.get("strides", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    xp = np.ascontiguousarray(_pad_nchw(x, pads, -np.inf))
    return _windows(xp, kh, kw, strides[0], strides[1]).max(axis=(2, 3))


def run(model_path_or_proto, inputs):
    m = onnx.load(model_path_or_proto) if isinstance(model_path_or_proto, str) else model_path_or_proto
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) if numpy_helper.to_array(t).dtype.kind == "f"
           else numpy_helper.to_array(t) for t in m.graph.initializer}
    env.update({k: v.astype(np.float64) for k, v in inputs.items()})
    for node in m.graph.node:
        op, a = node.op_type, _attrs(node)
        if op not in ALLOWED_OPS:
            raise ValueError(f"op {op} not allowed")
        ins = [env[i] if i else None for i in node.input]
        if op == "Conv":
            out = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "BatchNormalization":
            x, sc, bi, mu, var = ins
            eps = a.get("epsilon", 1e-5)
            sh = (1, -1, 1, 1)
            out = (x - mu.reshape(sh)) / np.sqrt(var.reshape(sh) + eps) * sc.reshape(sh) + bi.reshape(sh)
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op == "MaxPool":
            out = _maxpool(ins[0], a)
        elif op == "GlobalAveragePool":
            out = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Reshape":
            shape = [int(v) for v in ins[1]]
            shape = [ins[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
            out = ins[0].reshape(shape)
        elif op == "Gemm":
            A, Bm = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                Bm = Bm.T
            out = a.get("alpha", 1.0) * (A @ Bm)
            if len(ins) > 2 and ins[2] is not None:
                out = out + a.get("beta", 1.0) * ins[2]
        env[node.output[0]] = out
    return {o.name: env[o.name] for o in m.graph.output}, env
