/**
 * Small ONNX files for the viewer tests, written with onnx-proto: a seeded three-conv CNN
 * (the in-page computation is checked against the CLI's bundle on it) and a model with an
 * operator camanim does not support.
 */
import { writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

function random(n: number, seed: number, scale: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s / 4294967296 - 0.5) * 2 * scale;
  });
}

const valueInfo = (name: string, dims: (number | string)[]) => ({
  name,
  type: {
    tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } },
  },
});

/** [1, 3, size, size] → 3× (Conv 3×3 → Relu), strides 1, 2, 2 → GlobalAveragePool → Flatten → Gemm → [1, classes]. */
export function tinyCnnBytes(size = 32, classes = 5): Uint8Array {
  const inits: object[] = [];
  const nodes: object[] = [];
  const f32 = (name: string, dims: number[], data: number[]) =>
    inits.push({ name, dims, dataType: 1, rawData: new Uint8Array(Float32Array.from(data).buffer) });
  const node = (opType: string, input: string[], output: string, attribute: object[] = []) =>
    nodes.push({ opType, input, output: [output], name: `/${output}`, attribute });
  const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
  let x = 'input';
  let cin = 3;
  [
    [8, 1],
    [12, 2],
    [16, 2],
  ].forEach(([cout, stride], k) => {
    f32(`conv${k}.w`, [cout, cin, 3, 3], random(cout * cin * 9, 11 + k, Math.sqrt(2 / (cin * 9))));
    f32(`conv${k}.b`, [cout], random(cout, 31 + k, 0.05));
    node('Conv', [x, `conv${k}.w`, `conv${k}.b`], `block${k}/conv`, [
      ints('kernel_shape', [3, 3]),
      ints('pads', [1, 1, 1, 1]),
      ints('strides', [stride, stride]),
    ]);
    node('Relu', [`block${k}/conv`], `block${k}/relu`);
    x = `block${k}/relu`;
    cin = cout;
  });
  node('GlobalAveragePool', [x], 'gap');
  node('Flatten', ['gap'], 'flat', [{ name: 'axis', type: 2, i: 1 }]);
  f32('fc.w', [classes, cin], random(classes * cin, 77, 0.6));
  f32('fc.b', [classes], random(classes, 78, 0.1));
  node('Gemm', ['flat', 'fc.w', 'fc.b'], 'logits', [{ name: 'transB', type: 2, i: 1 }]);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'camanim-viewer-tests',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'tiny',
      node: nodes,
      initializer: inits,
      input: [valueInfo('input', [1, 3, size, size])],
      output: [valueInfo('logits', [1, classes])],
    },
  } as never);
  return onnx.ModelProto.encode(model).finish();
}

/** A model whose only node is an operator camanim does not implement. */
export function unsupportedOpBytes(): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'unsupported',
      node: [{ opType: 'Det', input: ['input'], output: ['det'], name: '/det/Det' }],
      input: [valueInfo('input', [1, 3, 8, 8])],
      output: [valueInfo('det', [1, 3])],
    },
  } as never);
  return onnx.ModelProto.encode(model).finish();
}

/** The tiny model with its sidecar JSON (labels; preprocessing that keeps a size×size image as is). */
export function writeTinyCnn(dir: string, size = 32): { model: string; meta: string; labels: string[] } {
  const labels = ['circle', 'square', 'stripe', 'cross', 'blank'];
  const model = `${dir}/tiny.onnx`;
  const meta = `${dir}/tiny.json`;
  writeFileSync(model, tinyCnnBytes(size, labels.length));
  writeFileSync(meta, JSON.stringify({ labels, preprocess: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], resize: size } }));
  return { model, meta, labels };
}
