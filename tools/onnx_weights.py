#!/usr/bin/env python3
"""Carry a big ONNX model without its weights, and give it seeded random ones where it lands.

  python3 tools/onnx_weights.py strip bench-models/resnet50.onnx .gpu/resnet50.skel.onnx
  python3 tools/onnx_weights.py fill  .gpu/resnet50.skel.onnx bench-models/resnet50.onnx

For benchmarks on a machine the model cannot be exported on (the GPU machine's torch exports
with another exporter) or copied to (ResNet-50 is 100 MB): `strip` empties every float32
initializer of 1024 elements or more (dims kept); `fill` gives each emptied one values drawn
from N(0, 2/fan_in) for weights (fan_in = the product of the dims after the first, He's
initialisation, so activations neither vanish nor overflow through 50 layers), or N(0, 0.01²)
for 1-D tensors, seeded by the tensor's name. Timings do not depend on the values; parity checks
must not use a filled model. Needs only the onnx and numpy packages.
"""
import sys
import zlib

import numpy as np
import onnx
from onnx import numpy_helper

MIN_ELEMENTS = 1024


def size(t):
    return int(np.prod(t.dims)) if len(t.dims) else 1


def strip(src, dst):
    model = onnx.load(src)
    n = 0
    for t in model.graph.initializer:
        if t.data_type == onnx.TensorProto.FLOAT and size(t) >= MIN_ELEMENTS:
            t.ClearField("raw_data")
            t.ClearField("float_data")
            n += 1
    onnx.save(model, dst)
    print(f"{dst}: {n} initializers emptied", file=sys.stderr)


def fill(src, dst):
    model = onnx.load(src)
    n = 0
    for i, t in enumerate(model.graph.initializer):
        if t.data_type != onnx.TensorProto.FLOAT or t.raw_data or t.float_data or size(t) == 0:
            continue
        rng = np.random.default_rng(zlib.crc32(t.name.encode()))
        dims = list(t.dims)
        std = np.sqrt(2.0 / int(np.prod(dims[1:]))) if len(dims) > 1 else 0.01
        values = (rng.standard_normal(dims) * std).astype(np.float32)
        model.graph.initializer[i].CopyFrom(numpy_helper.from_array(values, t.name))
        n += 1
    onnx.save(model, dst)
    print(f"{dst}: {n} initializers filled", file=sys.stderr)


def main(argv):
    if len(argv) != 3 or argv[0] not in ("strip", "fill"):
        sys.exit(__doc__)
    {"strip": strip, "fill": fill}[argv[0]](argv[1], argv[2])


if __name__ == "__main__":
    main(sys.argv[1:])
