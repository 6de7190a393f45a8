/** A small ONNX test model: x [1, cin, s, s] → 3×3 Conv (cin → cout, pad 1) 'c' → Relu 'r' → Flatten → MatMul [cout·s², classes] → y. */
import { encodeModel } from './onnx-builder.ts';
import { random } from './gpu.ts';

export function convReluMatmul(cin: number, cout: number, s: number, classes: number): Uint8Array {
  return encodeModel({
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Flatten', inputs: ['r'], outputs: ['f'] },
      { op: 'MatMul', inputs: ['f', 'm'], outputs: ['y'] },
    ],
    inputs: [{ name: 'x', dims: [1, cin, s, s] }],
    outputs: ['y'],
    initializers: [
      { name: 'w', dims: [cout, cin, 3, 3], data: Array.from(random(cout * cin * 9, 1, -0.2, 0.2)) },
      { name: 'm', dims: [cout * s * s, classes], data: Array.from(random(cout * s * s * classes, 2, -0.05, 0.05)) },
    ],
    opset: 13,
  });
}
