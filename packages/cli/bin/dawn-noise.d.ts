/** See dawn-noise.js. */
export declare function dawnNoise(write: (text: string) => void): { write(chunk: Buffer | string): void; end(): void };
