/** bin/camanim.js's stderr: Dawn's rejected-driver warning is dropped, its other warnings are one line each, once, everything else kept. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dawnNoise } from '../bin/dawn-noise.js';

const BLOCK = [
  'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.',
  ' - While initializing adapter (backend=BackendType::Vulkan)',
  '    at InitializeImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/PhysicalDeviceVk.cpp:257)',
  '',
  '',
].join('\n');

function filter(chunks: string[]): string {
  let out = '';
  const f = dawnNoise((t) => (out += t));
  for (const c of chunks) f.write(Buffer.from(c));
  f.end();
  return out;
}

describe('the stderr filter', () => {
  it('drops the block whole or split across chunks, and keeps the rest in order', () => {
    expect(filter([`${BLOCK}camanim: oops\n`])).toBe('camanim: oops\n');
    const all = `a\n${BLOCK}b\n${BLOCK}`;
    for (const at of [1, 7, 40, 70, 130, 200]) expect(filter([all.slice(0, at), all.slice(at)])).toBe('a\nb\n');
  });

  it('turns any other Dawn warning block into one camanim: line, once, and keeps a lone Warning: line', () => {
    const other = [
      'Warning: Device lost the timestamp query feature.',
      ' - While creating a QuerySet',
      ' - While calling [Device].CreateQuerySet',
      '    at ValidateQuerySet (/dawn/src/dawn/native/QuerySet.cpp:41)',
      '',
      '',
    ].join('\n');
    const one =
      'camanim: GPU driver warning: Device lost the timestamp query feature. (while creating a QuerySet; while calling [Device].CreateQuerySet)\n';
    expect(filter([`x\n${other}${BLOCK}${other}y\n`])).toBe(`x\n${one}y\n`);
    for (const at of [3, 20, 60, 120]) expect(filter([other.slice(0, at), other.slice(at)])).toBe(one);
    expect(filter(['Warning: not a Dawn block\nnext\n'])).toBe('Warning: not a Dawn block\nnext\n');
  });

  it('passes on a line that only starts like the block, and progress redraws without a newline at once', () => {
    expect(filter([`${BLOCK.split('\n')[0]}\nsomething else\n`])).toBe(`${BLOCK.split('\n')[0]}\nsomething else\n`);
    let out = '';
    const f = dawnNoise((t) => (out += t));
    f.write('progress 10%\r');
    expect(out).toBe('progress 10%\r');
    f.write(Buffer.from('é'.slice(0, 1)));
    f.end();
    expect(out).toBe('progress 10%\ré');
  });

  it('`camanim explain -q` prints nothing on stderr; an error prints one camanim: line', () => {
    const bin = resolve(import.meta.dirname, '../bin/camanim.js');
    const out = mkdtempSync(join(tmpdir(), 'camanim-stderr-'));
    try {
      const ok = spawnSync(process.execPath, [bin, 'explain', '-q', '--out', out], { encoding: 'utf8' });
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      const bad = spawnSync(process.execPath, [bin, 'explain', '--model', join(out, 'missing.onnx')], { encoding: 'utf8' });
      expect(bad.status).toBe(1);
      expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^camanim: Model file not found/)]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('`pnpm camanim` at the root is the bin itself: an error ends with the camanim: line, no pnpm trailer', () => {
    const root = resolve(import.meta.dirname, '../../..');
    const r = spawnSync('pnpm', ['camanim', 'explain', '--model', 'missing-model.onnx'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^camanim: Model file not found/)]);
  });
});
