/** @camanim/cli: the `camanim` command, callable in-process. */
export { main, runCli } from './main.ts';
export type { Io } from './io.ts';
export { readBundle, type BundleManifest } from './bundle.ts';
