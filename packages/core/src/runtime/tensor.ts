/** A float32 tensor on the GPU: a buffer and its shape. */
export interface GpuTensor {
  readonly buffer: GPUBuffer;
  readonly shape: readonly number[];
}

/** A float32 tensor on the host, as `read()` returns it. */
export interface TensorData {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}
