import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/load-model.ts';
import { encodeModel, tinyCnn } from './onnx-builder.ts';
import { testRuntime } from './gpu.ts';

const dir = mkdtempSync(join(tmpdir(), 'camanim-bad-'));
const save = (name: string, bytes: Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

async function loadError(
  source: string | Uint8Array,
  opts: Record<string, unknown> = {},
): Promise<{ code: string; message: string }> {
  const runtime = await testRuntime();
  try {
    await loadModel(source, { runtime, ...opts });
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected loadModel to fail');
}

describe('bad model files fail at load with a clear error', () => {
  it('a truncated file', async () => {
    const bytes = encodeModel(tinyCnn());
    const e = await loadError(save('truncated.onnx', bytes.subarray(0, bytes.length - 17)));
    expect(e.code).toBe('bad-model');
    expect(e.message).toMatch(/truncated|not a valid ONNX/i);
    expect(e.message).toContain('truncated.onnx');
  });
  it('a file that is not ONNX', async () => {
    const e = await loadError(save('image.onnx', new TextEncoder().encode('\x89PNG not a model at all')));
    expect(e.code).toBe('bad-model');
  });
  it('a missing file', async () => {
    const e = await loadError(join(dir, 'nope.onnx'));
    expect(e.code).toBe('not-found');
  });
  it('an unsupported op names the op, the node and the supported list', async () => {
    const spec = tinyCnn();
    spec.nodes[0] = { op: 'Celu', inputs: ['x'], outputs: ['r'], name: 'my_celu' };
    const e = await loadError(encodeModel(spec));
    expect(e.code).toBe('unsupported-op');
    expect(e.message).toContain("'Celu'");
    expect(e.message).toContain("node 'my_celu'");
    expect(e.message).toMatch(/Supported ops: .*MaxPool.*Relu/);
  });
  it('an opset newer than supported', async () => {
    const e = await loadError(encodeModel({ ...tinyCnn(), opset: 99 }));
    expect(e.message).toMatch(/opset 99/);
  });
  it('a cycle', async () => {
    const spec = tinyCnn();
    spec.nodes[0] = { op: 'Relu', inputs: ['y'], outputs: ['r'] };
    spec.inputs = [{ name: 'x', dims: [1, 2, 3, 3] }];
    const e = await loadError(encodeModel(spec));
    expect(e.message).toMatch(/cycle|never defined/);
  });
  it('a tensor produced twice', async () => {
    const spec = tinyCnn();
    spec.nodes.push({ op: 'Relu', inputs: ['x'], outputs: ['m'] });
    const e = await loadError(encodeModel(spec));
    expect(e.message).toMatch(/produced more than once/);
  });
  it('an attribute of the wrong type names the attribute and node', async () => {
    const spec = tinyCnn();
    spec.nodes[3] = { op: 'Flatten', inputs: ['p'], outputs: ['y'], attrs: { axis: 'one' }, name: 'flat' };
    const model = await loadModel(encodeModel(spec), { runtime: await testRuntime() });
    expect(() => model.layers).toThrow(/Attribute 'axis'.*node 'flat'/);
  });
});

describe('external data stays inside the model folder', () => {
  const model = (location: string) =>
    encodeModel(
      tinyCnn({ initializers: [{ name: 'scale', dims: [1, 2, 1, 1], external: { location, offset: '0', length: '8' } }] }),
    );
  const folder = mkdtempSync(join(tmpdir(), 'camanim-ext-'));
  const secret = join(mkdtempSync(join(tmpdir(), 'camanim-secret-')), 'secret.bin');
  writeFileSync(secret, new Uint8Array(Float32Array.from([5, 6]).buffer));
  writeFileSync(join(folder, 'weights.bin'), new Uint8Array(Float32Array.from([2, -1]).buffer));

  it('reads a valid external file next to the model', async () => {
    const path = join(folder, 'ok.onnx');
    writeFileSync(path, model('weights.bin'));
    const m = await loadModel(path, { runtime: await testRuntime() });
    const run = await m.run({ data: Float32Array.from({ length: 18 }, (_, i) => i), shape: [1, 2, 3, 3] });
    const y = await run.read('y');
    expect(y.data[0]).toBeCloseTo(2 * 4, 5);
    expect(y.data[1]).toBeCloseTo(-1 * 13, 5);
  });
  for (const [what, location] of [
    ['a .. escape (CVE-2022-25882)', '../secret.bin'],
    ['an absolute path (CVE-2024-27318)', secret],
  ] as const) {
    it(`refuses ${what} before opening anything`, async () => {
      const path = join(folder, `esc-${what.length}.onnx`);
      writeFileSync(path, model(location));
      const e = await loadError(path);
      expect(e.code).toBe('external-data');
      expect(e.message).toContain("tensor 'scale'");
    });
  }
  it('refuses a symlink that leads outside (CVE-2026-27489)', async () => {
    symlinkSync(secret, join(folder, 'link.bin'));
    const path = join(folder, 'link.onnx');
    writeFileSync(path, model('link.bin'));
    const e = await loadError(path);
    expect(e.code).toBe('external-data');
    expect(e.message).toMatch(/outside the model folder/);
  });
  it('refuses offsets and lengths past the end of the file', async () => {
    const path = join(folder, 'long.onnx');
    writeFileSync(
      path,
      encodeModel(
        tinyCnn({
          initializers: [{ name: 'scale', dims: [1, 2, 1, 1], external: { location: 'weights.bin', offset: '4', length: '8' } }],
        }),
      ),
    );
    const e = await loadError(path);
    expect(e.message).toMatch(/runs past the end/);
  });
  it('a missing external file says where it looked', async () => {
    mkdirSync(join(folder, 'sub'), { recursive: true });
    const path = join(folder, 'sub', 'missing.onnx');
    writeFileSync(path, model('weights.bin'));
    const e = await loadError(path);
    expect(e.message).toMatch(/missing/);
  });
});

describe('bad run inputs', () => {
  it('an input of the wrong shape', async () => {
    const m = await loadModel(encodeModel(tinyCnn()), { runtime: await testRuntime() });
    await expect(m.run({ data: new Float32Array(2 * 4 * 4), shape: [1, 2, 4, 4] })).rejects.toThrow(/expects \[batch, 2, 3, 3\]/);
  });
  it('a target class out of range, a layer that does not exist', async () => {
    const m = await loadModel(encodeModel(tinyCnn()), { runtime: await testRuntime() });
    const run = await m.run({ data: new Float32Array(18).fill(1), shape: [1, 2, 3, 3] });
    await expect(run.backward({ class: 7 })).rejects.toThrow(/class 7 is out of range: the model has 2 classes/);
    await expect(run.backward({ class: 0 }, { layers: ['nope'] })).rejects.toThrow(/Layer 'nope' does not exist/);
  });
  it('a run over the memory budget fails before allocating', async () => {
    const rt = await testRuntime();
    const m = await loadModel(encodeModel(tinyCnn()), { runtime: rt, memoryBudget: 100 });
    const before = rt.stats().live;
    await expect(m.run({ data: new Float32Array(18 * 64), shape: [64, 2, 3, 3] })).rejects.toThrow(/over the budget/);
    expect(rt.stats().live).toBe(before);
  });
  it('a tensor larger than one binding is refused at plan time', async () => {
    const m = await loadModel(encodeModel(tinyCnn()), { runtime: await testRuntime() });
    expect(() => m.planFor(new Map([['x', [1 << 20, 2, 3000, 3000]]]))).toThrow(/more than one GPU buffer binding/);
  });
});

describe('a node missing a required input', () => {
  it('names the node, its inputs and the empty one', async () => {
    const spec = tinyCnn();
    spec.nodes[1] = { op: 'Mul', inputs: ['r', ''], outputs: ['m'], name: 'half_mul' };
    const model = await loadModel(encodeModel(spec), { runtime: await testRuntime() });
    expect(() => model.layers).toThrow(
      /inputs do not fit Mul: it has 2 input\(s\) \['r', ''\], input\(s\) 1 empty.*node 'half_mul'/,
    );
  });
});
