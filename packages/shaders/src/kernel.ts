/**
 * A kernel is plain data: WGSL text, the storage bindings it reads and writes, and how many
 * workgroups to dispatch. The runtime compiles and caches pipelines by the WGSL text itself,
 * so a cache key can never drift from the shader it names.
 */
export interface KernelSpec {
  /** Human-readable name used in error messages ("conv2d[3x3 s2]"). */
  readonly name: string;
  readonly wgsl: string;
  /** Number of storage bindings, in order: read-only inputs first, then outputs. */
  readonly inputs: number;
  readonly outputs: number;
  readonly dispatch: readonly [number, number, number];
}

/** WebGPU's default maxComputeWorkgroupsPerDimension. */
export const MAX_GROUPS_PER_DIM = 65535;

/**
 * Splits a 1-D workgroup count across x and y when it exceeds 65535 ("dispatch folding").
 * Shaders recover the linear group index with `linearGroup()` from the prelude.
 */
export function foldDispatch(groups: number): [number, number, number] {
  if (groups <= MAX_GROUPS_PER_DIM) return [Math.max(1, groups), 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS_PER_DIM);
  return [Math.ceil(groups / y), y, 1];
}

export interface BindingDecl {
  readonly name: string;
  /** WGSL element type of the array, e.g. `f32` or `vec4<f32>`. */
  readonly type?: string;
}

export interface KernelSource {
  name: string;
  inputs: readonly BindingDecl[];
  outputs: readonly BindingDecl[];
  workgroupSize: number | readonly [number, number, number];
  /** Body of `main`; `gid`, `lid`, `wid` and `nwg` builtins are in scope. */
  body: string;
  /** Helper functions and constants placed before `main`. */
  header?: string;
  dispatch: readonly [number, number, number];
}

/** Assembles WGSL for a compute kernel: storage bindings in order, then the body. */
export function buildKernel(src: KernelSource): KernelSpec {
  const lines: string[] = [];
  let binding = 0;
  for (const b of src.inputs) {
    lines.push(`@group(0) @binding(${binding++}) var<storage, read> ${b.name}: array<${b.type ?? 'f32'}>;`);
  }
  for (const b of src.outputs) {
    lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${b.name}: array<${b.type ?? 'f32'}>;`);
  }
  const ws = typeof src.workgroupSize === 'number' ? [src.workgroupSize, 1, 1] : src.workgroupSize;
  const wgsl = `${lines.join('\n')}
${src.header ?? ''}
@compute @workgroup_size(${ws.join(', ')})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
${src.body}
}
`;
  return { name: src.name, wgsl, inputs: src.inputs.length, outputs: src.outputs.length, dispatch: src.dispatch };
}

/** Default workgroup size of element-parallel kernels. */
export const WG = 64;

/**
 * A kernel with one invocation per output element (or per `total` work item). The body sees
 * `i: u32`, the linear index, and must not run past `total` (the guard is emitted here).
 */
export function elementKernel(
  src: Omit<KernelSource, 'workgroupSize' | 'dispatch' | 'body'> & { total: number; body: string },
): KernelSpec {
  const groups = Math.ceil(src.total / WG);
  const dispatch = foldDispatch(groups);
  return buildKernel({
    ...src,
    workgroupSize: WG,
    dispatch,
    body: `  let i = (wid.x + wid.y * nwg.x) * ${WG}u + lid.x;
  if (i >= ${src.total}u) { return; }
${src.body}`,
  });
}

/** WGSL literal for a float constant (always with a decimal point or exponent). */
export function f32Lit(x: number): string {
  // WGSL const-expressions cannot hold NaN or infinities; the largest finite f32 serves as
  // the identity of max/min reductions and as a clamp bound.
  if (Number.isNaN(x)) throw new Error('NaN cannot be baked into WGSL');
  if (x >= 3.4028234663852886e38) return '3.4028234663852886e38';
  if (x <= -3.4028234663852886e38) return '-3.4028234663852886e38';
  const s = Math.fround(x).toString();
  return /[.eE]/.test(s) ? s : `${s}.0`;
}
