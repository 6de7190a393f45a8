#!/usr/bin/python3
"""Export random-init torchvision CNNs to ONNX test fixtures (+ gradient fixtures).

Usage (Debian's /usr/bin/python3: python3-torch 1.13, python3-torchvision 0.14,
python3-onnx 1.12; no network, no pretrained weights):

  /usr/bin/python3 tools/export_models.py                 # all fixtures -> test/fixtures/models/
  /usr/bin/python3 tools/export_models.py resnet18 alexnet
  /usr/bin/python3 tools/export_models.py --verify        # + check with onnxruntime-node
  /usr/bin/python3 tools/export_models.py --full resnet50 resnet18 --out bench-models/

Committed fixtures are REDUCED-WIDTH versions of the torchvision architectures
(tools/fixtures/models.py) with 100 classes, fixed seeds, randomized norm
affines and recalibrated BatchNorm statistics (tools/fixtures/prepare.py).
Each gets:
  <name>.onnx        batch dim dynamic ("batch"), input "input", output "logits"
  <name>.json        {name, file, opset, input{name, shape}, numClasses, bytes, ops, grads}
  <name>.grads.bin   float32 LE: x | logits | grads | activations | input grad
                     (tools/fixtures/grads.py; offsets are in floats)
Gradients are d logits[0, c] / d (output of module M), c = argmax of logits, for
3-5 modules called once per forward.  Each module output is mapped to the ONNX
tensor holding the same value by a "probe export" (tools/fixtures/onnx_map.py):
the model is re-exported returning the hooked outputs as extra graph outputs,
the producing node is looked up by its (module-scoped) name in the main
export, and the mapping is accepted only if both graphs are identical apart
from those outputs and inferred shapes match.

--full exports the standard torchvision configuration (1000 classes, 224x224,
random init, recalibrated BN) for benchmarks, without gradient fixtures.
"""
import argparse
import os
import sys
import zlib
from collections import Counter

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import grads, onnx_map  # noqa: E402
from fixtures.models import NUM_CLASSES, SPEC_BY_NAME, SPECS, full_spec  # noqa: E402
from fixtures.prepare import prepare  # noqa: E402
from fixtures.jsonfmt import to_json  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "test", "fixtures", "models")
MAX_FIXTURE_BYTES = 3 * 1024 * 1024


def model_seed(name):
    """Stable per-model seed, independent of the order models are exported in."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def export_one(spec, out_dir, with_grads, size_limit, num_classes):
    seed = model_seed(spec.name)
    torch.manual_seed(seed)
    model = spec.build()
    model, spread = prepare(model, spec.size, seed,
                            batches=4 if with_grads else 2, batch_size=8 if with_grads else 4)
    main = onnx_map.export(model, spec)
    onnx.checker.check_model(main)
    onnx_path = os.path.join(out_dir, f"{spec.name}.onnx")
    onnx.save(main, onnx_path)
    size = os.path.getsize(onnx_path)
    if size_limit and size >= size_limit:
        raise RuntimeError(f"{spec.name}: {size} bytes exceeds the fixture limit {size_limit}")
    meta = {
        "name": spec.name, "file": f"{spec.name}.onnx", "opset": spec.opset,
        "input": {"name": "input", "shape": [1, 3, spec.size, spec.size]},
        "numClasses": spec.num_classes if num_classes == NUM_CLASSES else num_classes, "task": spec.task,
        "bytes": size, "seed": seed,
        "ops": onnx_map.op_types(main),
    }
    if with_grads:
        mapping = onnx_map.map_module_outputs(model, main, spec)
        result = grads.compute(model, spec.grad_modules, spec.size, seed, spec.task)
        bin_path = os.path.join(out_dir, f"{spec.name}.grads.bin")
        meta["grads"] = {"file": f"{spec.name}.grads.bin",
                         **grads.write(bin_path, result, spec.grad_modules, mapping, seed, spec.task)}
    with open(os.path.join(out_dir, f"{spec.name}.json"), "w") as f:
        f.write(to_json(meta) + "\n")
    print(f"{spec.name:20s} {spec.size:4d}px opset {spec.opset:2d} {size / 1e6:7.2f} MB"
          f"  logit std {spread:.3f}  {len(main.graph.node)} nodes", flush=True)
    return meta


def print_summary(metas):
    ops = Counter(op for m in metas for op in m["ops"])
    print("\nop types (number of models using each):")
    print("  " + ", ".join(f"{op} {n}" for op, n in sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))))
    total = sum(m["bytes"] for m in metas)
    print(f"total onnx bytes: {total / 1e6:.2f} MB")
    for m in metas:
        if "grads" in m:
            print(f"  {m['name']} (class {m['grads']['class']}):")
            for t in m["grads"]["tensors"]:
                print(f"    {t['module']:26s} -> {t['onnx']}  {t['shape']}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="*", help="model names (default: all fixtures)")
    ap.add_argument("--out", default=None, help=f"output directory (default {DEFAULT_OUT})")
    ap.add_argument("--full", action="store_true", help="standard width, 224x224, 1000 classes, no grads")
    ap.add_argument("--opset", type=int, default=13, help="opset for --full exports")
    ap.add_argument("--verify", action="store_true", help="check outputs with onnxruntime-node")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    if args.full:
        if not args.models:
            ap.error("--full needs model names")
        specs = [full_spec(n, args.opset) for n in args.models]
        out = args.out or os.path.join(REPO, "bench-models")
    else:
        unknown = [n for n in args.models if n not in SPEC_BY_NAME]
        if unknown:
            ap.error(f"unknown fixture model(s) {unknown}; known: {sorted(SPEC_BY_NAME)}")
        specs = [SPEC_BY_NAME[n] for n in args.models] if args.models else SPECS
        out = args.out or DEFAULT_OUT
    os.makedirs(out, exist_ok=True)
    metas = [export_one(s, out, with_grads=not args.full,
                        size_limit=None if args.full else MAX_FIXTURE_BYTES,
                        num_classes=1000 if args.full else NUM_CLASSES) for s in specs]
    print_summary(metas)
    if args.verify:
        from fixtures.verify_ort import verify
        verify(out, metas)


if __name__ == "__main__":
    main()
