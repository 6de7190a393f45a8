/**
 * Waiting on Dawn in Node without spinning. While any of its promises is pending, dawn.node
 * processes events from `setImmediate` callbacks back to back, so the main thread runs at 100%
 * until the GPU answers. On a GPU that costs an idle CPU core; on SwiftShader the "GPU" is the
 * CPU cores: ResNet-18's forward on 2 cores took 620 ms with 430 ms of it the main thread
 * polling, against ~750 ms of CPU for the work itself. `calmly(p)` interleaves 1 ms naps
 * (Atomics.wait on the main thread, which Node allows) with Dawn's polling until `p` settles:
 * at most ~1 ms later, with the cores left to the work.
 */
const canNap =
  typeof process !== 'undefined' &&
  !!process.versions?.node &&
  typeof SharedArrayBuffer !== 'undefined' &&
  typeof setImmediate === 'function';
const cell = canNap ? new Int32Array(new SharedArrayBuffer(4)) : undefined;

export async function calmly<T>(p: Promise<T>): Promise<T> {
  if (!cell) return p;
  let settled = false;
  const nap = () => {
    if (settled) return;
    Atomics.wait(cell, 0, 0, 1);
    setImmediate(nap);
  };
  setImmediate(nap);
  try {
    return await p;
  } finally {
    settled = true;
  }
}
