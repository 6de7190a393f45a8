/** Deterministic pseudo-random input in [-1, 1) (mulberry32); see random-input.js. */
export function randomInput(n: number, seed?: number): Float32Array;
