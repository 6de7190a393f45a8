/**
 * Stands in for the `webgpu` package (Dawn, a Node addon) in the browser build: core only
 * imports it when `navigator.gpu` is absent, and the viewer never asks core for a device then.
 */
export const globals = {};
export function create(): never {
  throw new Error('WebGPU for Node (Dawn) is not available in the browser');
}
