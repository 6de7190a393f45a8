/**
 * A tiny image classifier written as ONNX with onnx-proto, from ops every core build has
 * (element-wise, Reshape, ReduceSum, pools): 1×1 "convolutions" as broadcast Mul + ReduceSum,
 * ReLU, MaxPool, AveragePool, GlobalAveragePool, Flatten → [1, 8] logits. It lets the CLI
 * tests run before (or without) Conv/Gemm support; weights are seeded.
 */
import { writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

function random(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return lo + (s / 4294967296) * (hi - lo);
  });
}

/** `nhwc`: the input is [N, H, W, 3], transposed to NCHW inside (a channels-last export). */
export function tinyModelBytes(size = 32, nhwc = false): Uint8Array {
  const inits: InstanceType<typeof onnx.TensorProto>[] = [];
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const f32 = (name: string, dims: number[], data: number[]) =>
    inits.push(onnx.TensorProto.create({ name, dims, dataType: 1, floatData: data }));
  const i64 = (name: string, data: number[]) =>
    inits.push(onnx.TensorProto.create({ name, dims: [data.length], dataType: 7, int64Data: data }));
  const node = (opType: string, inputs: string[], output: string, attribute: object[] = []) =>
    nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: [output], name: `/${output}/${opType}`, attribute }));
  const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
  const int = (name: string, v: number) => ({ name, type: 2, i: v });
  // Pointwise "conv": x [1, cin, h, w] → [1, cout, h, w] with weights w [1, cout, cin, 1, 1] and bias.
  let seed = 7;
  const pointwise = (x: string, cin: number, cout: number, h: number, prefix: string) => {
    f32(`${prefix}.w`, [1, cout, cin, 1, 1], random(cout * cin, seed++));
    f32(`${prefix}.b`, [1, cout, 1, 1], random(cout, seed++, -0.1, 0.1));
    i64(`${prefix}.shape5`, [1, 1, cin, h, h]);
    i64(`${prefix}.axes`, [2]);
    node('Reshape', [x, `${prefix}.shape5`], `${prefix}/x5`);
    node('Mul', [`${prefix}/x5`, `${prefix}.w`], `${prefix}/prod`);
    node('ReduceSum', [`${prefix}/prod`, `${prefix}.axes`], `${prefix}/sum`, [int('keepdims', 0)]);
    node('Add', [`${prefix}/sum`, `${prefix}.b`], `${prefix}/out`);
    node('Relu', [`${prefix}/out`], `${prefix}/relu`);
    return `${prefix}/relu`;
  };
  f32('scale', [1, 3, 1, 1], [1.2, 0.8, 1.0]);
  if (nhwc) node('Transpose', ['input'], 'nchw', [ints('perm', [0, 3, 1, 2])]);
  node('Mul', [nhwc ? 'nchw' : 'input', 'scale'], 'stem/scaled');
  let x = pointwise('stem/scaled', 3, 6, size, 'block1');
  node('MaxPool', [x], 'pool1', [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]);
  x = pointwise('pool1', 6, 8, size / 2, 'block2');
  node('AveragePool', [x], 'pool2', [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]);
  x = pointwise('pool2', 8, 8, size / 4, 'block3');
  node('GlobalAveragePool', [x], 'gap');
  node('Flatten', ['gap'], 'logits', [int('axis', 1)]);
  const valueInfo = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } },
      },
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'camanim-cli-tests',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'tiny',
      node: nodes,
      initializer: inits,
      input: [valueInfo('input', nhwc ? ['N', size, size, 3] : ['N', 3, size, size])],
      output: [valueInfo('logits', ['N', 8])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Also writes its sidecar JSON (`preprocess.preset` imagenet), as a user's model ships with one. */
export function writeTinyModel(file: string, size = 32, nhwc = false): string {
  writeFileSync(file, tinyModelBytes(size, nhwc));
  writeFileSync(`${file.replace(/\.onnx$/, '')}.json`, JSON.stringify({ preprocess: { preset: 'imagenet' } }));
  return file;
}
