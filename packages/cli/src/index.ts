/** @camanim/cli: the `camanim` command, callable in-process. */
export { main, runCli } from './main.ts';
export type { Io } from './io.ts';
export { readBundle, type BundleManifest } from './bundle.ts';
export { DEFAULT_MAX_PIXELS, readImage, type ReadImageOptions, type RgbImage } from './image.ts';
