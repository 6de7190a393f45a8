/**
 * `pnpm parity [name...]`: every reduced-width torchvision model, forward against
 * onnxruntime-node (every activation) and gradients against PyTorch. Last line:
 * `parity: N passed, M failed`.
 */
import { acquireDevice, isCamanimError, Runtime } from '@camanim/core';
import { checkModel } from './check.ts';
import { listFixtures } from './fixtures.ts';
import { camTol, checkCams, listCamFixtures } from './cams.ts';

const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const runtime = new Runtime(await acquireDevice({ onNotice: (m) => console.error(m) }));
let passed = 0;
let failed = 0;
for (const f of listFixtures().filter((x) => only.length === 0 || only.includes(x.name))) {
  const t0 = performance.now();
  try {
    for (const r of await checkModel(f, runtime)) {
      const ok = r.error <= r.tol;
      ok ? passed++ : failed++;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${f.name.padEnd(20)} ${r.check}: error ${r.error.toExponential(2)} (tol ${r.tol})`);
    }
  } catch (e) {
    failed++;
    console.log(`FAIL ${f.name.padEnd(20)} ${isCamanimError(e) ? e.message : (e as Error).stack}`);
  }
  console.log(`     ${f.name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
for (const f of listCamFixtures().filter((x) => only.length === 0 || only.includes(x.model))) {
  try {
    for (const c of await checkCams(f, runtime)) {
      const ok = c.error <= camTol(c.method);
      ok ? passed++ : failed++;
      if (!ok || process.argv.includes('--verbose'))
        console.log(
          `${ok ? 'ok  ' : 'FAIL'} ${f.model.padEnd(20)} CAM ${c.check}: error ${c.error.toExponential(2)} (tol ${camTol(c.method)})`,
        );
    }
    console.log(`ok   ${f.model.padEnd(20)} CAMs checked against PyTorch references`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${f.model.padEnd(20)} CAMs: ${isCamanimError(e) ? e.message : (e as Error).stack}`);
  }
}
console.log(`parity: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
